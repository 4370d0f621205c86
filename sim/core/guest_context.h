// What the engine holds for virtualization, in one place: the VMX/SVM unit
// of this core, the guest hooks while a guest runs, the boundary polling the
// unit asked for, the tags of the translations made now, the stage-2
// translation, and where world switches are reported. VMX and SVM write it
// through Engine's set_* calls (which also flush what depends on it); the
// intercept points read Engine::guest(). Held by value in the Engine: the
// run loop's test of `poll` is a load from the engine, not a pointer chase.
#pragma once

#include <cstdint>
#include <memory>

#include "sim/virt/guest_hooks.h"

namespace hvsim::mmu {
class Stage2;
}
namespace hvsim::virt {
class ExitTracker;
}

namespace hvsim::core {

struct GuestContext {
  std::unique_ptr<virt::VirtUnit> unit;      // VMX or SVM (owned; survives guest mode)
  virt::GuestHooks* hooks = nullptr;         // non-null while a guest runs
  virt::ExitTracker* exit_tracker = nullptr; // trace, summary and virt.* stats
  bool poll = false;         // call hooks->boundary() at each instruction boundary
  bool single_step = false;  // ... after every instruction (one per block)
  // A pending interrupt is looked at whatever the guest's RFLAGS.IF (VMX
  // external-interrupt exiting, SDM Vol. 3 25.2; the SVM INTR intercept,
  // APM Vol. 2 15.21.1): Engine::intr_due().
  bool intr_exits = false;
  uint32_t tlb_tag = 0;      // VPID/ASID of the translations made now
  uint64_t tlb_ctx = 0;      // EPTP/nCR3 of the translations made now
  mmu::Stage2* stage2 = nullptr;  // EPT/NPT for guest-physical addresses; null: none
  // VMX "virtualize APIC accesses": the APIC-access page (4 KiB aligned);
  // a translation to it goes through GuestHooks::apic_access. ~0: none.
  uint64_t apic_access_page = ~0ull;
  // A SIPI received in the VMX wait-for-SIPI activity state (its vector, -1:
  // none): the hooks make it a VM exit at the next boundary.
  int sipi = -1;

  // Leaving guest mode: no hooks, no polling, root tags, no stage 2.
  void leave_guest() {
    hooks = nullptr;
    poll = single_step = intr_exits = false;
    tlb_tag = 0;
    tlb_ctx = 0;
    stage2 = nullptr;
    apic_access_page = ~0ull;
    sipi = -1;
  }
};

}  // namespace hvsim::core
