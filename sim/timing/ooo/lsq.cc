#include "sim/timing/ooo/lsq.h"

#include <algorithm>

namespace hvsim::timing::ooo {

MissUnit::MissUnit(uint32_t mshrs, uint32_t line_bytes) : e_(mshrs) {
  line_shift_ = static_cast<uint64_t>(__builtin_ctz(line_bytes));
}

uint64_t MissUnit::pending(uint64_t addr, uint64_t t, Cpi* why) const {
  if (last_free_ <= t) return 0;  // no fill in flight at t: the common case
  const uint64_t line = addr >> line_shift_;
  for (const Entry& e : e_)
    if (e.line == line && e.free > t) {
      if (why) *why = e.why;
      return e.free;
    }
  return 0;
}

uint64_t MissUnit::miss(uint64_t addr, uint64_t t, uint32_t latency, Cpi why) {
  const uint64_t line = addr >> line_shift_;
  Entry* victim = &e_[0];
  for (Entry& e : e_) {
    if (e.line == line && e.free > t) {  // a fill of this line is under way
      ++st_.merged;
      last_why_ = e.why;
      return e.free;
    }
    if (e.free < victim->free) victim = &e;
  }
  ++st_.misses;
  uint64_t start = t;
  if (victim->free > t) {
    ++st_.mshr_full;
    start = victim->free;
  }
  const uint64_t end = start + latency;
  victim->line = line;
  victim->free = end;
  victim->why = why;
  last_why_ = why;
  if (end > last_free_) last_free_ = end;
  st_.miss_cycles += latency;
  // Union of [start, end) intervals, taken in request order.
  if (start >= busy_end_) {
    st_.busy_cycles += end - start;
    busy_end_ = end;
  } else if (end > busy_end_) {
    st_.busy_cycles += end - busy_end_;
    busy_end_ = end;
  }
  return end;
}

uint64_t StoreQueue::forward(uint64_t addr, uint8_t size, uint64_t t, uint32_t fwd, uint32_t hit,
                             bool* forwarded) const {
  bool maybe = false;
  for (uint64_t g = addr >> 3; g <= (addr + size - 1) >> 3; ++g)
    maybe = maybe || last_commit_[g & (kFilter - 1)] > t;
  if (!maybe) return 0;
  const uint64_t n = std::min<uint64_t>(n_, n_max_);
  for (uint64_t k = 1; k <= n; ++k) {
    const Store& s = s_[(n_ - k) & mask_];
    if (s.commit <= t) break;  // this and every older store already left the queue
    if (addr + size <= s.addr || s.addr + s.size <= addr) continue;
    if (s.addr <= addr && addr + size <= s.addr + s.size) {
      *forwarded = true;  // the store holds every byte: forward its data
      return std::max(t, s.data_ready) + fwd;
    }
    *forwarded = false;  // partial overlap: wait until the store is in L1D
    return std::max(t, s.commit) + hit;
  }
  return 0;
}

}  // namespace hvsim::timing::ooo
