// Last-branch recording (SDM Vol. 3 17.4.2, 17.5; AMD APM Vol. 2 13.1.1.6):
// while IA32_DEBUGCTL.LBR is set, every taken branch, interrupt and
// exception leaves its source and target in LastBranchFromIP/ToIP (1DBh,
// 1DCh); an interrupt or exception first copies that pair to LastIntFromIP/
// ToIP (1DDh, 1DEh: the last branch before it). hvsim keeps this one-entry
// record for both vendors (the Intel LBR stack at 680h is not modelled).
// Addresses are RIPs (flat code segments give the linear address). The run
// loop takes instructions one at a time while LBR or BTF is set
// (Engine::step_one records branches; exceptions.cc records events).
#pragma once

#include <cstdint>

#include "sim/core/arch_state.h"
#include "sim/core/debug_state.h"

namespace hvsim::core::sys {

inline void lbr_branch(ArchState& s, uint64_t from, uint64_t to) {
  s.lbr_from = from;
  s.lbr_to = to;
}

inline void lbr_event(ArchState& s, uint64_t from, uint64_t to) {
  s.lbr_int_from = s.lbr_from;
  s.lbr_int_to = s.lbr_to;
  lbr_branch(s, from, to);
}

}  // namespace hvsim::core::sys
