#include "sim/core/sys/msr.h"

#include <algorithm>
#include <vector>

#include "sim/base/log.h"
#include "sim/core/sys/control_regs.h"
#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/mce.h"
#include "sim/core/sys/pmu.h"
#include "sim/core/sys/register.h"

namespace hvsim::core::sys {

namespace {

using msr::kVariableMtrrs;

static_assert(sizeof(ArchState::mtrr_var) / sizeof(uint64_t) == 2 * kVariableMtrrs);

[[noreturn]] void gp() {
  raise(kGP, 0);
}
void require_canonical(const Engine& e, uint64_t v) {
  if (!canonical(e, v)) gp();
}
uint64_t phys_mask(const Engine& e) {
  return (1ull << e.cpuid().maxphyaddr()) - 1;
}

// Memory types valid in MTRRs and the PAT (SDM Vol. 3 11.11.2, 11.12.2).
bool mtrr_type_ok(uint64_t t) {
  return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}
bool pat_type_ok(uint64_t t) {
  return mtrr_type_ok(t) || t == 7;
}

// A field accessor: the value lives in an ArchState member.
template <uint64_t ArchState::*kField>
uint64_t rd_field(Engine& e, uint32_t) {
  return e.s.*kField;
}
template <uint64_t ArchState::*kField>
void wr_any(Engine& e, uint32_t, uint64_t v) {
  e.s.*kField = v;
}
template <uint64_t ArchState::*kField>
void wr_canonical(Engine& e, uint32_t, uint64_t v) {
  require_canonical(e, v);
  e.s.*kField = v;
}

uint64_t rd_tsc(Engine& e, uint32_t) {
  return e.cycles() + e.s.tsc_offset;
}
// SDM Vol. 3 18.17: a write to IA32_TSC sets the counter; RDTSC continues from it.
void wr_tsc(Engine& e, uint32_t, uint64_t v) {
  e.s.tsc_offset = v - e.cycles();
}

// IA32_APIC_BASE (SDM Vol. 3 10.4.4): BSP[8], EXTD[10], EN[11], base[MAXPHYADDR-1:12].
void wr_apic_base(Engine& e, uint32_t, uint64_t v) {
  uint64_t ok = (1u << 8) | (1u << 11) | (phys_mask(e) & ~0xfffull);
  if (e.cpuid().query(1, 0).ecx & (1u << 21)) ok |= 1u << 10;
  if (v & ~ok) gp();
  // EXTD=1 with EN=0 is an invalid state (SDM Vol. 3 10.12.5 Table 10-5).
  if ((v & (1u << 10)) && !(v & (1u << 11))) gp();
  e.s.apic_base = v;
}

uint64_t rd_efer(Engine& e, uint32_t) {
  return e.s.efer;
}
void wr_efer(Engine& e, uint32_t, uint64_t v) {
  write_efer(e, v);
}

// Intel: IA32_FMASK bits 63:32 are reserved.
void wr_sfmask(Engine& e, uint32_t, uint64_t v) {
  if (v >> 32) gp();
  e.s.sfmask = v;
}
// IA32_XSS (SDM Vol. 1 13.3): no supervisor state component is supported,
// so every bit is reserved.
void wr_xss(Engine& e, uint32_t, uint64_t v) {
  if (v) gp();
  e.s.xss = v;
}

void wr_tsc_aux(Engine& e, uint32_t, uint64_t v) {
  if (v >> 32) gp();
  e.s.tsc_aux = v;
}

uint64_t rd_seg_base(Engine& e, uint32_t i) {
  return e.s.seg[i == msr::kFsBase ? FS : GS].base;
}
void wr_seg_base(Engine& e, uint32_t i, uint64_t v) {
  require_canonical(e, v);
  e.s.seg[i == msr::kFsBase ? FS : GS].base = v;
}

void wr_pat(Engine& e, uint32_t, uint64_t v) {
  for (unsigned i = 0; i < 8; ++i)
    if (!pat_type_ok((v >> (8 * i)) & 0xff)) gp();
  e.s.pat = v;
  e.flush_tlb();
}

// MTRRs (SDM Vol. 3 11.11): read back what is written, with the reserved-bit checks.
uint64_t rd_mtrr_cap(Engine&, uint32_t) {
  return kVariableMtrrs | (1u << 8) | (1u << 10);  // VCNT, FIX, WC
}
void wr_mtrr_def(Engine& e, uint32_t, uint64_t v) {
  if ((v & ~0xcffull) || !mtrr_type_ok(v & 0xff)) gp();
  e.s.mtrr_def_type = v;
}
unsigned fixed_slot(uint32_t i) {
  if (i == msr::kMtrrFix64k) return 0;
  if (i == msr::kMtrrFix16k80) return 1;
  if (i == msr::kMtrrFix16kA0) return 2;
  return 3 + (i - msr::kMtrrFix4kC0);
}
uint64_t rd_mtrr_fixed(Engine& e, uint32_t i) {
  return e.s.mtrr_fixed[fixed_slot(i)];
}
void wr_mtrr_fixed(Engine& e, uint32_t i, uint64_t v) {
  for (unsigned b = 0; b < 8; ++b)
    if (!mtrr_type_ok((v >> (8 * b)) & 0xff)) gp();
  e.s.mtrr_fixed[fixed_slot(i)] = v;
}
uint64_t rd_mtrr_var(Engine& e, uint32_t i) {
  return e.s.mtrr_var[i - msr::kMtrrPhysBase0];
}
void wr_mtrr_var(Engine& e, uint32_t i, uint64_t v) {
  const bool is_mask = (i - msr::kMtrrPhysBase0) & 1;
  const uint64_t ok = (phys_mask(e) & ~0xfffull) | (is_mask ? (1u << 11) : 0xff);
  if (v & ~ok) gp();
  if (!is_mask && !mtrr_type_ok(v & 0xff)) gp();
  e.s.mtrr_var[i - msr::kMtrrPhysBase0] = v;
}

uint64_t rd_sysenter_cs(Engine& e, uint32_t) {
  return e.s.sysenter_cs;
}
void wr_sysenter_cs(Engine& e, uint32_t, uint64_t v) {
  e.s.sysenter_cs = v & 0xffffffff;
}

// IA32_BIOS_SIGN_ID (SDM Vol. 4 Table 2-2, 8BH; Vol. 3 10.11.7.1): the
// loaded microcode update's revision in bits 63:32. hvsim loads none and
// reports revision 1, as KVM and QEMU do for Intel models; software's write
// of 0 before CPUID.01H is accepted and changes nothing.
constexpr uint64_t kMicrocodeRevision = 1;
uint64_t rd_bios_sign_id(Engine&, uint32_t) {
  return kMicrocodeRevision << 32;
}
void wr_bios_sign_id(Engine&, uint32_t, uint64_t) {}
// IA32_PLATFORM_ID (SDM Vol. 4 Table 2-2, 17H, read-only): bits 52:50 the
// platform a microcode update must match; hvsim's platform is 0.
uint64_t rd_platform_id(Engine&, uint32_t) {
  return 0;
}

std::vector<MsrDef> base_table() {
  std::vector<MsrDef> t = {
      {msr::kTsc, "IA32_TSC", &rd_tsc, &wr_tsc},
      {msr::kApicBase, "IA32_APIC_BASE", &rd_field<&ArchState::apic_base>, &wr_apic_base},
      {msr::kMtrrCap, "IA32_MTRRCAP", &rd_mtrr_cap, nullptr},
      {0x17, "IA32_PLATFORM_ID", &rd_platform_id, nullptr},
      {0x8b, "IA32_BIOS_SIGN_ID", &rd_bios_sign_id, &wr_bios_sign_id},
      {msr::kSysenterCs, "IA32_SYSENTER_CS", &rd_sysenter_cs, &wr_sysenter_cs},
      {msr::kSysenterEsp, "IA32_SYSENTER_ESP", &rd_field<&ArchState::sysenter_esp>,
       &wr_canonical<&ArchState::sysenter_esp>},
      {msr::kSysenterEip, "IA32_SYSENTER_EIP", &rd_field<&ArchState::sysenter_eip>,
       &wr_canonical<&ArchState::sysenter_eip>},
      {msr::kMiscEnable, "IA32_MISC_ENABLE", &rd_field<&ArchState::misc_enable>,
       &wr_any<&ArchState::misc_enable>},
      {msr::kMtrrFix64k, "IA32_MTRR_FIX64K_00000", &rd_mtrr_fixed, &wr_mtrr_fixed},
      {msr::kMtrrFix16k80, "IA32_MTRR_FIX16K_80000", &rd_mtrr_fixed, &wr_mtrr_fixed},
      {msr::kMtrrFix16kA0, "IA32_MTRR_FIX16K_A0000", &rd_mtrr_fixed, &wr_mtrr_fixed},
      {msr::kPat, "IA32_PAT", &rd_field<&ArchState::pat>, &wr_pat},
      {msr::kMtrrDefType, "IA32_MTRR_DEF_TYPE", &rd_field<&ArchState::mtrr_def_type>, &wr_mtrr_def},
      {msr::kEfer, "IA32_EFER", &rd_efer, &wr_efer},
      {msr::kStar, "IA32_STAR", &rd_field<&ArchState::star>, &wr_any<&ArchState::star>},
      {msr::kLstar, "IA32_LSTAR", &rd_field<&ArchState::lstar>, &wr_canonical<&ArchState::lstar>},
      {msr::kCstar, "IA32_CSTAR", &rd_field<&ArchState::cstar>, &wr_canonical<&ArchState::cstar>},
      {msr::kSfmask, "IA32_FMASK", &rd_field<&ArchState::sfmask>, &wr_sfmask},
      {msr::kFsBase, "IA32_FS_BASE", &rd_seg_base, &wr_seg_base},
      {msr::kGsBase, "IA32_GS_BASE", &rd_seg_base, &wr_seg_base},
      {msr::kKernelGsBase, "IA32_KERNEL_GS_BASE", &rd_field<&ArchState::kernel_gs_base>,
       &wr_canonical<&ArchState::kernel_gs_base>},
      {msr::kTscAux, "IA32_TSC_AUX", &rd_field<&ArchState::tsc_aux>, &wr_tsc_aux},
      {msr::kXss, "IA32_XSS", &rd_field<&ArchState::xss>, &wr_xss},
  };
  static const char* kFix4k[8] = {"IA32_MTRR_FIX4K_C0000", "IA32_MTRR_FIX4K_C8000",
                                  "IA32_MTRR_FIX4K_D0000", "IA32_MTRR_FIX4K_D8000",
                                  "IA32_MTRR_FIX4K_E0000", "IA32_MTRR_FIX4K_E8000",
                                  "IA32_MTRR_FIX4K_F0000", "IA32_MTRR_FIX4K_F8000"};
  for (uint32_t i = 0; i < 8; ++i)
    t.push_back({msr::kMtrrFix4kC0 + i, kFix4k[i], &rd_mtrr_fixed, &wr_mtrr_fixed});
  static const char* kVar[2 * kVariableMtrrs] = {
      "IA32_MTRR_PHYSBASE0", "IA32_MTRR_PHYSMASK0", "IA32_MTRR_PHYSBASE1", "IA32_MTRR_PHYSMASK1",
      "IA32_MTRR_PHYSBASE2", "IA32_MTRR_PHYSMASK2", "IA32_MTRR_PHYSBASE3", "IA32_MTRR_PHYSMASK3",
      "IA32_MTRR_PHYSBASE4", "IA32_MTRR_PHYSMASK4", "IA32_MTRR_PHYSBASE5", "IA32_MTRR_PHYSMASK5",
      "IA32_MTRR_PHYSBASE6", "IA32_MTRR_PHYSMASK6", "IA32_MTRR_PHYSBASE7", "IA32_MTRR_PHYSMASK7"};
  for (uint32_t i = 0; i < 2 * kVariableMtrrs; ++i)
    t.push_back({msr::kMtrrPhysBase0 + i, kVar[i], &rd_mtrr_var, &wr_mtrr_var});
  append_pmu_msrs(t);
  append_mce_msrs(t);
  return t;
}

std::vector<MsrDef>& table() {
  static std::vector<MsrDef> t = base_table();
  return t;
}

}  // namespace

const MsrDef* find_msr(uint32_t index) {
  const std::vector<MsrDef>& t = table();
  // Later definitions override earlier ones: search from the end.
  for (auto it = t.rbegin(); it != t.rend(); ++it)
    if (it->index == index) return &*it;
  return nullptr;
}

void add_msrs(std::span<const MsrDef> defs) {
  std::vector<MsrDef>& t = table();
  t.insert(t.end(), defs.begin(), defs.end());
}

namespace {
// An MSR hvsim does not model (or the direction it lacks): #GP(0), named in
// the log (--log cpu=info).
[[noreturn]] void unmodelled_msr(Engine& e, const char* insn, uint32_t index) {
  base::log(base::Component::cpu)
      .info("{} of MSR {:#x}, which hvsim does not model, at RIP {:#x}: #GP(0)", insn, index,
            e.insn_rip());
  raise(kGP, 0);
}
}  // namespace

uint64_t read_msr(Engine& e, uint32_t index) {
  if (ApicRegisters* a = e.apic(); a && a->handles_msr(index)) {
    uint64_t v = 0;
    if (!a->read_msr(index, v)) raise(kGP, 0);
    return v;
  }
  const MsrDef* m = find_msr(index);
  if (!m || !m->read) unmodelled_msr(e, "RDMSR", index);
  return m->read(e, index);
}

void write_msr(Engine& e, uint32_t index, uint64_t v) {
  if (ApicRegisters* a = e.apic(); a && a->handles_msr(index)) {
    // IA32_APIC_BASE, TSC_DEADLINE and the x2APIC registers (SDM Vol. 3 11.12).
    if (!a->write_msr(index, v)) raise(kGP, 0);
    if (index == msr::kApicBase) e.s.apic_base = v;
    e.notify_interrupt();
    return;
  }
  const MsrDef* m = find_msr(index);
  if (!m || !m->write) unmodelled_msr(e, "WRMSR", index);
  m->write(e, index, v);
}

namespace {

// RDMSR / WRMSR (SDM Vol. 2B): CPL 0; ECX selects, EDX:EAX holds the value.
void rdmsr(Engine& e, const DecodedInsn&) {
  if (e.s.cpl != 0 || e.s.mode == Mode::kVm86) raise(kGP, 0);
  uint64_t v = 0;
  virt::GuestHooks* g = e.guest();
  if (g) g->rdmsr(static_cast<uint32_t>(e.s.gpr[RCX]));
  if (!g || !g->msr_virtualized(static_cast<uint32_t>(e.s.gpr[RCX]), false, &v))
    v = read_msr(e, static_cast<uint32_t>(e.s.gpr[RCX]));
  e.s.gpr[RAX] = static_cast<uint32_t>(v);
  e.s.gpr[RDX] = v >> 32;
}

void wrmsr(Engine& e, const DecodedInsn&) {
  if (e.s.cpl != 0 || e.s.mode == Mode::kVm86) raise(kGP, 0);
  virt::GuestHooks* g = e.guest();
  if (g) g->wrmsr(static_cast<uint32_t>(e.s.gpr[RCX]));
  uint64_t v = (e.s.gpr[RDX] << 32) | static_cast<uint32_t>(e.s.gpr[RAX]);
  if (!g || !g->msr_virtualized(static_cast<uint32_t>(e.s.gpr[RCX]), true, &v))
    write_msr(e, static_cast<uint32_t>(e.s.gpr[RCX]), v);
  e.break_block();  // WRMSR is serializing; EFER and friends change execution
}

}  // namespace

void register_msr_insns(BinderTable& t) {
  using namespace timing;
  t.add(ZYDIS_MNEMONIC_RDMSR, &bind_plain<&rdmsr>, k_msr);
  t.add(ZYDIS_MNEMONIC_WRMSR, &bind_plain<&wrmsr>, k_msr, true);
}

}  // namespace hvsim::core::sys
