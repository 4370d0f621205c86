// Jcc in 64-bit mode with a 64-bit operand size (SDM Vol. 2 Jcc): shared by
// control.cc's handler and fused.cc's compare-and-branch pairs.
#pragma once

#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

// `j` is the Jcc; RIP already holds the next instruction's address. The #GP
// for a non-canonical target (Engine::canonical) is raised with RIP still at
// the Jcc; `before_fault` runs first (a fused pair retires its first
// instruction).
template <unsigned kCond, typename BeforeFault>
inline __attribute__((always_inline)) void jcc64_exec(Engine& e, const DecodedInsn& j,
                                                      BeforeFault before_fault) {
  if (cond(e.s.rflags, kCond)) {
    const uint64_t target = e.s.rip + j.imm;
    if (HVSIM_UNLIKELY(!e.canonical(target))) {
      before_fault();
      raise(kGP, 0);
    }
    e.s.rip = target;
    e.taken_branch(target);
  }
  ++e.s.pmu.branches;  // retired near branches, taken or not (sys/pmu.cc)
}

}  // namespace hvsim::core::isa
