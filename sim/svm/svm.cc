// SVM discovery and the Svm unit (AMD APM Vol. 2 15.4 "Enabling SVM",
// 15.30 "SVM-Related MSRs"; Vol. 3 E.4.9 CPUID 8000_000Ah): parameters,
// MSRs, exit-code names and how SVM attaches to a core.
#include "sim/svm/svm.h"

#include <mutex>

#include "sim/core/sys/control_regs.h"
#include "sim/core/sys/msr.h"
#include "sim/svm/insts.h"

namespace hvsim::svm {

using core::Engine;

void declare_params(base::ParamRegistry& reg) {
  reg.add_uint("svm.revision", 1, "", "SVM revision (CPUID 8000_000Ah EAX[7:0])", 1, 0xff);
  reg.add_uint("svm.asids", 16, "count", "number of ASIDs (CPUID 8000_000Ah EBX), ASID 0 the host's",
               2, 1u << 20);
  reg.add_bool("svm.np", true, "nested paging (CPUID 8000_000Ah EDX[0])");
  reg.add_bool("svm.nrips", true, "next-RIP save on #VMEXIT (CPUID 8000_000Ah EDX[3])");
  reg.add_bool("svm.vmcb_clean", true, "VMCB clean bits (CPUID 8000_000Ah EDX[5])");
  reg.add_bool("svm.flush_by_asid", true, "TLB_CONTROL 3 and 7 (CPUID 8000_000Ah EDX[6])");
  reg.add_bool("svm.decode_assists", true, "decode assists in EXITINFO1 (CPUID 8000_000Ah EDX[7])");
  reg.add_bool("svm.pause_filter", true, "PAUSE filter count (CPUID 8000_000Ah EDX[10])");
  reg.add_bool("svm.pause_filter_threshold", true,
               "PAUSE filter cycle threshold (CPUID 8000_000Ah EDX[12])");
  reg.add_bool("svm.disabled", false,
               "firmware disabled SVM: VM_CR.SVMDIS and VM_CR.LOCK set at reset (15.30.1)");
  reg.add_uint("svm.vmrun_cycles", 600, "cycles",
               "VMRUN world switch, excluding the reload of VMCB state groups");
  reg.add_uint("svm.vmcb_group_cycles", 20, "cycles",
               "per VMCB clean-bit group VMRUN reloads (a clean group costs nothing)");
  reg.add_uint("svm.vmexit_cycles", 700, "cycles", "#VMEXIT world switch");
  reg.add_uint("svm.vmload_cycles", 100, "cycles", "VMLOAD");
  reg.add_uint("svm.vmsave_cycles", 100, "cycles", "VMSAVE");
  reg.add_uint("svm.stgi_cycles", 20, "cycles", "STGI");
  reg.add_uint("svm.clgi_cycles", 20, "cycles", "CLGI");
  reg.add_uint("svm.invlpga_cycles", 100, "cycles", "INVLPGA");
  reg.add_uint("svm.tlb_flush_cycles", 200, "cycles", "a TLB flush requested by TLB_CONTROL");
}

SvmCaps SvmCaps::from_config(const base::Config& cfg) {
  SvmCaps c;
  c.revision = static_cast<uint32_t>(cfg.get_uint("svm.revision"));
  c.asids = static_cast<uint32_t>(cfg.get_uint("svm.asids"));
  c.np = cfg.get_bool("svm.np");
  c.nrips = cfg.get_bool("svm.nrips");
  c.vmcb_clean = cfg.get_bool("svm.vmcb_clean");
  c.flush_by_asid = cfg.get_bool("svm.flush_by_asid");
  c.decode_assists = cfg.get_bool("svm.decode_assists");
  c.pause_filter = cfg.get_bool("svm.pause_filter");
  c.pause_filter_threshold = cfg.get_bool("svm.pause_filter_threshold");
  c.disabled = cfg.get_bool("svm.disabled");
  c.maxphyaddr = static_cast<uint32_t>(cfg.get_uint("cpu.phys_addr_bits"));
  return c;
}

uint32_t SvmCaps::features() const {
  uint32_t f = 0;
  if (np) f |= 1u << 0;
  if (nrips) f |= 1u << 3;
  if (vmcb_clean) f |= 1u << 5;
  if (flush_by_asid) f |= 1u << 6;
  if (decode_assists) f |= 1u << 7;
  if (pause_filter) f |= 1u << 10;
  if (pause_filter_threshold) f |= 1u << 12;
  return f;
}

SvmCosts SvmCosts::from_config(const base::Config& cfg) {
  SvmCosts c;
  c.vmrun = cfg.get_uint("svm.vmrun_cycles");
  c.vmrun_group = cfg.get_uint("svm.vmcb_group_cycles");
  c.vmexit = cfg.get_uint("svm.vmexit_cycles");
  c.vmload = cfg.get_uint("svm.vmload_cycles");
  c.vmsave = cfg.get_uint("svm.vmsave_cycles");
  c.stgi = cfg.get_uint("svm.stgi_cycles");
  c.clgi = cfg.get_uint("svm.clgi_cycles");
  c.invlpga = cfg.get_uint("svm.invlpga_cycles");
  c.tlb_flush = cfg.get_uint("svm.tlb_flush_cycles");
  return c;
}

Svm::Svm(Engine& e, const SvmCaps& caps, const SvmCosts& costs)
    : e_(e), caps_(caps), costs_(costs), npt_(e) {
  if (caps_.disabled) vm_cr = msr::kVmCrSvmdis | msr::kVmCrLock;
}

Svm::~Svm() = default;

void Svm::register_stats(base::StatRegistry& reg) {
  reg.add_counter("svm.vmruns", &stats_.vmruns, "count", "VMRUN instructions that entered a guest");
  reg.add_counter("svm.exits", &stats_.exits, "count", "#VMEXITs (VMEXIT_INVALID included)");
  reg.add_counter("svm.invalid", &stats_.invalid, "count", "VMRUNs failing their consistency checks");
  reg.add_counter("svm.vmloads", &stats_.vmloads, "count", "VMLOAD instructions");
  reg.add_counter("svm.vmsaves", &stats_.vmsaves, "count", "VMSAVE instructions");
  reg.add_counter("svm.invlpgas", &stats_.invlpgas, "count", "INVLPGA instructions");
  reg.add_counter("svm.tlb_flushes", &stats_.tlb_flushes, "count", "TLB flushes by TLB_CONTROL");
  reg.add_counter("svm.clean_groups_skipped", &stats_.clean_groups_skipped, "count",
                  "VMCB state groups VMRUN did not reload (clean bits)");
  reg.add_counter("svm.npt_refs", &npt_.refs, "count", "nested page-table entries read");
  reg.add_counter("svm.npt_faults", &npt_.faults, "count", "nested page faults");
}

const char* check_name(Check c) {
  switch (c) {
    case Check::kOk: return "ok";
    case Check::kSvmeClear: return "EFER.SVME is 0";
    case Check::kCr0CdNw: return "CR0.CD = 0 and CR0.NW = 1";
    case Check::kCr0High: return "CR0[63:32] not zero";
    case Check::kCr3Mbz: return "CR3 MBZ bit set";
    case Check::kCr4Mbz: return "CR4 MBZ bit set";
    case Check::kDr6High: return "DR6[63:32] not zero";
    case Check::kDr7High: return "DR7[63:32] not zero";
    case Check::kEferMbz: return "EFER MBZ bit set";
    case Check::kLongModeUnsupported: return "EFER.LME/LMA without long mode";
    case Check::kLmePgNoPae: return "EFER.LME and CR0.PG with CR4.PAE = 0";
    case Check::kLmePgNoPe: return "EFER.LME and CR0.PG with CR0.PE = 0";
    case Check::kLongCsLAndD: return "EFER.LME, CR0.PG, CR4.PAE, CS.L and CS.D all set";
    case Check::kNoVmrunIntercept: return "VMRUN intercept clear";
    case Check::kIopmBeyondMaxPa: return "IOPM beyond the maximum physical address";
    case Check::kMsrpmBeyondMaxPa: return "MSRPM beyond the maximum physical address";
    case Check::kBadEventInj: return "illegal event injection";
    case Check::kAsidZero: return "ASID 0";
    case Check::kNpUnsupported: return "NP_ENABLE without nested paging";
  }
  return "?";
}

const char* exit_code_name(uint64_t code) {
  static const char* const kCr[] = {
      "VMEXIT_CR0_READ",   "VMEXIT_CR1_READ",   "VMEXIT_CR2_READ",   "VMEXIT_CR3_READ",
      "VMEXIT_CR4_READ",   "VMEXIT_CR5_READ",   "VMEXIT_CR6_READ",   "VMEXIT_CR7_READ",
      "VMEXIT_CR8_READ",   "VMEXIT_CR9_READ",   "VMEXIT_CR10_READ",  "VMEXIT_CR11_READ",
      "VMEXIT_CR12_READ",  "VMEXIT_CR13_READ",  "VMEXIT_CR14_READ",  "VMEXIT_CR15_READ",
      "VMEXIT_CR0_WRITE",  "VMEXIT_CR1_WRITE",  "VMEXIT_CR2_WRITE",  "VMEXIT_CR3_WRITE",
      "VMEXIT_CR4_WRITE",  "VMEXIT_CR5_WRITE",  "VMEXIT_CR6_WRITE",  "VMEXIT_CR7_WRITE",
      "VMEXIT_CR8_WRITE",  "VMEXIT_CR9_WRITE",  "VMEXIT_CR10_WRITE", "VMEXIT_CR11_WRITE",
      "VMEXIT_CR12_WRITE", "VMEXIT_CR13_WRITE", "VMEXIT_CR14_WRITE", "VMEXIT_CR15_WRITE",
      "VMEXIT_DR0_READ",   "VMEXIT_DR1_READ",   "VMEXIT_DR2_READ",   "VMEXIT_DR3_READ",
      "VMEXIT_DR4_READ",   "VMEXIT_DR5_READ",   "VMEXIT_DR6_READ",   "VMEXIT_DR7_READ",
      "VMEXIT_DR8_READ",   "VMEXIT_DR9_READ",   "VMEXIT_DR10_READ",  "VMEXIT_DR11_READ",
      "VMEXIT_DR12_READ",  "VMEXIT_DR13_READ",  "VMEXIT_DR14_READ",  "VMEXIT_DR15_READ",
      "VMEXIT_DR0_WRITE",  "VMEXIT_DR1_WRITE",  "VMEXIT_DR2_WRITE",  "VMEXIT_DR3_WRITE",
      "VMEXIT_DR4_WRITE",  "VMEXIT_DR5_WRITE",  "VMEXIT_DR6_WRITE",  "VMEXIT_DR7_WRITE",
      "VMEXIT_DR8_WRITE",  "VMEXIT_DR9_WRITE",  "VMEXIT_DR10_WRITE", "VMEXIT_DR11_WRITE",
      "VMEXIT_DR12_WRITE", "VMEXIT_DR13_WRITE", "VMEXIT_DR14_WRITE", "VMEXIT_DR15_WRITE",
      "VMEXIT_EXCP0",      "VMEXIT_EXCP1",      "VMEXIT_EXCP2",      "VMEXIT_EXCP3",
      "VMEXIT_EXCP4",      "VMEXIT_EXCP5",      "VMEXIT_EXCP6",      "VMEXIT_EXCP7",
      "VMEXIT_EXCP8",      "VMEXIT_EXCP9",      "VMEXIT_EXCP10",     "VMEXIT_EXCP11",
      "VMEXIT_EXCP12",     "VMEXIT_EXCP13",     "VMEXIT_EXCP14",     "VMEXIT_EXCP15",
      "VMEXIT_EXCP16",     "VMEXIT_EXCP17",     "VMEXIT_EXCP18",     "VMEXIT_EXCP19",
      "VMEXIT_EXCP20",     "VMEXIT_EXCP21",     "VMEXIT_EXCP22",     "VMEXIT_EXCP23",
      "VMEXIT_EXCP24",     "VMEXIT_EXCP25",     "VMEXIT_EXCP26",     "VMEXIT_EXCP27",
      "VMEXIT_EXCP28",     "VMEXIT_EXCP29",     "VMEXIT_EXCP30",     "VMEXIT_EXCP31",
      "VMEXIT_INTR",       "VMEXIT_NMI",        "VMEXIT_SMI",        "VMEXIT_INIT",
      "VMEXIT_VINTR",      "VMEXIT_CR0_SEL_WRITE", "VMEXIT_IDTR_READ", "VMEXIT_GDTR_READ",
      "VMEXIT_LDTR_READ",  "VMEXIT_TR_READ",    "VMEXIT_IDTR_WRITE", "VMEXIT_GDTR_WRITE",
      "VMEXIT_LDTR_WRITE", "VMEXIT_TR_WRITE",   "VMEXIT_RDTSC",      "VMEXIT_RDPMC",
      "VMEXIT_PUSHF",      "VMEXIT_POPF",       "VMEXIT_CPUID",      "VMEXIT_RSM",
      "VMEXIT_IRET",       "VMEXIT_SWINT",      "VMEXIT_INVD",       "VMEXIT_PAUSE",
      "VMEXIT_HLT",        "VMEXIT_INVLPG",     "VMEXIT_INVLPGA",    "VMEXIT_IOIO",
      "VMEXIT_MSR",        "VMEXIT_TASK_SWITCH", "VMEXIT_FERR_FREEZE", "VMEXIT_SHUTDOWN",
      "VMEXIT_VMRUN",      "VMEXIT_VMMCALL",    "VMEXIT_VMLOAD",     "VMEXIT_VMSAVE",
      "VMEXIT_STGI",       "VMEXIT_CLGI",       "VMEXIT_SKINIT",     "VMEXIT_RDTSCP",
      "VMEXIT_ICEBP",      "VMEXIT_WBINVD",     "VMEXIT_MONITOR",    "VMEXIT_MWAIT",
      "VMEXIT_MWAIT_CONDITIONAL", "VMEXIT_XSETBV", "VMEXIT_RDPRU",   "VMEXIT_EFER_WRITE_TRAP",
  };
  static_assert(sizeof(kCr) / sizeof(kCr[0]) == 0x90);
  if (code < 0x90) return kCr[code];
  static const char* const kCrTrap[] = {
      "VMEXIT_CR0_WRITE_TRAP",  "VMEXIT_CR1_WRITE_TRAP",  "VMEXIT_CR2_WRITE_TRAP",
      "VMEXIT_CR3_WRITE_TRAP",  "VMEXIT_CR4_WRITE_TRAP",  "VMEXIT_CR5_WRITE_TRAP",
      "VMEXIT_CR6_WRITE_TRAP",  "VMEXIT_CR7_WRITE_TRAP",  "VMEXIT_CR8_WRITE_TRAP",
      "VMEXIT_CR9_WRITE_TRAP",  "VMEXIT_CR10_WRITE_TRAP", "VMEXIT_CR11_WRITE_TRAP",
      "VMEXIT_CR12_WRITE_TRAP", "VMEXIT_CR13_WRITE_TRAP", "VMEXIT_CR14_WRITE_TRAP",
      "VMEXIT_CR15_WRITE_TRAP"};
  if (code >= 0x90 && code < 0xa0) return kCrTrap[code - 0x90];
  switch (code) {
    case kExitInvlpgb: return "VMEXIT_INVLPGB";
    case kExitInvlpgbIllegal: return "VMEXIT_INVLPGB_ILLEGAL";
    case kExitInvpcid: return "VMEXIT_INVPCID";
    case kExitMcommit: return "VMEXIT_MCOMMIT";
    case kExitTlbsync: return "VMEXIT_TLBSYNC";
    case kExitNpf: return "VMEXIT_NPF";
    case kExitAvicIncompleteIpi: return "VMEXIT_AVIC_INCOMPLETE_IPI";
    case kExitAvicNoaccel: return "VMEXIT_AVIC_NOACCEL";
    case kExitVmgexit: return "VMEXIT_VMGEXIT";
    case kExitInvalid: return "VMEXIT_INVALID";
    case kExitBusy: return "VMEXIT_BUSY";
    default: return "VMEXIT_UNKNOWN";
  }
}

// ---- MSRs (15.30) ------------------------------------------------------------
namespace {
Svm* svm_in(Engine& e) { return dynamic_cast<Svm*>(e.virt_unit()); }

uint64_t rd_svm_msr(Engine& e, uint32_t index) {
  Svm* v = svm_in(e);
  if (!v) core::raise(core::kGP, 0);
  return index == msr::kVmCr ? v->vm_cr : v->hsave_pa;
}

// VM_CR (15.30.1): DPD, R_INIT, DIS_A20M, LOCK, SVMDIS; with LOCK set,
// LOCK and SVMDIS are read-only; other bits are reserved (#GP).
void wr_vm_cr(Engine& e, uint32_t, uint64_t val) {
  Svm* v = svm_in(e);
  if (!v || (val & ~0x1full)) core::raise(core::kGP, 0);
  constexpr uint64_t kLocked = msr::kVmCrLock | msr::kVmCrSvmdis;
  if (v->vm_cr & msr::kVmCrLock) {
    if ((val ^ v->vm_cr) & kLocked) core::raise(core::kGP, 0);
  }
  // SVMDIS cannot be set while EFER.SVME is 1.
  if ((val & msr::kVmCrSvmdis) && (e.s.efer & core::EFER_SVME)) core::raise(core::kGP, 0);
  v->vm_cr = val;
}

// VM_HSAVE_PA (15.30.4): 4 KiB aligned, below the maximum physical address.
void wr_hsave(Engine& e, uint32_t, uint64_t val) {
  Svm* v = svm_in(e);
  if (!v || (val & 0xfff) || (val >> v->caps().maxphyaddr)) core::raise(core::kGP, 0);
  v->hsave_pa = val;
}

// EFER.SVME cannot be set while VM_CR.SVMDIS is 1 (15.4); the rest is the
// core's IA32_EFER.
uint64_t rd_efer(Engine& e, uint32_t) { return e.s.efer; }
void wr_efer(Engine& e, uint32_t, uint64_t val) {
  if (Svm* v = svm_in(e)) {
    if ((val & core::EFER_SVME) && !(e.s.efer & core::EFER_SVME) && (v->vm_cr & msr::kVmCrSvmdis))
      core::raise(core::kGP, 0);
  }
  core::sys::write_efer(e, val);
}
}  // namespace

void register_msrs() {
  static std::once_flag once;
  std::call_once(once, [] {
    static const core::sys::MsrDef kDefs[] = {
        {msr::kVmCr, "VM_CR", &rd_svm_msr, &wr_vm_cr},
        {msr::kHsavePa, "VM_HSAVE_PA", &rd_svm_msr, &wr_hsave},
        {core::sys::msr::kEfer, "IA32_EFER", &rd_efer, &wr_efer},
    };
    core::sys::add_msrs(kDefs);
  });
}

Svm* attach(Engine& e, const base::Config& cfg) {
  if (!e.cpuid().has_svm()) return nullptr;
  register_msrs();
  const SvmCaps caps = SvmCaps::from_config(cfg);
  core::CpuidResult leaf;
  leaf.eax = caps.revision;
  leaf.ebx = caps.asids;
  leaf.edx = caps.features();
  e.cpuid_model().set_svm_leaf(leaf);
  auto v = std::make_unique<Svm>(e, caps, SvmCosts::from_config(cfg));
  Svm* raw = v.get();
  e.set_virt_unit(std::move(v));
  e.extend_isa(&register_insns);
  return raw;
}

}  // namespace hvsim::svm
