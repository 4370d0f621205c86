// Reading the stack pointers a privilege change takes from the current TSS
// (SDM Vol. 3 7.2.1 32-bit TSS, 7.7 64-bit TSS).
#pragma once

#include <cstdint>

#include "sim/core/engine.h"
#include "sim/core/sys/descriptor.h"

namespace hvsim::core::sys {

struct InnerStack {
  uint16_t ss_sel = 0;
  Segment ss;
  uint64_t sp = 0;
};

// SS:ESP for privilege level `cpl` from a 16- or 32-bit TSS, with the checks
// of the new SS (SDM Vol. 2A INT n pseudocode; Vol. 3 6.12.1.1): #TS for a
// bad TSS or SS, #SS for a not-present SS. `ext` is the EXT error-code bit.
InnerStack tss_inner_stack(Engine& e, unsigned cpl, uint32_t ext);
// RSPn (`ist` = 0) or ISTn from the 64-bit TSS (SDM Vol. 3 7.7 Figure 7-11).
uint64_t tss_rsp64(Engine& e, unsigned cpl, unsigned ist, uint32_t ext);

}  // namespace hvsim::core::sys
