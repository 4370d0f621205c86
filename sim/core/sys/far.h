// Far control transfers shared by far.cc and iret.cc.
#pragma once

#include <cstdint>

#include "sim/core/engine.h"
#include "sim/core/sys/descriptor.h"

namespace hvsim::core::sys {

// Real and virtual-8086 mode CS load: base = selector * 16 (SDM Vol. 3 20.1.1).
void load_cs_real(Engine& e, uint16_t sel);
// Checks the code segment a far RET/IRET returns to (SDM Vol. 2A RET,
// IRET): null, type, RPL >= CPL, DPL against RPL, presence, L+D.
Descriptor return_code_segment(Engine& e, uint16_t csel);
// The offset check of a transfer into `cd`: canonical for 64-bit code,
// within the limit otherwise (#GP(0)).
void check_target(Engine& e, const Descriptor& cd, uint64_t rip);
// Loads CS from a checked descriptor with RPL = cpl, sets CPL.
void commit_cs(Engine& e, const Descriptor& cd, uint16_t csel, unsigned cpl, uint64_t rip);

}  // namespace hvsim::core::sys
