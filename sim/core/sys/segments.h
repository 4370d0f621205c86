// Segment-register loads outside far transfers (SDM Vol. 2A MOV, POP, LDS/
// LES/LFS/LGS/LSS; Vol. 3 3.4.3, 5.5-5.7).
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::core::sys {

// Loads DS, ES, FS, GS or SS from `sel` in the current mode, with every
// check of the MOV/POP Sreg pseudocode; faults leave the register unchanged.
void load_data_segment(Engine& e, unsigned sreg, uint16_t sel);
// The SS of a return to an outer privilege level `rpl` (SDM Vol. 2A RET,
// IRET): null is allowed only on a return to 64-bit mode at RPL < 3.
Segment outer_stack_segment(Engine& e, uint16_t sel, unsigned rpl, bool to64);
// After a return to an outer level: data segments the new CPL may not use
// become null (SDM Vol. 2A RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
void invalidate_data_segments(Engine& e, unsigned cpl);
// Records the one-instruction interrupt shadow after MOV SS / POP SS / STI.
void set_interrupt_shadow(Engine& e);

}  // namespace hvsim::core::sys
