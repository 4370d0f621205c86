// timing.model = ooo: an out-of-order superscalar core as a timestamp model
// (the "bound" phase of ZSim's bound-weave, Sanchez & Kozyrakis, ISCA 2013).
// Each retiring instruction is placed in program order: its fetch cycle
// (front end, branch prediction), rename cycle (width, ROB, scheduler, LQ,
// SQ), the issue cycle of each uop (operands ready, a free port), completion
// (latency, memory latency found by the cache model, MSHRs, forwarding) and
// its retire cycle (in order, retire width). No per-cycle loop: the cost is
// a few dozen operations per instruction. docs/timing.md explains the method.
#pragma once

#include <cstdint>
#include <string>

#include "sim/base/stats.h"
#include "sim/timing/ooo/cpi.h"
#include "sim/timing/ooo/frontend.h"
#include "sim/timing/ooo/lsq.h"
#include "sim/timing/ooo/params.h"
#include "sim/timing/ooo/ports.h"
#include "sim/timing/ooo/predictor.h"
#include "sim/timing/retire_info.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::timing::ooo {

struct Histogram {
  static constexpr unsigned kBuckets = 8;  // eighths of the capacity
  uint64_t bucket[kBuckets] = {};
  uint64_t scale = 0;  // kBuckets / capacity, in 32.32 fixed point (no divide per sample)
  void set_capacity(uint32_t cap) { scale = (uint64_t{kBuckets} << 32) / (cap ? cap : 1); }
  void sample(uint32_t occ) {
    const uint64_t b = (occ * scale) >> 32;
    ++bucket[b < kBuckets ? b : kBuckets - 1];
  }
};

struct CoreStats {
  uint64_t instructions = 0;
  uint64_t uops = 0;
  uint64_t cpi[static_cast<unsigned>(Cpi::kCount)] = {};
  Histogram rob, lq, sq, scheduler;  // occupancy, sampled at each rename
  uint64_t serializations = 0;
};

class OooCore final {
 public:
  friend struct checkpoint::Access;
  static constexpr bool kTimesFetch = true;  // the engine fetches through the L1I
  static constexpr bool kReadsDeps = true;   // the dependence masks, PC and length

  explicit OooCore(const OooParams& p);

  void retire(const RetireInfo& r);
  // Time that passes with no instruction (HLT, device stalls): the pipeline
  // drains, then the clock moves on.
  void stall(uint64_t c, StallKind kind = StallKind::kIdle);
  // Sampling (phased_model.h). warm: functional warming of a branch; the
  // predictor learns its outcome, its statistics do not count it. drain:
  // every in-flight store committed (the wait charged as idle) and the
  // pipeline empty at the clock, so the next instruction starts clean.
  void warm(const RetireInfo& r);
  void drain();
  uint64_t cycles() const { return retire_cycle_; }
  uint64_t instructions() const { return st_.instructions; }
  const CoreStats& stats() const { return st_; }
  const PredictorStats& branch_stats() const { return bp_.stats(); }
  const MissStats& miss_stats() const { return miss_.stats(); }
  const OooParams& params() const { return p_; }
  void register_stats(base::StatRegistry& reg, const std::string& prefix);

 private:
  struct Counts {
    uint32_t loads = 0, stores = 0, compute = 0, issued = 0, total = 0;
  };
  Counts count_uops(const RetireInfo& r) const;
  Timed rename(const RetireInfo& r, const Counts& n);
  Timed operands(uint64_t regs, uint8_t flags) const;
  Timed loads(const RetireInfo& r, Timed d, Timed addr);
  void retire_in_order(const RetireInfo& r, const Counts& n, const Timed& complete);
  void write_results(const RetireInfo& r, const Timed& result);
  void after_branch(const RetireInfo& r, uint64_t fetch, uint64_t resolved);

  OooParams p_;
  Frontend fe_;
  BranchPredictor bp_;
  PortCalendar ports_;
  Scheduler sched_;
  MissUnit miss_;
  StoreQueue sq_;
  FreeRing rob_, lq_, sq_ring_;
  uint64_t rob_seq_ = 0, lq_seq_ = 0, sq_seq_ = 0;

  uint64_t reg_ready_[reg::kCount] = {};
  Cpi reg_why_[reg::kCount] = {};
  uint64_t flag_ready_[flag::kCount] = {};
  Cpi flag_why_[flag::kCount] = {};

  uint64_t rename_cycle_ = 0;
  uint32_t rename_slots_ = 0;
  uint64_t retire_cycle_ = 0;
  uint32_t retire_slots_ = 0;
  uint64_t floor_ = 0;       // nothing renames before (after a stall)
  uint64_t load_floor_ = 0;  // no load issues before (after a fence)
  uint64_t last_commit_ = 0;
  uint64_t last_fetch_ = 0;
  // Per-instruction scratch filled by loads(): store data and line fills.
  uint64_t store_issue_[RetireInfo::kMaxMem] = {};
  uint64_t store_line_[RetireInfo::kMaxMem] = {};
  Cpi store_why_[RetireInfo::kMaxMem] = {};
  // The level that served an access (its latency against the cache levels').
  Cpi level_of(const MemAccess& a) const {
    if (a.walked) return Cpi::kTlbWalk;
    if (a.latency <= p_.l1d_hit_cycles) return Cpi::kL1d;
    if (a.latency <= p_.l2_hit_cycles) return Cpi::kL2;
    if (a.latency <= p_.llc_hit_cycles) return Cpi::kLlc;
    return Cpi::kDram;
  }
  CoreStats st_;
};

}  // namespace hvsim::timing::ooo
