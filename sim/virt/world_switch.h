// The cost accounting of a world switch, once for VMX and SVM: a VM entry
// (VMLAUNCH/VMRESUME, VMRUN) or a VM exit (#VMEXIT, an entry failure,
// VMEXIT_INVALID) is charged to the core's cycle count and reported to its
// ExitTracker with the cycle conventions of exit_tracker.h ("Cycle
// accounting"): an exit is stamped BEFORE its cost is charged, an entry
// AFTER. The caller decides what each switch costs (vmx.* / svm.* cycles).
#pragma once

#include <cstdint>
#include <map>

#include "sim/virt/exit_record.h"
#include "sim/virt/guest_hooks.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::core {
class Engine;
}

namespace hvsim::virt {

class WorldSwitch {
  friend struct ::hvsim::checkpoint::Access;
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

  // Exits of these reasons cost this instead of the caller's cost
  // (vmx.exit_cycles.* / svm.exit_cycles.*, exit_costs.h).
  void set_exit_costs(std::map<uint32_t, uint64_t> c) { exit_costs_ = std::move(c); }
  // The VMCS / VMCB the switches load and save, for extensions' costs
  // (sim/ext: Extension::cost, e.g. ext.vmcs_cache).
  void set_state_pa(uint64_t pa) { state_pa_ = pa; }

 private:
  core::Engine& e_;
  Arch arch_;
  std::map<uint32_t, uint64_t> exit_costs_;
  uint64_t state_pa_ = 0;
};

}  // namespace hvsim::virt
