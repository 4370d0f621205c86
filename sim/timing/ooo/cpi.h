// CPI stack components of the ooo model. Every retire cycle is charged to
// exactly one component (the reason the instruction that retired last was
// late), so the components sum to the cycle count.
#pragma once

#include <cstdint>

namespace hvsim::timing::ooo {

#define HVSIM_CPI_COMPONENTS(X)                                                   \
  X(base, "retire bandwidth: instructions retired as fast as the widths allow")   \
  X(frontend, "instruction fetch: L1I and ITLB misses, BTB misses, fetch width")  \
  X(branch, "refilling the pipeline after a branch mispredict")                   \
  X(l1d, "load-to-use latency of L1D hits and store forwarding")                  \
  X(l2, "waiting for an L1D miss served by the L2 (directly or through a dependence)") \
  X(llc, "waiting for an L1D miss served by the LLC")                             \
  X(dram, "waiting for an access that missed every cache level (DRAM)")           \
  X(tlb_walk, "waiting for an access whose DTLB miss walked the page tables")     \
  X(execute, "dependences on execution latencies; port contention")               \
  X(structural, "a full ROB, scheduler, load queue or store queue held rename")   \
  X(serialize, "serializing instructions, faults and flat costs: drain and cost") \
  X(world_switch, "VM entries and exits: the pipeline drain and the configured cost") \
  X(idle, "time with no instruction (HLT, device stalls between instructions)")

enum class Cpi : uint8_t {
#define HVSIM_X(name, desc) k_##name,
  HVSIM_CPI_COMPONENTS(HVSIM_X)
#undef HVSIM_X
      kCount,
  kBase = k_base,
  kFrontend = k_frontend,
  kBranch = k_branch,
  kL1d = k_l1d,
  kL2 = k_l2,
  kLlc = k_llc,
  kDram = k_dram,
  kTlbWalk = k_tlb_walk,
  kMemory = k_dram,  // the farthest level (synthetic streams' misses)
  kExecute = k_execute,
  kStructural = k_structural,
  kSerialize = k_serialize,
  kWorldSwitch = k_world_switch,
  kIdle = k_idle,
};

// An L1D miss (any level beyond it, or a page walk): a stall behind one is a
// memory stall, whatever held the instruction (a full ROB, a dependence).
inline bool is_miss(Cpi c) {
  return c >= Cpi::kL2 && c <= Cpi::kTlbWalk;
}
// A wait for data from memory, an L1D hit included: the consumer inherits it.
inline bool is_memory(Cpi c) {
  return c >= Cpi::kL1d && c <= Cpi::kTlbWalk;
}

// A time and the reason for it; the later of two keeps its own reason.
struct Timed {
  uint64_t t = 0;
  Cpi why = Cpi::kBase;
  void at_least(uint64_t t2, Cpi why2) {
    if (t2 > t) {
      t = t2;
      why = why2;
    }
  }
};

}  // namespace hvsim::timing::ooo
