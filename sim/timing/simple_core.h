// timing.model = simple: the serial in-order cost model. An instruction costs
// its class latency (timing.<class>_cycles, plus timing.mem_operand_cycles
// with an explicit memory operand, kMemOperand), plus the latency of each data access (a store at
// most an L1 hit unless cache.stores_block), plus its fetch stall, plus
// timing.taken_branch_cycles when a near branch is taken, plus the flat costs
// it incurred. An instruction with its own cost (kOwnCost: VMX/SVM
// instructions) is not charged its class latency again. IPC <= 1 by
// construction; misses never overlap.
#pragma once

#include <cstdint>

#include "sim/base/stats.h"
#include "sim/timing/latencies.h"
#include "sim/timing/retire_info.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::timing {

class SimpleCore final {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr bool kTimesFetch = false;  // fetch is free but for ITLB walks
  static constexpr bool kReadsDeps = false;   // start_charges() is all it needs

  // store_cap: the most a store's access costs (UINT32_MAX: stores block).
  SimpleCore(const Latencies& lat, uint32_t store_cap) : lat_(lat), store_cap_(store_cap) {
    for (unsigned c = 0; c < kNumInsnClasses; ++c) {
      base_[c][0] = lat.cls[c];
      base_[c][1] = lat.cls[c] + lat.mem_operand;
    }
  }

  void retire(const RetireInfo& r) {
    uint64_t c = r.extra_cycles + r.overflow_latency + r.fetch_latency;
    if (__builtin_expect(r.overflow_stores != 0, 0)) c += r.overflow_store_cost(store_cap_);
    if (__builtin_expect(!(r.flags & kOwnCost), 1))
      c += base_[r.tclass][(r.flags & kMemOperand) ? 1 : 0];
    for (unsigned i = 0; i < r.nmem; ++i) {
      const uint32_t l = r.mem[i].latency;
      c += r.mem[i].kind == MemKind::kStore && l > store_cap_ ? store_cap_ : l;
    }
    if (__builtin_expect((r.flags & kTaken) != 0, 0) && r.branch != BranchKind::kNone &&
        r.branch != BranchKind::kFar)
      c += lat_.taken_branch;
    cycles_ += c;
    ++instructions_;
  }
  // Time that passes with no instruction retiring (HLT, a device stall,
  // exception delivery between instructions).
  void stall(uint64_t c, StallKind = StallKind::kIdle) { cycles_ += c; }
  uint64_t cycles() const { return cycles_; }
  uint64_t instructions() const { return instructions_; }
  void register_stats(base::StatRegistry& reg, const std::string& prefix);

 private:
  Latencies lat_;
  uint32_t base_[kNumInsnClasses][2];  // class latency, without and with a memory operand
  uint32_t store_cap_;
  uint64_t cycles_ = 0;
  uint64_t instructions_ = 0;
};

}  // namespace hvsim::timing
