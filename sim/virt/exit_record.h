// One VM exit as hvsim reports it, for VMX and SVM alike (the trace, the
// per-reason summary and the statistics are built from these).
#pragma once

#include <cstdint>

namespace hvsim::virt {

// kPv: a paravirtual hypervisor's hypercalls and bounces (pv_events.h).
enum class Arch : uint8_t { kVmx, kSvm, kPv };

struct ExitRecord {
  uint64_t cycle = 0;           // core cycle count when the exit was taken, BEFORE exit_cost
                                // is charged (see exit_tracker.h, "Cycle accounting")
  uint32_t vcpu = 0;
  Arch arch = Arch::kVmx;
  uint32_t reason = 0;          // VMX basic exit reason (SDM Vol. 3 App. C) or SVM EXITCODE (APM Vol. 2 App. C)
  const char* reason_name = "";  // the manual's name: "CPUID", "EPT_VIOLATION", "VMEXIT_NPF", ...
  uint64_t qualification = 0;   // VMX exit qualification / SVM EXITINFO1
  uint64_t info2 = 0;           // SVM EXITINFO2 (0 for VMX)
  uint64_t guest_rip = 0;
  bool has_linear = false;      // guest-linear address is defined for this exit
  uint64_t guest_linear = 0;
  bool has_physical = false;    // guest-physical address is defined (EPT/NPT faults)
  uint64_t guest_physical = 0;
  uint64_t exit_cost = 0;       // cycles charged for the world switch out of the guest
  uint64_t host_cycles = 0;     // cycles from this exit to the next entry (set at that entry)
  // Added for the trace (callers leave it 0): the next entry's entry_cost,
  // set by ExitTracker at that entry; 0 when the run ended before one.
  uint64_t entry_cost = 0;
};

}  // namespace hvsim::virt
