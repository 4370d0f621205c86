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

namespace hvsim::timing {

class SimpleCore final {
 public:
  static constexpr bool kTimesFetch = false;  // fetch is free but for ITLB walks

  // store_cap: the most a store's access costs (UINT32_MAX: stores block).
  SimpleCore(const Latencies& lat, uint32_t store_cap) : lat_(lat), store_cap_(store_cap) {}

  void retire(const RetireInfo& r) {
    uint64_t c = r.extra_cycles + r.overflow_latency + r.fetch_latency;
    if (__builtin_expect(r.overflow_stores != 0, 0)) c += r.overflow_store_cost(store_cap_);
    if (!(r.flags & kOwnCost)) {
      c += lat_.cls[r.tclass];
      if (r.flags & kMemOperand) c += lat_.mem_operand;
    }
    for (unsigned i = 0; i < r.nmem; ++i) {
      uint32_t l = r.mem[i].latency;
      if (r.mem[i].kind == MemKind::kStore && l > store_cap_) l = store_cap_;
      c += l;
    }
    if ((r.flags & kTaken) && r.branch != BranchKind::kNone && r.branch != BranchKind::kFar)
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
  uint32_t store_cap_;
  uint64_t cycles_ = 0;
  uint64_t instructions_ = 0;
};

}  // namespace hvsim::timing
