// timing.model = simple: the serial in-order cost model. An instruction costs
// its class latency (timing.<class>_cycles, plus timing.mem_operand_cycles
// with an explicit memory operand, kMemOperand), plus the latency of each data access (a store at
// most an L1 hit unless cache.stores_block), plus its fetch stall, plus
// timing.taken_branch_cycles when a near branch is taken, plus the flat costs
// it incurred. The engine sums the accesses and the taken-branch cost into
// RetireInfo::mem_cost as they happen (Engine::taken_branch; every caller is
// a near branch, the only kind that pays it). An instruction with its own cost (kOwnCost: VMX/SVM
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
  // false: start_charges() is all it needs, and the engine sums the data
  // accesses into RetireInfo::mem_cost (add_cost) rather than recording them.
  static constexpr bool kReadsDeps = false;

  // store_cap: the most a store's access costs (UINT32_MAX: stores block).
  SimpleCore(const Latencies& lat, uint32_t store_cap) : lat_(lat), store_cap_(store_cap) {
    for (unsigned c = 0; c < kNumInsnClasses; ++c) {
      base_[c][0] = class_cost(lat, static_cast<uint8_t>(c), 0);
      base_[c][1] = class_cost(lat, static_cast<uint8_t>(c), kMemOperand);
    }
  }

  void retire(const RetireInfo& r) {
    uint64_t c = r.extra_cycles + r.mem_cost + r.overflow_latency + r.fetch_latency;
    if (__builtin_expect(r.overflow_stores != 0, 0)) c += r.overflow_store_cost(store_cap_);
    const uint8_t f = r.flags;
    if (__builtin_expect(!(f & kOwnCost), 1)) c += base_[r.tclass][(f & kMemOperand) ? 1 : 0];
    for (unsigned i = 0; i < r.nmem; ++i) {  // accesses recorded rather than summed
      const uint32_t l = r.mem[i].latency;
      c += r.mem[i].kind == MemKind::kStore && l > store_cap_ ? store_cap_ : l;
    }
    cycles_ += c;
    ++instructions_;
  }
  // What an instruction of class `tclass` costs before its accesses and
  // branch: its class latency, plus timing.mem_operand_cycles with an
  // explicit memory operand (`flags` & kMemOperand). The decoder keeps it in
  // each decoded instruction for the run loop's fast path.
  static uint32_t class_cost(const Latencies& lat, uint8_t tclass, uint8_t flags) {
    return lat.cls[tclass] + ((flags & kMemOperand) ? lat.mem_operand : 0);
  }
  // The run loop's fast path, for a record with neither kOwnCost nor
  // kCharged (no flat cost, fetch stall or overflow; nothing in mem[]): what
  // retire() would charge, given the instruction's class_cost() and the
  // record's mem_cost.
  uint64_t plain_cost(uint32_t cls_cost, uint64_t mem_cost) const { return cls_cost + mem_cost; }
  void retire_plain(uint64_t c) {
    cycles_ += c;
    ++instructions_;
  }
  // The engine's own simple loop (engine_simple.cc) keeps the clock in a
  // register and brings the model up to it when it leaves, or before
  // anything reads the model: the clock now, and `retired` more
  // instructions retired at their plain cost.
  void catch_up(uint64_t cycles, uint64_t retired) {
    cycles_ = cycles;
    instructions_ += retired;
  }
  // What a taken near branch costs (timing.taken_branch_cycles; far
  // transfers are not near branches and pay nothing). The engine adds it to
  // the record's mem_cost when the branch is taken, as it sums the accesses.
  uint32_t taken_cost() const { return lat_.taken_branch; }
  // Time that passes with no instruction retiring (HLT, a device stall,
  // exception delivery between instructions).
  void stall(uint64_t c, StallKind = StallKind::kIdle) { cycles_ += c; }
  // Sampling (phased_model.h): nothing to warm, nothing in flight.
  void warm(const RetireInfo&) {}
  void drain() {}
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
