// The checks of VM entry (SDM Vol. 3 26.2 "Checks on VMX Controls and
// Host-State Area", 26.3.1 "Checks on the Guest State Area"), one small
// named function each, run in the SDM's order: controls, host state, guest
// state. A control failure is VMfailValid(7), a host-state failure
// VMfailValid(8), a guest-state failure a VM-entry failure exit (reason 33)
// with the qualification given.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/core/engine.h"
#include "sim/vmx/caps.h"
#include "sim/vmx/controls.h"
#include "sim/vmx/vmcs.h"

namespace hvsim::vmx {

enum class CheckClass : uint8_t { kControl, kHost, kGuest };

// What the checks look at: the VMCS, the capabilities and the processor.
struct EntryCtx {
  core::Engine& e;
  VmcsRef v;
  const VmxCaps& caps;
  uint64_t get(F f) const { return v.get(f); }
};

using CheckFn = bool (*)(const EntryCtx&);
struct EntryCheck {
  const char* name;
  CheckClass cls;
  CheckFn ok;
  uint32_t qualification;  // guest-state failures: the exit qualification (26.8)
};

// The PDPTEs a guest entering PAE paging gets (26.3.2.4), as 26.3.1.6
// checks them: the VMCS fields with EPT, else the four entries at guest CR3.
void entry_pdptes(core::Engine& e, VmcsRef v, bool ept, uint64_t out[4]);

// Every check in SDM order.
const std::vector<EntryCheck>& entry_checks();
// The first failing check, or none.
std::optional<EntryCheck> first_failed_check(const EntryCtx& ctx);

}  // namespace hvsim::vmx
