#include "sim/timing/ooo/ports.h"

#include <algorithm>

namespace hvsim::timing::ooo {

void PortCalendar::advance(uint64_t floor) {
  if (floor <= floor_) return;
  if (floor - floor_ >= kWindow) {
    std::fill(used_.begin(), used_.end(), 0);
  } else {
    for (uint64_t c = floor_; c < floor; ++c) at(c) = 0;
  }
  floor_ = floor;
}

bool PortCalendar::free_for(uint64_t c, unsigned port, uint32_t busy) {
  for (uint32_t k = 1; k < busy; ++k) {
    if (c + k >= floor_ + kWindow) return true;  // past the window: assume free
    if (at(c + k) & (1u << port)) return false;
  }
  return true;
}

uint64_t PortCalendar::schedule(uint64_t ready, uint32_t mask, uint32_t busy) {
  if (mask == 0) return ready;
  uint64_t c = ready < floor_ ? floor_ : ready;
  for (; c < floor_ + kWindow; ++c) {
    uint32_t freep = mask & ~static_cast<uint32_t>(at(c));
    while (freep != 0) {
      unsigned p = static_cast<unsigned>(__builtin_ctz(freep));
      freep &= freep - 1;
      if (busy > 1 && !free_for(c, p, busy)) continue;
      for (uint32_t k = 0; k < busy && c + k < floor_ + kWindow; ++k)
        at(c + k) = static_cast<uint16_t>(at(c + k) | (1u << p));
      return c;
    }
  }
  ++beyond_;
  return c;
}

void Scheduler::advance(uint64_t d) {
  if (d < now_) return;
  if (d - now_ >= kWindow) {
    std::fill(leave_.begin(), leave_.end(), 0);
    held_ = 0;
  } else {
    for (uint64_t c = now_; c <= d; ++c) {
      held_ -= leave_[c % kWindow];
      leave_[c % kWindow] = 0;
    }
  }
  now_ = d + 1;
}

uint64_t Scheduler::admit(uint64_t d) {
  advance(d);
  if (held_ < cap_) return d;
  uint64_t c = d + 1;  // full: wait for the next uop to issue
  while (leave_[c % kWindow] == 0) ++c;
  advance(c);
  return c;
}

void Scheduler::hold_until(uint64_t issue) {
  if (issue < now_) return;  // issued in the cycle it entered: never held
  // A uop waiting longer than the window is released at its edge (rare: a
  // chain behind several DRAM misses); the count stays exact.
  if (issue - now_ >= kWindow) issue = now_ + kWindow - 1;
  ++leave_[issue % kWindow];
  ++held_;
}

}  // namespace hvsim::timing::ooo
