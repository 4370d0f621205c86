// VM exit (SDM Vol. 3 ch. 27): record the exit information, save guest
// state, the VM-exit MSR-store list, load host state, the VM-exit MSR-load
// list; charge the exit and report it.
#include "sim/core/sys/msr.h"
#include "sim/core/sys/pdpte.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/vmx.h"

namespace hvsim::vmx {

using core::Segment;

// 27.3 Saving guest state.
void Vmx::save_guest_state(VmcsRef v) {
  const core::ArchState& s = e_.s;
  // Host-owned CR0/CR4 bits keep the value the guest last loaded with them
  // (they are never changed in non-root operation), so save as is.
  v.set(F::GUEST_CR0, s.cr0);
  v.set(F::GUEST_CR3, s.cr3);
  v.set(F::GUEST_CR4, s.cr4);
  if (c_.exit & exitc::kSaveDebug) {
    v.set(F::GUEST_DR7, s.dr[7]);
    v.set(F::GUEST_IA32_DEBUGCTL, s.debugctl);
  }
  v.set(F::GUEST_SYSENTER_CS, s.sysenter_cs);
  v.set(F::GUEST_SYSENTER_ESP, s.sysenter_esp);
  v.set(F::GUEST_SYSENTER_EIP, s.sysenter_eip);
  if (c_.exit & exitc::kSavePat) v.set(F::GUEST_IA32_PAT, s.pat);
  if (c_.exit & exitc::kSaveEfer) v.set(F::GUEST_IA32_EFER, s.efer);
  // 27.3.1: IA-32e mode guest reflects EFER.LMA.
  uint32_t entry = c_.entry & ~entryc::kIa32eGuest;
  if (s.efer & core::EFER_LMA) entry |= entryc::kIa32eGuest;
  v.set(F::VM_ENTRY_CONTROLS, entry);
  auto put = [&](unsigned i, const Segment& g) {
    auto at = [&](F first) { return static_cast<F>(static_cast<unsigned>(first) + i); };
    v.set(at(F::GUEST_ES_SELECTOR), g.selector);
    v.set(at(F::GUEST_ES_BASE), g.base);
    v.set(at(F::GUEST_ES_LIMIT), g.limit);
    v.set(at(F::GUEST_ES_AR_BYTES), g.attr);
  };
  for (unsigned i = 0; i < core::kNumSegs; ++i) put(i, s.seg[i]);
  put(6, s.ldtr);
  put(7, s.tr);
  v.set(F::GUEST_GDTR_BASE, s.gdtr.base);
  v.set(F::GUEST_GDTR_LIMIT, s.gdtr.limit);
  v.set(F::GUEST_IDTR_BASE, s.idtr.base);
  v.set(F::GUEST_IDTR_LIMIT, s.idtr.limit);
  v.set(F::GUEST_RSP, s.gpr[core::RSP]);
  v.set(F::GUEST_RIP, s.rip);
  v.set(F::GUEST_RFLAGS, s.rflags);
  // 27.3.4: blocking by STI or by MOV SS.
  uint32_t ib = 0;
  if (s.interrupt_shadow)
    ib |= s.interrupt_shadow == core::kShadowMovSs ? interruptibility::kMovSs : interruptibility::kSti;
  if (s.nmi_blocked) ib |= interruptibility::kNmi;
  v.set(F::GUEST_INTERRUPTIBILITY_INFO, ib);
  v.set(F::GUEST_ACTIVITY_STATE,
        e_.waiting_for_sipi() ? kWaitSipi : e_.halted() ? kHlt : kActive);
  e_.set_wait_sipi(false);
  // 27.3.4: debug traps recognized and not delivered (held by MOV SS, or
  // behind an MTF exit); bit 12 when one was an enabled breakpoint (24.4.2).
  uint64_t pending = e_.pending_debug_traps();
  if (pending & 0xf) pending |= 1u << 12;
  v.set(F::GUEST_PENDING_DBG_EXCEPTIONS, pending);
  e_.clear_pending_debug_traps();
  // 27.3.4: with EPT, a PAE-paging guest's PDPTE registers.
  if (c_.has2(proc2::kEpt) && core::sys::pae_paging(s.cr0, s.cr4, s.efer)) {
    for (unsigned i = 0; i < 4; ++i)
      v.set(static_cast<F>(static_cast<unsigned>(F::GUEST_PDPTE0) + i), s.pdpte[i]);
  }
  if ((c_.pin & pin::kPreemptionTimer) && (c_.exit & exitc::kSaveTimer)) {
    const uint64_t left = timer_deadline_ > e_.cycles() ? timer_deadline_ - e_.cycles() : 0;
    v.set(F::VMX_PREEMPTION_TIMER_VALUE, left >> caps_.preemption_timer_rate);
  }
}

// 27.5 Loading host state.
void Vmx::load_host_state(VmcsRef v) {
  core::ArchState& s = e_.s;
  const bool as64 = c_.exit & exitc::kHostAddrSpace;
  s.cr0 = v.get(F::HOST_CR0) | VmxCaps::kCr0Fixed0;
  s.cr3 = v.get(F::HOST_CR3);
  s.cr4 = v.get(F::HOST_CR4) | VmxCaps::kCr4Fixed0;
  s.dr[7] = 0x400;
  s.debugctl = 0;  // 27.5.1
  s.sysenter_cs = v.get(F::HOST_IA32_SYSENTER_CS);
  s.sysenter_esp = v.get(F::HOST_IA32_SYSENTER_ESP);
  s.sysenter_eip = v.get(F::HOST_IA32_SYSENTER_EIP);
  if (c_.exit & exitc::kLoadPat) s.pat = v.get(F::HOST_IA32_PAT);
  if (c_.exit & exitc::kLoadPerf)  // checked at entry (26.2.2); 27.5.1
    core::sys::write_msr(e_, kPerfGlobalCtrl, v.get(F::HOST_IA32_PERF_GLOBAL_CTRL));
  if (c_.exit & exitc::kLoadEfer) {
    s.efer = v.get(F::HOST_IA32_EFER);
  } else {
    s.efer &= ~(core::EFER_LMA | core::EFER_LME);
    if (as64) s.efer |= core::EFER_LMA | core::EFER_LME;
  }
  // 27.5.2: flat segments; CS a 64-bit (or 32-bit) code segment.
  constexpr uint32_t kG = 1u << 15, kDb = 1u << 14, kL = 1u << 13, kP = 0x80, kS = 0x10;
  auto sel = [&](F f) { return static_cast<uint16_t>(v.get(f)); };
  s.seg[core::CS] = Segment{sel(F::HOST_CS_SELECTOR), 0, 0xffffffff,
                            0xb | kS | kP | kG | (as64 ? kL : kDb)};
  const F data_sel[] = {F::HOST_ES_SELECTOR, F::HOST_CS_SELECTOR, F::HOST_SS_SELECTOR,
                        F::HOST_DS_SELECTOR, F::HOST_FS_SELECTOR, F::HOST_GS_SELECTOR};
  for (unsigned i : {0u, 2u, 3u, 4u, 5u}) {
    const uint16_t x = sel(data_sel[i]);
    uint32_t ar = 0x3 | kS | kP | kDb | kG;
    if (x == 0 && !(i == core::SS && as64)) ar |= 1u << 16;  // null selector: unusable
    s.seg[i] = Segment{x, 0, 0xffffffff, ar};
  }
  s.seg[core::FS].base = v.get(F::HOST_FS_BASE);
  s.seg[core::GS].base = v.get(F::HOST_GS_BASE);
  s.tr = Segment{sel(F::HOST_TR_SELECTOR), v.get(F::HOST_TR_BASE), 0x67, 0xb | kP};
  s.ldtr = Segment{0, 0, 0, 1u << 16};
  s.gdtr = core::TableReg{v.get(F::HOST_GDTR_BASE), 0xffff};
  s.idtr = core::TableReg{v.get(F::HOST_IDTR_BASE), 0xffff};
  // 27.5.4: a host in PAE paging loads its PDPTEs from host CR3 (a reserved
  // bit would be a VMX abort; hvsim loads the entries as they are).
  if (core::sys::pae_paging(s.cr0, s.cr4, s.efer)) {
    uint64_t pdpte[4];
    core::sys::read_pdptes_phys(e_, s.cr3, pdpte);
    core::sys::set_pdptes(s, pdpte);
  }
  s.gpr[core::RSP] = v.get(F::HOST_RSP);
  s.rip = v.get(F::HOST_RIP);
  s.rflags = 2;
  s.interrupt_shadow = 0;
  e_.set_cpl(0);
  e_.set_halted(false);
  e_.update_mode();
}

namespace {
void store_exit_msrs(core::Engine& e, VmcsRef v) {
  const uint32_t n = static_cast<uint32_t>(v.get(F::VM_EXIT_MSR_STORE_COUNT));
  const uint64_t base = v.get(F::VM_EXIT_MSR_STORE_ADDR);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t index = static_cast<uint32_t>(e.read_phys(base + 16 * i, 4));
    uint64_t val = 0;
    try {
      val = core::sys::read_msr(e, index);
    } catch (const core::Fault&) {
    }  // a failure would be a VMX abort (27.4); the entry keeps 0
    e.write_phys(base + 16 * i + 8, val, 8);
  }
}
void load_exit_msrs(core::Engine& e, VmcsRef v) {
  const uint32_t n = static_cast<uint32_t>(v.get(F::VM_EXIT_MSR_LOAD_COUNT));
  const uint64_t base = v.get(F::VM_EXIT_MSR_LOAD_ADDR);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t index = static_cast<uint32_t>(e.read_phys(base + 16 * i, 4));
    try {
      core::sys::write_msr(e, index, e.read_phys(base + 16 * i + 8, 8));
    } catch (const core::Fault&) {
      e.write_phys(v.pa() + kVmcsAbortOffset, 4, 4);  // VMX abort: MSR load failed (27.7)
      e.set_last_error("VMX abort: loading host MSRs failed");
      e.shutdown();
      return;
    }
  }
}
}  // namespace

void Vmx::perform_exit(const virt::GuestExit& x) {
  VmcsRef v = vmcs();
  const uint64_t guest_rip = e_.s.rip;
  vintr_ = false;  // recognition of a virtual interrupt ends (29.2.1)
  apic_write_off_ = kNoApicWrite;
  // 27.2 Recording VM-exit information.
  // Bit 28 ("pending MTF VM exit") is set only by SMM VM exits (28.2.1), which
  // this model does not have: an instruction that exits under MTF reports
  // its own reason.
  v.set(F::VM_EXIT_REASON, x.reason);
  v.set(F::EXIT_QUALIFICATION, x.qualification);
  if (x.has_linear) v.set(F::GUEST_LINEAR_ADDRESS, x.guest_linear);
  if (x.has_physical) v.set(F::GUEST_PHYSICAL_ADDRESS, x.guest_physical);
  v.set(F::VM_EXIT_INTR_INFO, x.intr_info);
  v.set(F::VM_EXIT_INTR_ERROR_CODE, x.intr_error);
  // IDT-vectoring information: the event being delivered when this exit
  // interrupted it (27.2.4), if the core was delivering one.
  const uint32_t vectoring = x.vectoring_info ? x.vectoring_info : vectoring_info_;
  v.set(F::IDT_VECTORING_INFO_FIELD, vectoring);
  v.set(F::IDT_VECTORING_ERROR_CODE, x.vectoring_info ? x.vectoring_error : vectoring_error_);
  vectoring_info_ = 0;
  v.set(F::VM_EXIT_INSTRUCTION_LEN, x.insn_len);
  v.set(F::VMX_INSTRUCTION_INFO, x.insn_info);
  const uint32_t entry_info = static_cast<uint32_t>(v.get(F::VM_ENTRY_INTR_INFO_FIELD));
  v.set(F::VM_ENTRY_INTR_INFO_FIELD, entry_info & ~intr::kValid);
  save_guest_state(v);
  store_exit_msrs(e_, v);
  non_root_ = false;
  world_switch_tlb();
  e_.set_guest(nullptr);
  load_host_state(v);
  load_exit_msrs(e_, v);
  ++stats_.exits;
  const uint32_t basic = x.reason & 0xffff;
  switch_.exit(virt::WorldSwitch::record(x, basic, exit_reason_name(basic), guest_rip),
               costs_.vmexit);
}

// 26.8: a VM entry that fails after the controls and host state were checked
// loads host state like an exit, with bit 31 of the exit reason set; guest
// state is not saved.
void Vmx::entry_failure_exit(uint32_t reason, uint64_t qualification) {
  VmcsRef v = vmcs();
  c_ = Controls{};
  c_.exit = static_cast<uint32_t>(v.get(F::VM_EXIT_CONTROLS));
  v.set(F::VM_EXIT_REASON, reason | kExitEntryFailure);
  v.set(F::EXIT_QUALIFICATION, qualification);
  non_root_ = false;
  e_.set_guest(nullptr);
  load_host_state(v);
  load_exit_msrs(e_, v);
  ++stats_.exits;
  virt::ExitRecord r;
  r.reason = reason;
  r.reason_name = exit_reason_name(reason);
  r.qualification = qualification;
  r.guest_rip = v.get(F::GUEST_RIP);
  switch_.exit(r, costs_.vmexit);
}

}  // namespace hvsim::vmx
