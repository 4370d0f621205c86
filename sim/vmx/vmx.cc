// VMX operation, the current VMCS and the capability MSRs (SDM Vol. 3
// ch. 24, 31; appendix A), and how VMX attaches to a core.
#include "sim/vmx/vmx.h"

#include <mutex>

#include "sim/core/sys/control_regs.h"
#include "sim/core/sys/msr.h"
#include "sim/core/sys/pmu.h"
#include "sim/virt/cost_table.h"
#include "sim/virt/exit_costs.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/insts.h"

namespace hvsim::vmx {

using core::Engine;

namespace {

// Every basic exit reason and its name (exit_reasons.h), for the
// vmx.exit_cycles.<NAME> keys.
const std::vector<virt::ExitName>& exit_names() {
  static const std::vector<virt::ExitName> n{
#define HVSIM_X(id, code, name) {code, name},
      HVSIM_VMX_EXIT_REASONS(HVSIM_X)
#undef HVSIM_X
  };
  return n;
}

}  // namespace

void declare_params(base::ParamRegistry& reg) {
  declare_cap_params(reg);
  declare_cost_params(reg);
  virt::declare_exit_costs(reg, "vmx", exit_names());
}

Vmx::Vmx(Engine& e, const VmxCaps& caps, const VmxCosts& costs)
    : e_(e), caps_(caps), costs_(costs), ept_(e) {
  caps_.cr4_fixed1 = core::sys::cr4_allowed(e);
  caps_.rdrand = e.cpuid().has_rdrand();
  caps_.rdseed = e.cpuid().has_rdseed();
  caps_.perf_global_ctrl = core::sys::pmu_global_ctrl_bits(e);
}

Vmx::~Vmx() = default;

namespace {
const virt::CounterStat<VmxStats> kStats[] = {
    {"vmx.vmreads", "VMREAD instructions executed", &VmxStats::vmreads},
    {"vmx.vmwrites", "VMWRITE instructions executed", &VmxStats::vmwrites},
    {"vmx.vmptrlds", "VMPTRLD instructions executed", &VmxStats::vmptrlds},
    {"vmx.vmclears", "VMCLEAR instructions executed", &VmxStats::vmclears},
    {"vmx.entries", "successful VM entries", &VmxStats::entries},
    {"vmx.exits", "VM exits (entry failures included)", &VmxStats::exits},
    {"vmx.entry_failures", "VM entries that failed (VMfail or failure exit)",
     &VmxStats::entry_failures},
    {"vmx.invepts", "INVEPT instructions executed", &VmxStats::invepts},
    {"vmx.invvpids", "INVVPID instructions executed", &VmxStats::invvpids},
    {"vmx.vmfuncs", "VMFUNC instructions executed", &VmxStats::vmfuncs},
    {"vmx.tlb_flushes", "TLB flushes at VM entry/exit because VPID was off",
     &VmxStats::tlb_flushes},
};
const virt::CounterStat<Ept> kEptStats[] = {
    {"vmx.ept_refs", "EPT entries read by stage-2 walks", &Ept::refs},
    {"vmx.ept_violations", "EPT violations", &Ept::violations},
    {"vmx.ept_misconfigs", "EPT misconfigurations", &Ept::misconfigs},
};
}  // namespace

void Vmx::register_stats(base::StatRegistry& reg) {
  virt::register_counters(reg, stats_, kStats);
  virt::register_counters(reg, ept_, kEptStats);
}

// ---- 31.2: conventions ------------------------------------------------------
namespace {
constexpr uint64_t kStatusFlags = core::CF | core::PF | core::AF | core::ZF | core::SF | core::OF;
}

void Vmx::vm_succeed() { e_.s.rflags &= ~kStatusFlags; }

void Vmx::vm_fail_invalid() { e_.s.rflags = (e_.s.rflags & ~kStatusFlags) | core::CF; }

void Vmx::vm_fail_valid(uint32_t error) {
  e_.s.rflags = (e_.s.rflags & ~kStatusFlags) | core::ZF;
  vmcs().set(F::VM_INSTRUCTION_ERROR, error);
}

void Vmx::vm_fail(uint32_t error) {
  if (has_current())
    vm_fail_valid(error);
  else
    vm_fail_invalid();
}

// ---- VMXON / VMXOFF / VMCLEAR / VMPTRLD ----------------------------------------
void Vmx::do_vmxon(uint64_t pa) {
  vmxon_ = true;
  vmxon_ptr_ = pa;
  current_ = kNoVmcs;
  e_.s.in_vmx = 1;
}

void Vmx::do_vmxoff() {
  vmxon_ = false;
  current_ = kNoVmcs;
  e_.s.in_vmx = 0;
  // An INIT held while in VMX root operation (25.2) is taken now, whatever
  // RFLAGS.IF: have the next boundary look at the interrupt controller.
  e_.notify_interrupt();
}

// 31.3 VMCLEAR: the region's data is already in memory (no cache to flush);
// the launch state becomes clear.
void Vmx::do_vmclear(uint64_t pa) {
  VmcsRef(e_, pa).set_launch_state(kClear);
  if (pa == current_) current_ = kNoVmcs;
}

void Vmx::do_vmptrld(uint64_t pa) { current_ = pa; }

// ---- VMREAD / VMWRITE (31.3) ---------------------------------------------------
bool Vmx::vmread(uint64_t encoding, uint64_t* value, uint32_t* error, uint64_t vmcs_pa) {
  F f;
  bool high;
  if (!lookup_field(encoding, &f, &high)) {
    *error = kErrUnsupportedField;
    return false;
  }
  const uint64_t v = VmcsRef(e_, vmcs_pa == kNoVmcs ? current_ : vmcs_pa).get(f);
  *value = high ? (v >> 32) : v;
  return true;
}

bool Vmx::shadowed(uint64_t encoding, bool write) {
  if (!c_.has2(proc2::kShadowVmcs) || (encoding >> 15)) return false;
  const uint64_t bitmap = write ? c_.vmwrite_bitmap : c_.vmread_bitmap;
  return !((e_.read_phys(bitmap + ((encoding & 0x7fff) >> 3), 1) >> (encoding & 7)) & 1);
}

bool Vmx::vmwrite(uint64_t encoding, uint64_t value, uint32_t* error, uint64_t vmcs_pa) {
  F f;
  bool high;
  if (!lookup_field(encoding, &f, &high)) {
    *error = kErrUnsupportedField;
    return false;
  }
  if (field_info(f).read_only && !caps_.vmcs_shadowing) {  // IA32_VMX_MISC[29] = 0
    *error = kErrVmwriteReadOnly;
    return false;
  }
  VmcsRef v(e_, vmcs_pa == kNoVmcs ? current_ : vmcs_pa);
  if (high)
    v.set(f, (v.get(f) & 0xffffffffull) | (value << 32));
  else if (field_info(f).width == Width::W64 && !e_.long64())
    v.set(f, static_cast<uint32_t>(value));  // a 32-bit operand clears bits 63:32
  else
    v.set(f, value);
  return true;
}

// ---- translation context ---------------------------------------------------------
void Vmx::apply_translation_context() {
  const bool ept = c_.has2(proc2::kEpt);
  const bool vpid = c_.has2(proc2::kVpid) && c_.vpid != 0;
  // Without VPID, guest translations use tag 0 like the host's and are
  // flushed at every world switch (28.3.3.3, 29.1).
  e_.set_tlb_tags(vpid ? c_.vpid : 0, ept ? c_.eptp : 0);
  if (ept) {
    ept_.set_eptp(c_.eptp, caps_);
    ept_.set_dirty_log(c_.has2(proc2::kPml) ? &pml_ : nullptr);
    e_.set_stage2(&ept_);
  } else {
    e_.set_stage2(nullptr);
  }
}

// 29.3.6: an index outside 0-511 means the log is full (a PML-full VM exit
// before the dirty flag is set); else the 4 KiB-aligned guest-physical
// address goes to entry `index` and the index is decremented.
bool Vmx::PmlLog::log(uint64_t gpa_page) {
  VmcsRef v = v_.vmcs();
  const uint64_t index = v.get(F::GUEST_PML_INDEX) & 0xffff;
  if (index > 511) return false;
  v_.e_.write_phys(v_.c_.pml_addr + 8 * index, gpa_page, 8);
  v.set(F::GUEST_PML_INDEX, (index - 1) & 0xffff);
  return true;
}

void Vmx::switch_eptp(uint64_t eptp, uint16_t index) {
  c_.eptp = eptp;
  vmcs().set(F::EPT_POINTER, eptp);
  vmcs().set(F::EPTP_INDEX, index);
  apply_translation_context();
  e_.flush_tlb();
  e_.break_block();
}

// Every world switch flushes the untagged host-pointer TLB; without VPID
// the architectural TLBs of tag 0 go too, at a cost.
void Vmx::world_switch_tlb() {
  e_.flush_tlb();
  if (!(c_.has2(proc2::kVpid) && c_.vpid != 0)) {
    e_.mmu().flush_tag(0);
    e_.add_cycles(costs_.tlb_flush);
    ++stats_.tlb_flushes;
  }
}

// ---- MSRs (SDM Vol. 4; appendix A) -----------------------------------------------
namespace {
Vmx* vmx_in(Engine& e) { return dynamic_cast<Vmx*>(e.virt_unit()); }

uint64_t rd_cap(Engine& e, uint32_t index) {
  Vmx* v = vmx_in(e);
  if (!v) core::raise(core::kGP, 0);
  const VmxCaps& c = v->caps();
  switch (index) {
    case msr::kFeatureControl: return v->feature_control;
    case msr::kBasic: return c.basic();
    case msr::kPinbased: return c.pinbased(false);
    case msr::kProcbased: return c.procbased(false);
    case msr::kExit: return c.exit_ctls(false);
    case msr::kEntry: return c.entry_ctls(false);
    case msr::kMisc: return c.misc();
    case msr::kCr0Fixed0: return VmxCaps::kCr0Fixed0;
    case msr::kCr0Fixed1: return VmxCaps::kCr0Fixed1;
    case msr::kCr4Fixed0: return VmxCaps::kCr4Fixed0;
    case msr::kCr4Fixed1: return c.cr4_fixed1;
    case msr::kVmcsEnum: return static_cast<uint64_t>(highest_field_index()) << 1;
    case msr::kProcbased2: return c.procbased2();
    case msr::kEptVpidCap: return c.ept_vpid_cap();
    case msr::kTruePinbased: return c.pinbased(true);
    case msr::kTrueProcbased: return c.procbased(true);
    case msr::kTrueExit: return c.exit_ctls(true);
    case msr::kTrueEntry: return c.entry_ctls(true);
    case msr::kVmfunc: return c.vmfunc_cap();
    default: core::raise(core::kGP, 0);
  }
}

// IA32_FEATURE_CONTROL: lock (bit 0), VMXON inside SMX (1), outside SMX (2);
// #GP once locked (SDM Vol. 3 23.7).
void wr_feature_control(Engine& e, uint32_t, uint64_t val) {
  Vmx* v = vmx_in(e);
  if (!v || (v->feature_control & 1) || (val & ~0x7ull)) core::raise(core::kGP, 0);
  v->feature_control = val;
}
}  // namespace

void register_msrs() {
  static std::once_flag once;
  std::call_once(once, [] {
    static const core::sys::MsrDef kDefs[] = {
        {msr::kFeatureControl, "IA32_FEATURE_CONTROL", &rd_cap, &wr_feature_control},
        {msr::kBasic, "IA32_VMX_BASIC", &rd_cap, nullptr},
        {msr::kPinbased, "IA32_VMX_PINBASED_CTLS", &rd_cap, nullptr},
        {msr::kProcbased, "IA32_VMX_PROCBASED_CTLS", &rd_cap, nullptr},
        {msr::kExit, "IA32_VMX_EXIT_CTLS", &rd_cap, nullptr},
        {msr::kEntry, "IA32_VMX_ENTRY_CTLS", &rd_cap, nullptr},
        {msr::kMisc, "IA32_VMX_MISC", &rd_cap, nullptr},
        {msr::kCr0Fixed0, "IA32_VMX_CR0_FIXED0", &rd_cap, nullptr},
        {msr::kCr0Fixed1, "IA32_VMX_CR0_FIXED1", &rd_cap, nullptr},
        {msr::kCr4Fixed0, "IA32_VMX_CR4_FIXED0", &rd_cap, nullptr},
        {msr::kCr4Fixed1, "IA32_VMX_CR4_FIXED1", &rd_cap, nullptr},
        {msr::kVmcsEnum, "IA32_VMX_VMCS_ENUM", &rd_cap, nullptr},
        {msr::kProcbased2, "IA32_VMX_PROCBASED_CTLS2", &rd_cap, nullptr},
        {msr::kEptVpidCap, "IA32_VMX_EPT_VPID_CAP", &rd_cap, nullptr},
        {msr::kTruePinbased, "IA32_VMX_TRUE_PINBASED_CTLS", &rd_cap, nullptr},
        {msr::kTrueProcbased, "IA32_VMX_TRUE_PROCBASED_CTLS", &rd_cap, nullptr},
        {msr::kTrueExit, "IA32_VMX_TRUE_EXIT_CTLS", &rd_cap, nullptr},
        {msr::kTrueEntry, "IA32_VMX_TRUE_ENTRY_CTLS", &rd_cap, nullptr},
        {msr::kVmfunc, "IA32_VMX_VMFUNC", &rd_cap, nullptr},
    };
    core::sys::add_msrs(kDefs);
  });
}

Vmx* attach(Engine& e, const base::Config& cfg) {
  if (!e.cpuid().has_vmx()) return nullptr;
  register_msrs();
  auto v = std::make_unique<Vmx>(e, VmxCaps::from_config(cfg), VmxCosts::from_config(cfg));
  v->set_exit_costs(virt::exit_costs_from_config(cfg, "vmx", exit_names()));
  Vmx* raw = v.get();
  e.set_virt_unit(std::move(v));
  e.extend_isa(&register_insns);
  return raw;
}

}  // namespace hvsim::vmx
