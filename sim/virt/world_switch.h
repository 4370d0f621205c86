// The cost accounting of a world switch, once for VMX and SVM: a VM entry
// (VMLAUNCH/VMRESUME, VMRUN) or a VM exit (#VMEXIT, an entry failure,
// VMEXIT_INVALID) is charged to the core's cycle count and reported to its
// ExitTracker with the cycle conventions of exit_tracker.h ("Cycle
// accounting"): an exit is stamped BEFORE its cost is charged, an entry
// AFTER. The caller decides what each switch costs (vmx.* / svm.* cycles).
#pragma once

#include <cstdint>

#include "sim/virt/exit_record.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::core {
class Engine;
}

namespace hvsim::virt {

class WorldSwitch {
 public:
  WorldSwitch(core::Engine& e, Arch arch) : e_(e), arch_(arch) {}

  // An entry that reached the guest (or a VMRUN whose checks failed, before
  // its VMEXIT_INVALID): charges `cost`, then reports the entry.
  void entry(uint64_t cost);
  // An exit: stamps `r` (cycle, arch, exit_cost), charges `cost`, reports it.
  void exit(ExitRecord r, uint64_t cost);

  // The record of the exit `x` requested: `reason` and `name` in the
  // architecture's numbering, the guest RIP at the exit, the addresses `x`
  // carries. qualification is x's; info2 is the caller's (SVM EXITINFO2).
  static ExitRecord record(const GuestExit& x, uint32_t reason, const char* name,
                           uint64_t guest_rip);

 private:
  core::Engine& e_;
  Arch arch_;
};

}  // namespace hvsim::virt
