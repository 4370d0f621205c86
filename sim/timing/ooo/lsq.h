// The memory side of the ooo model: load and store queues, the L1D miss
// status holding registers (MSHRs / fill buffers) that let misses overlap,
// and store-to-load forwarding. Memory dependences are taken as perfectly
// predicted: a load waits only for an older store it truly overlaps (the
// functional engine knows both addresses), which is what a good
// memory-dependence predictor achieves in steady state.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/timing/ooo/cpi.h"
#include "sim/timing/ooo/params.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::timing::ooo {

inline uint32_t pow2_at_least(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// A ring of the cycles at which the entries of an in-order queue of n
// entries (ROB slots, loads, stores) are freed, indexed by sequence number.
// Stored in a power-of-two ring so that indexing is a mask.
class FreeRing {
 public:
  friend struct checkpoint::Access;
  explicit FreeRing(uint32_t n)
      : n_(n), mask_(pow2_at_least(n) - 1), at_(mask_ + 1, 0), why_(mask_ + 1, Cpi::kBase) {}
  uint32_t size() const { return n_; }
  // The cycle at which entry `seq` may be allocated (entry seq - n freed),
  // and why the entry it waits for was freed then.
  uint64_t available(uint64_t seq) const { return seq < n_ ? 0 : at_[(seq - n_) & mask_]; }
  Cpi why(uint64_t seq) const { return seq < n_ ? Cpi::kBase : why_[(seq - n_) & mask_]; }
  void set(uint64_t seq, uint64_t cycle, Cpi why = Cpi::kStructural) {
    at_[seq & mask_] = cycle;
    why_[seq & mask_] = why;
  }
  // Entries allocated and not yet freed at cycle c, given `next` allocated;
  // head_ advances monotonically (free cycles are in program order).
  uint32_t occupancy(uint64_t next, uint64_t c) {
    if (next - head_ > n_) head_ = next - n_;
    while (head_ < next && at_[head_ & mask_] <= c) ++head_;
    return static_cast<uint32_t>(next - head_);
  }

 private:
  uint32_t n_;
  uint64_t mask_;
  std::vector<uint64_t> at_;
  std::vector<Cpi> why_;
  uint64_t head_ = 0;
};

struct MissStats {
  uint64_t misses = 0;          // accesses that needed an MSHR
  uint64_t merged = 0;          // accesses to a line already being filled
  uint64_t mshr_full = 0;       // misses that waited for a free MSHR
  uint64_t miss_cycles = 0;     // sum of miss latencies
  uint64_t busy_cycles = 0;     // cycles with at least one miss outstanding
  uint64_t forwarded = 0;       // loads served from the store queue
  uint64_t forward_stalls = 0;  // loads that partly overlap an older store
};

class MissUnit {
 public:
  friend struct checkpoint::Access;
  MissUnit(uint32_t mshrs, uint32_t line_bytes = 64);
  // A miss of `latency` cycles to `addr` requested at cycle t; returns the
  // cycle its data arrives.
  // `why`: the level that serves it (for the CPI stack).
  uint64_t miss(uint64_t addr, uint64_t t, uint32_t latency, Cpi why = Cpi::kDram);
  // The cycle the line of addr is being filled until, if after t (else 0),
  // and in *why the level its fill comes from.
  uint64_t pending(uint64_t addr, uint64_t t, Cpi* why = nullptr) const;
  // The level the last miss()'s fill comes from (its own, or the fill it merged into).
  Cpi last_why() const { return last_why_; }
  MissStats& stats() { return st_; }
  const MissStats& stats() const { return st_; }

 private:
  struct Entry {
    uint64_t line = ~uint64_t{0};
    uint64_t free = 0;
    Cpi why = Cpi::kDram;
  };
  Cpi last_why_ = Cpi::kDram;
  std::vector<Entry> e_;
  uint64_t line_shift_;
  uint64_t busy_end_ = 0;   // for the union of miss intervals (MLP)
  uint64_t last_free_ = 0;  // the latest cycle any MSHR is busy until
  MissStats st_;
};

// Stores still in the store queue, newest last, for forwarding.
class StoreQueue {
 public:
  friend struct checkpoint::Access;
  explicit StoreQueue(uint32_t entries)
      : n_max_(entries), mask_(pow2_at_least(entries) - 1), s_(mask_ + 1) {}
  struct Store {
    uint64_t addr = 0, data_ready = 0, commit = 0;
    uint8_t size = 0;
  };
  void push(const Store& s) {
    s_[n_++ & mask_] = s;
    for (uint64_t g = s.addr >> 3; g <= (s.addr + s.size - 1) >> 3; ++g)
      last_commit_[g & (kFilter - 1)] = s.commit;
  }
  // Earliest cycle the load's data can be ready if it overlaps an older
  // store still queued at t: 0 = no overlap; *forwarded says how.
  uint64_t forward(uint64_t addr, uint8_t size, uint64_t t, uint32_t fwd, uint32_t hit,
                   bool* forwarded) const;
  uint64_t last_commit() const { return n_ ? s_[(n_ - 1) & mask_].commit : 0; }

 private:
  // A filter: per 8-byte granule (hashed), the commit cycle of the youngest
  // store to it, so that most loads need not scan the queue.
  static constexpr uint64_t kFilter = 512;
  uint64_t last_commit_[kFilter] = {};
  uint64_t n_max_, mask_;
  std::vector<Store> s_;
  uint64_t n_ = 0;
};

}  // namespace hvsim::timing::ooo
