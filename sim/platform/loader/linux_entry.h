// The core's state at the Linux 32-bit entry (boot.rst "32-bit Boot
// Protocol"): flat protected mode, paging off, interrupts disabled, CS =
// __BOOT_CS (0x10) and DS/ES/SS = __BOOT_DS (0x18) from a loaded GDT, ESI =
// the zero page, EBP = EDI = EBX = 0, at code32_start.
#pragma once

#include "sim/core/core.h"
#include "sim/platform/loader/loader.h"

namespace hvsim::platform {

void enter_linux32(core::Core& core, const BootInfo& boot);

// Enters the kernel the way its protocol says (multiboot or Linux).
void enter_kernel(core::Core& core, const BootInfo& boot);

}  // namespace hvsim::platform
