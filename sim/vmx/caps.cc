// Capability MSR values (SDM Vol. 3 appendix A) derived from vmx.* parameters.
#include "sim/vmx/caps.h"

#include "sim/virt/cost_table.h"
#include "sim/vmx/controls.h"

namespace hvsim::vmx {

void declare_cap_params(base::ParamRegistry& reg) {
  reg.add_uint("vmx.revision_id", 1, "", "VMCS revision identifier (IA32_VMX_BASIC[30:0])", 1,
               0x7fffffff);
  reg.add_bool("vmx.ept", true, "extended page tables (secondary control 1)");
  reg.add_bool("vmx.vpid", true, "virtual-processor identifiers (secondary control 5)");
  reg.add_bool("vmx.unrestricted_guest", true,
               "unrestricted guest: real mode and unpaged guests (secondary control 7, needs EPT)");
  reg.add_bool("vmx.preemption_timer", true, "VMX-preemption timer (pin-based control 6)");
  reg.add_uint("vmx.preemption_timer_rate", 5, "bits",
               "the preemption timer counts down each time TSC bit X changes (IA32_VMX_MISC[4:0])",
               0, 31);
  reg.add_bool("vmx.vmfunc", true, "VM functions: EPTP switching (secondary control 13, needs EPT)");
  reg.add_bool("vmx.ept_ad", true, "accessed and dirty flags for EPT (EPTP bit 6)");
  reg.add_bool("vmx.ept_2m", true, "EPT 2 MiB pages (IA32_VMX_EPT_VPID_CAP[16])");
  reg.add_bool("vmx.ept_1g", true, "EPT 1 GiB pages (IA32_VMX_EPT_VPID_CAP[17])");
  reg.add_bool("vmx.tpr_shadow", true, "use TPR shadow (primary control 21)");
  reg.add_bool("vmx.apicv", true,
               "APIC virtualization: virtualize APIC accesses and x2APIC mode, APIC-register "
               "virtualization, "
               "virtual-interrupt delivery, posted interrupts (secondary controls 0, 4, 8, 9, pin 7; "
               "needs vmx.tpr_shadow)");
  reg.add_bool("vmx.vmcs_shadowing", true,
               "VMCS shadowing (secondary control 14) and VMWRITE to any field, read-only "
               "exit-information fields included (IA32_VMX_MISC[29])");
  reg.add_bool("vmx.pml", true,
               "page-modification logging (secondary control 17, needs EPT A/D flags)");
}

namespace {
// Estimates for a representative modern core: exits ~1,000-2,000 cycles
// direct cost (Nehalem ~2,000, SplitX), VMREAD/VMWRITE tens of cycles
// (Core 2: 52/44, Adams & Agesen ASPLOS 2006); see
// shared/reference/published-figures.md.
const virt::CostParam<VmxCosts> kCostParams[] = {
    {"vmx.vmentry_cycles", 800, "VM entry (VMLAUNCH/VMRESUME) direct cost, an estimate",
     &VmxCosts::vmentry},
    {"vmx.vmexit_cycles", 1200, "VM exit direct cost, an estimate", &VmxCosts::vmexit},
    {"vmx.vmread_cycles", 50, "VMREAD, an estimate (Core 2: 52)", &VmxCosts::vmread},
    {"vmx.vmwrite_cycles", 45, "VMWRITE, an estimate (Core 2: 44)", &VmxCosts::vmwrite},
    {"vmx.vmptrld_cycles", 200, "VMPTRLD, an estimate", &VmxCosts::vmptrld},
    {"vmx.vmclear_cycles", 200, "VMCLEAR, an estimate", &VmxCosts::vmclear},
    {"vmx.vmxon_cycles", 1000, "VMXON / VMXOFF, an estimate", &VmxCosts::vmxon},
    {"vmx.invept_cycles", 300, "INVEPT, an estimate", &VmxCosts::invept},
    {"vmx.invvpid_cycles", 200, "INVVPID, an estimate", &VmxCosts::invvpid},
    {"vmx.vmfunc_cycles", 150, "VMFUNC EPTP switching, an estimate", &VmxCosts::vmfunc},
    {"vmx.tlb_flush_cycles", 300,
     "extra cost of the TLB flush at each VM entry and exit when VPID is off, an estimate",
     &VmxCosts::tlb_flush},
};
}  // namespace

void declare_cost_params(base::ParamRegistry& reg) { virt::declare_costs(reg, kCostParams); }

VmxCaps VmxCaps::from_config(const base::Config& cfg) {
  VmxCaps c;
  c.revision = static_cast<uint32_t>(cfg.get_uint("vmx.revision_id"));
  c.ept = cfg.get_bool("vmx.ept");
  c.vpid = cfg.get_bool("vmx.vpid");
  c.unrestricted_guest = c.ept && cfg.get_bool("vmx.unrestricted_guest");
  c.preemption_timer = cfg.get_bool("vmx.preemption_timer");
  c.preemption_timer_rate = static_cast<unsigned>(cfg.get_uint("vmx.preemption_timer_rate"));
  c.vmfunc = c.ept && cfg.get_bool("vmx.vmfunc");
  c.ept_ad = c.ept && cfg.get_bool("vmx.ept_ad");
  c.ept_2m = cfg.get_bool("vmx.ept_2m");
  c.ept_1g = cfg.get_bool("vmx.ept_1g");
  c.tpr_shadow = cfg.get_bool("vmx.tpr_shadow");
  c.apicv = c.tpr_shadow && cfg.get_bool("vmx.apicv");
  c.vmcs_shadowing = cfg.get_bool("vmx.vmcs_shadowing");
  c.pml = c.ept_ad && cfg.get_bool("vmx.pml");
  c.maxphyaddr = static_cast<uint32_t>(cfg.get_uint("cpu.phys_addr_bits"));
  return c;
}

VmxCosts VmxCosts::from_config(const base::Config& cfg) {
  return virt::costs_from_config(cfg, kCostParams);
}

namespace {
uint64_t ctl(uint32_t allowed0, uint32_t allowed1) {
  return allowed0 | (static_cast<uint64_t>(allowed1 | allowed0) << 32);
}
}  // namespace

// A.3.1
uint64_t VmxCaps::pinbased(bool true_ctls) const {
  (void)true_ctls;  // no default1 pin-based bit may be 0 on this model
  uint32_t a1 = pin::kExtIntExiting | pin::kNmiExiting | pin::kVirtualNmis;
  if (preemption_timer) a1 |= pin::kPreemptionTimer;
  if (apicv) a1 |= pin::kPostedInterrupts;
  return ctl(pin::kDefault1, a1);
}

// A.3.2
uint64_t VmxCaps::procbased(bool true_ctls) const {
  uint32_t a1 = proc::kIntrWindow | proc::kTscOffsetting | proc::kHlt | proc::kInvlpg |
                proc::kMwait | proc::kRdpmc | proc::kRdtsc | proc::kCr3Load | proc::kCr3Store |
                proc::kCr8Load | proc::kCr8Store | proc::kNmiWindow | proc::kMovDr |
                proc::kUncondIo | proc::kIoBitmaps | proc::kMtf | proc::kMsrBitmaps |
                proc::kMonitor | proc::kPause | proc::kSecondary;
  if (tpr_shadow) a1 |= proc::kTprShadow;
  return ctl(true_ctls ? proc::kTrueDefault1 : proc::kDefault1, a1);
}

// A.3.3
uint64_t VmxCaps::procbased2() const {
  uint32_t a1 = proc2::kRdtscp | proc2::kWbinvd | proc2::kInvpcid;
  if (rdrand) a1 |= proc2::kRdrand;
  if (rdseed) a1 |= proc2::kRdseed;
  if (ept) a1 |= proc2::kEpt;
  if (vpid) a1 |= proc2::kVpid;
  if (unrestricted_guest) a1 |= proc2::kUnrestricted;
  if (vmfunc) a1 |= proc2::kVmfunc;
  if (pml) a1 |= proc2::kPml;
  if (vmcs_shadowing) a1 |= proc2::kShadowVmcs;
  if (apicv)
    a1 |= proc2::kVirtApic | proc2::kVirtX2apic | proc2::kApicRegVirt | proc2::kVintd;
  return ctl(0, a1);
}

// A.4
uint64_t VmxCaps::exit_ctls(bool true_ctls) const {
  uint32_t a1 = exitc::kSaveDebug | exitc::kHostAddrSpace | exitc::kAckIntr | exitc::kSavePat |
                exitc::kLoadPat | exitc::kSaveEfer | exitc::kLoadEfer;
  if (preemption_timer) a1 |= exitc::kSaveTimer;
  if (perf_global_ctrl) a1 |= exitc::kLoadPerf;
  return ctl(true_ctls ? exitc::kTrueDefault1 : exitc::kDefault1, a1);
}

// A.5
uint64_t VmxCaps::entry_ctls(bool true_ctls) const {
  uint32_t a1 = entryc::kLoadDebug | entryc::kIa32eGuest | entryc::kLoadPat | entryc::kLoadEfer;
  if (perf_global_ctrl) a1 |= entryc::kLoadPerf;
  return ctl(true_ctls ? entryc::kTrueDefault1 : entryc::kDefault1, a1);
}

// A.1: revision, VMCS region size 4096, write-back (6) memory type, TRUE controls.
uint64_t VmxCaps::basic() const {
  return revision | (4096ull << 32) | (6ull << 50) | (1ull << 55);
}

// A.6: timer rate, EFER.LMA stored on exit, HLT and wait-for-SIPI activity
// states, CR3 targets,
// MSR lists of 512 entries; bit 29 VMWRITE to any supported field.
uint64_t VmxCaps::misc() const {
  return (preemption_timer ? preemption_timer_rate : 0) | (1u << 5) | (1u << 6) | (1u << 8) |
         (static_cast<uint64_t>(kCr3TargetCount) << 16) | (vmcs_shadowing ? 1ull << 29 : 0);
}

// A.10: execute-only, 4-level walks, UC and WB, 2M/1G pages, INVEPT
// single/all, A/D flags; INVVPID of all four types.
uint64_t VmxCaps::ept_vpid_cap() const {
  uint64_t v = 0;
  if (ept) {
    v |= (1ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 14) | (1ull << 20) | (1ull << 25) |
         (1ull << 26);
    if (ept_2m) v |= 1ull << 16;
    if (ept_1g) v |= 1ull << 17;
    if (ept_ad) v |= 1ull << 21;
  }
  if (vpid) v |= (1ull << 32) | (1ull << 40) | (1ull << 41) | (1ull << 42) | (1ull << 43);
  return v;
}

// A.11: EPTP switching only.
uint64_t VmxCaps::vmfunc_cap() const { return vmfunc ? 1 : 0; }

}  // namespace hvsim::vmx
