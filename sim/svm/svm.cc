// SVM discovery and the Svm unit (AMD APM Vol. 2 15.4 "Enabling SVM",
// 15.30 "SVM-Related MSRs"; Vol. 3 E.4.9 CPUID 8000_000Ah): statistics,
// exit-code names, VMLOAD/VMSAVE (15.5.2), GIF (15.17), INVLPGA (15.16.3),
// the MSRs and how SVM attaches to a core.
#include "sim/svm/svm.h"

#include <cstring>
#include <mutex>

#include "sim/core/sys/control_regs.h"
#include "sim/core/sys/msr.h"
#include "sim/svm/insts.h"
#include "sim/virt/cost_table.h"

namespace hvsim::svm {

using core::Engine;

Svm::Svm(Engine& e, const SvmCaps& caps, const SvmCosts& costs)
    : e_(e), caps_(caps), costs_(costs), npt_(e) {
  if (caps_.disabled) vm_cr = msr::kVmCrSvmdis | msr::kVmCrLock;
}

Svm::~Svm() = default;

namespace {
const virt::CounterStat<SvmStats> kStats[] = {
    {"svm.vmruns", "VMRUN instructions that entered a guest", &SvmStats::vmruns},
    {"svm.exits", "#VMEXITs (VMEXIT_INVALID included)", &SvmStats::exits},
    {"svm.invalid", "VMRUNs failing their consistency checks", &SvmStats::invalid},
    {"svm.vmloads", "VMLOAD instructions", &SvmStats::vmloads},
    {"svm.vmsaves", "VMSAVE instructions", &SvmStats::vmsaves},
    {"svm.invlpgas", "INVLPGA instructions", &SvmStats::invlpgas},
    {"svm.tlb_flushes", "TLB flushes by TLB_CONTROL", &SvmStats::tlb_flushes},
    {"svm.clean_groups_skipped", "VMCB state groups VMRUN did not reload (clean bits)",
     &SvmStats::clean_groups_skipped},
};
const virt::CounterStat<Npt> kNptStats[] = {
    {"svm.npt_refs", "nested page-table entries read", &Npt::refs},
    {"svm.npt_faults", "nested page faults", &Npt::faults},
};
}  // namespace

void Svm::register_stats(base::StatRegistry& reg) {
  virt::register_counters(reg, stats_, kStats);
  virt::register_counters(reg, npt_, kNptStats);
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

// ---- VMLOAD / VMSAVE (15.5.2) ----------------------------------------------------
void Svm::vmload(uint64_t pa) {
  VmcbSave g;
  e_.phys_read(pa + offsetof(Vmcb, save), &g, sizeof g);
  load_vmsave_state(g, e_.s);
  ++stats_.vmloads;
  e_.add_own_cycles(costs_.vmload);
  e_.flush_tlb();  // FS/GS bases feed linear addresses: start from a clean host TLB
  e_.break_block();
}

void Svm::vmsave(uint64_t pa) {
  Vmcb image;  // only the fields VMSAVE writes are set and read
  save_vmsave_state(e_.s, image.save);
  write_fields(e_, pa, image, kVmsaveFields);
  ++stats_.vmsaves;
  e_.add_own_cycles(costs_.vmsave);
}

// ---- GIF (15.17) and INVLPGA (15.16.3) ----------------------------------------------
void Svm::set_gif(bool on) {
  e_.s.gif = on ? 1 : 0;
  if (on) e_.notify_interrupt();
  e_.break_block();
}

void Svm::invlpga(uint64_t la, uint32_t asid) {
  e_.mmu().flush_tag_address(asid, la);
  e_.flush_tlb_page_any(la);
  ++stats_.invlpgas;
  e_.add_own_cycles(costs_.invlpga);
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

const std::vector<virt::ExitName>& exit_names() {
  static const std::vector<virt::ExitName> n = [] {
    std::vector<virt::ExitName> v;
    for (uint32_t code = 0; code < 0x1000; ++code)
      if (const char* name = exit_code_name(code); name && !std::strncmp(name, "VMEXIT_", 7) &&
                                                       std::strcmp(name, "VMEXIT_UNKNOWN"))
        v.push_back({code, name + 7});
    return v;
  }();
  return n;
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
  v->set_exit_costs(virt::exit_costs_from_config(cfg, "svm", exit_names()));
  Svm* raw = v.get();
  e.set_virt_unit(std::move(v));
  e.extend_isa(&register_insns);
  return raw;
}

}  // namespace hvsim::svm
