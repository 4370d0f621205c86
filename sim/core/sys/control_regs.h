// Writes to CR0, CR3, CR4, CR8 and IA32_EFER with the checks of SDM Vol. 2A
// "MOV—Move to/from Control Registers", Vol. 3 2.5, 9.8.5, and their side
// effects (EFER.LMA, TLB flushes, mode changes). Throw #GP(0) on a bad value.
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::core::sys {

void write_cr0(Engine& e, uint64_t v);
void write_cr3(Engine& e, uint64_t v);
void write_cr4(Engine& e, uint64_t v);
void write_cr8(Engine& e, uint64_t v);
void write_efer(Engine& e, uint64_t v);

// Bits a write may set, from the CPU model's CPUID (SDM Vol. 3 2.5, 2.2.1).
uint64_t cr4_allowed(const Engine& e);
uint64_t efer_allowed(const Engine& e);

}  // namespace hvsim::core::sys
