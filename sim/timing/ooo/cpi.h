// CPI stack components of the ooo model. Every retire cycle is charged to
// exactly one component (the reason the instruction that retired last was
// late), so the components sum to the cycle count.
#pragma once

#include <cstdint>

namespace hvsim::timing::ooo {

#define HVSIM_CPI_COMPONENTS(X)                                                  \
  X(base, "retire bandwidth: instructions retired as fast as the widths allow")  \
  X(frontend, "instruction fetch: ITLB/L1I misses, BTB misses, fetch width")     \
  X(branch, "refilling the pipeline after a branch mispredict")                  \
  X(memory, "waiting for an L1D miss (directly or through a dependence)")        \
  X(execute, "dependences on execution latencies and L1D hits; port contention") \
  X(structural, "a full ROB, scheduler, load queue or store queue held rename")  \
  X(serialize, "serializing instructions, world switches, faults, flat costs")   \
  X(idle, "time with no instruction (HLT, device stalls between instructions)")

enum class Cpi : uint8_t {
#define HVSIM_X(name, desc) k_##name,
  HVSIM_CPI_COMPONENTS(HVSIM_X)
#undef HVSIM_X
      kCount,
  kBase = k_base,
  kFrontend = k_frontend,
  kBranch = k_branch,
  kMemory = k_memory,
  kExecute = k_execute,
  kStructural = k_structural,
  kSerialize = k_serialize,
  kIdle = k_idle,
};

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
