// What the VMX of this CPU model offers, from the vmx.* parameters, and the
// capability MSRs that report it (SDM Vol. 3 appendix A).
#pragma once

#include <cstdint>

#include "sim/base/params.h"

namespace hvsim::vmx {

struct VmxCaps {
  uint32_t revision = 1;
  bool ept = true, vpid = true, unrestricted_guest = true, preemption_timer = true;
  bool vmfunc = true, ept_ad = true, ept_1g = true, ept_2m = true, tpr_shadow = true;
  bool pml = true;
  // APIC virtualization: virtualize APIC accesses, APIC-register
  // virtualization, virtual-interrupt delivery (needs the TPR shadow).
  bool apicv = true;
  // VMCS shadowing (secondary control 14) and VMWRITE to read-only fields
  // (IA32_VMX_MISC[29]).
  bool vmcs_shadowing = true;  // page-modification logging (needs EPT with A/D flags)
  unsigned preemption_timer_rate = 5;  // the timer counts when TSC bit X changes (A.6)
  uint32_t maxphyaddr = 46;
  uint64_t cr4_fixed1 = 0;  // CR4 bits the core allows (cr4_allowed)
  // RDRAND/RDSEED exiting may be 1 only when the CPU model has the
  // instruction (CPUID; set from the core like cr4_fixed1).
  bool rdrand = true, rdseed = true;
  // IA32_PERF_GLOBAL_CTRL's writable bits (0: no Intel PMU, so no
  // load-IA32_PERF_GLOBAL_CTRL controls); set from the core.
  uint64_t perf_global_ctrl = 0;

  static VmxCaps from_config(const base::Config& cfg);

  // Allowed-0 (bits 31:0, must be 1) and allowed-1 (bits 63:32, may be 1).
  uint64_t pinbased(bool true_ctls) const;
  uint64_t procbased(bool true_ctls) const;
  uint64_t procbased2() const;
  uint64_t exit_ctls(bool true_ctls) const;
  uint64_t entry_ctls(bool true_ctls) const;
  uint64_t basic() const;
  uint64_t misc() const;
  uint64_t ept_vpid_cap() const;
  uint64_t vmfunc_cap() const;
  static constexpr uint64_t kCr0Fixed0 = 0x80000021;  // PE, NE, PG
  static constexpr uint64_t kCr0Fixed1 = 0xffffffff;
  static constexpr uint64_t kCr4Fixed0 = 1u << 13;  // VMXE
  static constexpr unsigned kCr3TargetCount = 4;
  static constexpr unsigned kMsrListMax = 512;  // MISC bits 27:25 = 0: 512 entries
};

// Cycle costs of VMX operations (vmx.*_cycles).
struct VmxCosts {
  uint64_t vmentry = 0, vmexit = 0, vmread = 0, vmwrite = 0, vmptrld = 0, vmclear = 0;
  uint64_t vmxon = 0, invept = 0, invvpid = 0, tlb_flush = 0, vmfunc = 0;
  static VmxCosts from_config(const base::Config& cfg);
};

void declare_cap_params(base::ParamRegistry& reg);
void declare_cost_params(base::ParamRegistry& reg);

// Capability MSR indices (SDM Vol. 4 Table 2-2).
inline constexpr uint32_t kPerfGlobalCtrl = 0x38f;  // IA32_PERF_GLOBAL_CTRL

namespace msr {
enum : uint32_t {
  kFeatureControl = 0x3a,
  kBasic = 0x480, kPinbased = 0x481, kProcbased = 0x482, kExit = 0x483, kEntry = 0x484,
  kMisc = 0x485, kCr0Fixed0 = 0x486, kCr0Fixed1 = 0x487, kCr4Fixed0 = 0x488,
  kCr4Fixed1 = 0x489, kVmcsEnum = 0x48a, kProcbased2 = 0x48b, kEptVpidCap = 0x48c,
  kTruePinbased = 0x48d, kTrueProcbased = 0x48e, kTrueExit = 0x48f, kTrueEntry = 0x490,
  kVmfunc = 0x491,
};
}

}  // namespace hvsim::vmx
