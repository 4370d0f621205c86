// Event delivery through the IVT/IDT in real, protected and IA-32e mode
// (SDM Vol. 3 6.10-6.14, 20.1.4; Vol. 2A "INT n/INTO/INT3/INT1").
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::core::sys {

enum class EventSource : uint8_t {
  kHardware,  // exceptions, NMI, external interrupts: EXT = 1 in error codes
  kSoftware,  // INT n, INT3, INTO: gate DPL checked against CPL, EXT = 0
  kIcebp,     // INT1: no DPL check, EXT = 1 (SDM Vol. 3 6.12.1.1)
};

// Delivers `vector` (the return address is the current RIP). Builds the whole
// frame first and commits state only when nothing faulted: a Fault thrown
// from here leaves registers unchanged.
void deliver_through_idt(Engine& e, uint8_t vector, bool has_error, uint32_t error,
                         EventSource src);

// Whether a fault raised while delivering `first` turns into #DF
// (SDM Vol. 3 6.15 "Interrupt 8", Table 6-5).
bool is_double_fault(uint8_t first, uint8_t second);

}  // namespace hvsim::core::sys
