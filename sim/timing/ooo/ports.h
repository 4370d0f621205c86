// Issue ports as a calendar: for each cycle of a sliding window, which ports
// have a uop issued. A uop takes the first cycle at or after it is ready with
// a free port in its mask (oldest-ready-first is what a timestamp model can
// give: uops are placed in program order, each into the earliest hole).
#pragma once

#include <cstdint>
#include <vector>

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::timing::ooo {

class PortCalendar {
 public:
  friend struct checkpoint::Access;
  static constexpr uint64_t kWindow = 4096;  // cycles ahead of the rename point

  PortCalendar() : used_(kWindow, 0) {}
  // Claims a port of `mask` for `busy` consecutive cycles, at the earliest
  // cycle >= ready; returns that cycle. mask == 0: no port, returns ready.
  uint64_t schedule(uint64_t ready, uint32_t mask, uint32_t busy);
  // Cycles below `floor` can take no new uop (rename has passed them).
  void advance(uint64_t floor);
  uint64_t beyond_window() const { return beyond_; }

 private:
  uint16_t& at(uint64_t c) { return used_[c % kWindow]; }
  bool free_for(uint64_t c, unsigned port, uint32_t busy);

  std::vector<uint16_t> used_;
  uint64_t floor_ = 0;
  uint64_t beyond_ = 0;  // uops ready past the window: issued without a port check
};

// The scheduler (reservation station): a uop holds an entry from dispatch
// until it issues. Kept as a count of entries held and, per cycle of a
// window, how many leave then: queries move forward in time only (rename is
// in order), so each cycle is visited once.
class Scheduler {
 public:
  friend struct checkpoint::Access;
  static constexpr uint64_t kWindow = 4096;
  explicit Scheduler(uint32_t entries) : cap_(entries), leave_(kWindow, 0) {}
  // The earliest cycle >= d at which a uop can enter (an entry is free).
  uint64_t admit(uint64_t d);
  void hold_until(uint64_t issue);  // the uop admitted last leaves at `issue`
  // Uops holding an entry at cycle d.
  uint32_t occupancy(uint64_t d) {
    advance(d);
    return held_;
  }

 private:
  void advance(uint64_t d);  // entries that issue at or before d have left
  uint32_t cap_;
  uint32_t held_ = 0;
  uint64_t now_ = 0;  // cycles before now_ have been released
  std::vector<uint32_t> leave_;
};

}  // namespace hvsim::timing::ooo
