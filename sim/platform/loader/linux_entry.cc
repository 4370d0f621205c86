#include "sim/platform/loader/linux_entry.h"

namespace hvsim::platform {

void enter_linux32(core::Core& core, const BootInfo& boot) {
  // The multiboot state is the same flat protected mode with the same
  // selectors; what differs are the registers and a real GDT behind them.
  core.enter_multiboot(boot.entry, 0);
  core::ArchState& s = core.state();
  s.gpr[core::RAX] = 0;
  s.gpr[core::RBX] = 0;
  s.gpr[core::RSI] = boot.boot_params;
  s.gdtr = core::TableReg{boot.gdt_base, boot.gdt_limit};
}

void enter_kernel(core::Core& core, const BootInfo& boot) {
  if (boot.protocol == BootProtocol::kLinux32)
    enter_linux32(core, boot);
  else
    core.enter_multiboot(boot.entry, boot.mbi_addr);
}

}  // namespace hvsim::platform
