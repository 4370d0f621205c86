// VM entry (SDM Vol. 3 ch. 26): checks, loading guest state, the VM-entry
// MSR-load list, event injection, then non-root operation.
#include <cstdio>

#include "sim/core/sys/msr.h"
#include "sim/core/sys/pdpte.h"
#include "sim/vmx/entry_checks.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/vmx.h"

namespace hvsim::vmx {

using core::Segment;

namespace {

Controls read_controls(VmcsRef v) {
  Controls c;
  c.pin = static_cast<uint32_t>(v.get(F::PIN_BASED_VM_EXEC_CONTROL));
  c.proc = static_cast<uint32_t>(v.get(F::CPU_BASED_VM_EXEC_CONTROL));
  c.proc2 = static_cast<uint32_t>(v.get(F::SECONDARY_VM_EXEC_CONTROL));
  c.exit = static_cast<uint32_t>(v.get(F::VM_EXIT_CONTROLS));
  c.entry = static_cast<uint32_t>(v.get(F::VM_ENTRY_CONTROLS));
  c.exception_bitmap = static_cast<uint32_t>(v.get(F::EXCEPTION_BITMAP));
  c.pf_mask = static_cast<uint32_t>(v.get(F::PAGE_FAULT_ERROR_CODE_MASK));
  c.pf_match = static_cast<uint32_t>(v.get(F::PAGE_FAULT_ERROR_CODE_MATCH));
  c.cr3_count = static_cast<uint32_t>(v.get(F::CR3_TARGET_COUNT));
  c.tpr_threshold = static_cast<uint32_t>(v.get(F::TPR_THRESHOLD));
  c.cr0_mask = v.get(F::CR0_GUEST_HOST_MASK);
  c.cr4_mask = v.get(F::CR4_GUEST_HOST_MASK);
  c.cr0_shadow = v.get(F::CR0_READ_SHADOW);
  c.cr4_shadow = v.get(F::CR4_READ_SHADOW);
  for (unsigned i = 0; i < 4; ++i)
    c.cr3_target[i] = v.get(static_cast<F>(static_cast<unsigned>(F::CR3_TARGET_VALUE0) + i));
  c.io_bitmap[0] = v.get(F::IO_BITMAP_A);
  c.io_bitmap[1] = v.get(F::IO_BITMAP_B);
  c.msr_bitmap = v.get(F::MSR_BITMAP);
  c.tsc_offset = v.get(F::TSC_OFFSET);
  c.eptp = v.get(F::EPT_POINTER);
  c.vmfunc = v.get(F::VM_FUNCTION_CONTROL);
  c.eptp_list = v.get(F::EPTP_LIST_ADDRESS);
  c.vapic = v.get(F::VIRTUAL_APIC_PAGE_ADDR);
  c.pml_addr = v.get(F::PML_ADDRESS);
  c.apic_access = v.get(F::APIC_ACCESS_ADDR);
  c.pinv = static_cast<uint16_t>(v.get(F::POSTED_INTR_NV));
  c.pi_desc = v.get(F::POSTED_INTR_DESC_ADDR);
  c.vmread_bitmap = v.get(F::VMREAD_BITMAP);
  c.vmwrite_bitmap = v.get(F::VMWRITE_BITMAP);
  c.link = v.get(F::VMCS_LINK_POINTER);
  for (unsigned i = 0; i < 4; ++i)
    c.eoi_exit[i] = v.get(static_cast<F>(static_cast<unsigned>(F::EOI_EXIT_BITMAP0) + i));
  c.vpid = static_cast<uint16_t>(v.get(F::VIRTUAL_PROCESSOR_ID));
  return c;
}

Segment guest_seg(VmcsRef v, unsigned i) {
  auto at = [&](F first) { return static_cast<F>(static_cast<unsigned>(first) + i); };
  return Segment{static_cast<uint16_t>(v.get(at(F::GUEST_ES_SELECTOR))), v.get(at(F::GUEST_ES_BASE)),
                 static_cast<uint32_t>(v.get(at(F::GUEST_ES_LIMIT))),
                 static_cast<uint32_t>(v.get(at(F::GUEST_ES_AR_BYTES)))};
}

}  // namespace

// 26.3.2 Loading guest state.
static void load_guest_state(core::Engine& e, VmcsRef v, const Controls& c) {
  core::ArchState& s = e.s;
  s.cr0 = v.get(F::GUEST_CR0);
  s.cr3 = v.get(F::GUEST_CR3);
  s.cr4 = v.get(F::GUEST_CR4);
  if (c.entry & entryc::kLoadDebug) {
    s.dr[7] = v.get(F::GUEST_DR7);
    s.debugctl = v.get(F::GUEST_IA32_DEBUGCTL);
  }
  s.sysenter_cs = v.get(F::GUEST_SYSENTER_CS);
  s.sysenter_esp = v.get(F::GUEST_SYSENTER_ESP);
  s.sysenter_eip = v.get(F::GUEST_SYSENTER_EIP);
  if (c.entry & entryc::kLoadPat) s.pat = v.get(F::GUEST_IA32_PAT);
  if (c.entry & entryc::kLoadPerf)  // checked: only counters that exist (26.3.2.1)
    core::sys::write_msr(e, kPerfGlobalCtrl, v.get(F::GUEST_IA32_PERF_GLOBAL_CTRL));
  const bool ia32e = c.entry & entryc::kIa32eGuest;
  if (c.entry & entryc::kLoadEfer) {
    s.efer = v.get(F::GUEST_IA32_EFER);
  } else {
    s.efer &= ~(core::EFER_LMA | core::EFER_LME);
    if (ia32e) s.efer |= core::EFER_LMA | core::EFER_LME;
  }
  // 26.3.2.4: a guest entering PAE paging gets its PDPTEs from the VMCS
  // with EPT, otherwise from guest CR3 (both checked in 26.3.1.6).
  if (core::sys::pae_paging(s.cr0, s.cr4, s.efer)) {
    uint64_t pdpte[4];
    entry_pdptes(e, v, c.has2(proc2::kEpt), pdpte);
    core::sys::set_pdptes(s, pdpte);
  }
  for (unsigned i = 0; i < core::kNumSegs; ++i) s.seg[i] = guest_seg(v, i);
  s.ldtr = guest_seg(v, 6);
  s.tr = guest_seg(v, 7);
  s.gdtr = core::TableReg{v.get(F::GUEST_GDTR_BASE), static_cast<uint16_t>(v.get(F::GUEST_GDTR_LIMIT))};
  s.idtr = core::TableReg{v.get(F::GUEST_IDTR_BASE), static_cast<uint16_t>(v.get(F::GUEST_IDTR_LIMIT))};
  s.gpr[core::RSP] = v.get(F::GUEST_RSP);
  s.rip = v.get(F::GUEST_RIP);
  s.rflags = v.get(F::GUEST_RFLAGS);
  const uint32_t ib = static_cast<uint32_t>(v.get(F::GUEST_INTERRUPTIBILITY_INFO));
  s.interrupt_shadow = (ib & interruptibility::kMovSs) ? core::kShadowMovSs
                       : (ib & interruptibility::kSti) ? core::kShadowSti
                                                        : 0;
  s.nmi_blocked = (ib & interruptibility::kNmi) ? 1 : 0;
  e.set_cpl(s.seg[core::SS].dpl());  // CPL is SS.DPL (26.3.2.2)
  e.update_mode();
}

// 26.4: the VM-entry MSR-load list; returns 0 or the failing entry (1-based).
static uint32_t load_entry_msrs(core::Engine& e, VmcsRef v) {
  const uint32_t n = static_cast<uint32_t>(v.get(F::VM_ENTRY_MSR_LOAD_COUNT));
  const uint64_t base = v.get(F::VM_ENTRY_MSR_LOAD_ADDR);
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t lo = e.read_phys(base + 16 * i, 8);
    const uint64_t data = e.read_phys(base + 16 * i + 8, 8);
    const uint32_t index = static_cast<uint32_t>(lo);
    // Reserved bits, FS/GS base, x2APIC MSRs and SMBASE may not be loaded.
    if ((lo >> 32) || index == core::sys::msr::kFsBase || index == core::sys::msr::kGsBase ||
        (index >> 8) == 0x8 || index == 0x9e)
      return i + 1;
    try {
      core::sys::write_msr(e, index, data);
    } catch (const core::Fault&) {
      return i + 1;
    }
  }
  return 0;
}

// 26.6 Event injection.
static void inject_event(Vmx& vmx, core::Engine& e, uint32_t info, uint32_t error, uint32_t len) {
  const uint8_t vec = info & 0xff;
  const unsigned type = (info >> 8) & 7;
  const bool has_error = info & intr::kErrorValid;
  if (type == intr::kSoftInt || type == intr::kSoftException || type == intr::kPrivSoftException) {
    e.s.rip += len;  // the return address follows the instruction (26.6.1.3)
    try {
      // A privileged software exception (INT1) has no DPL check and, like
      // every injected event, is not checked against the exception bitmap
      // (26.6.1): it is delivered as its own event type, never kHwException.
      if (type == intr::kPrivSoftException)
        e.deliver_event(vec, has_error, error, false, virt::EventType::kPrivSoftException);
      else
        e.deliver_event(vec, has_error, error, true);
    } catch (const core::Fault& f) {
      e.deliver_fault(f);
    }
    return;
  }
  if (type == intr::kNmi) e.s.nmi_blocked = 1;
  const virt::EventType et = type == intr::kNmi       ? virt::EventType::kNmi
                             : type == intr::kExternal ? virt::EventType::kExternal
                                                       : virt::EventType::kHwException;
  // The injected exception itself is never checked against the exception
  // bitmap (26.6.1); exceptions its delivery raises are. An injected #PF
  // leaves CR2 as the VMM set it, also when its delivery exits (the core
  // loads CR2 only for page faults the processor detects).
  vmx.set_injecting(et == virt::EventType::kHwException);
  e.deliver_event(vec, has_error, error, false, et);
  vmx.set_injecting(false);
}

EntryResult Vmx::vm_entry(bool launch) {
  // 26.1: no current VMCS, or a shadow VMCS (24.10) as the current one.
  if (!has_current() || (e_.read_phys(current_, 4) & kShadowIndicator)) {
    vm_fail_invalid();
    return EntryResult::kFailInvalid;
  }
  VmcsRef v = vmcs();
  auto fail = [&](uint32_t err) {
    ++stats_.entry_failures;
    vm_fail_valid(err);
    return EntryResult::kFailValid;
  };
  // 26.1: basic checks.
  if (e_.s.interrupt_shadow == core::kShadowMovSs) return fail(kErrEntryMovSsBlocking);
  if (launch && v.launch_state() != kClear) return fail(kErrVmlaunchNonClear);
  if (!launch && v.launch_state() != kLaunched) return fail(kErrVmresumeNonLaunched);
  // 26.2-26.3.1: controls, host state, guest state.
  const EntryCtx ctx{e_, v, caps_};
  if (auto bad = first_failed_check(ctx)) {
    if (bad->cls == CheckClass::kControl) return fail(kErrEntryInvalidControl);
    if (bad->cls == CheckClass::kHost) return fail(kErrEntryInvalidHost);
    ++stats_.entry_failures;
    entry_failure_exit(kExitInvalidGuestState, bad->qualification);
    return EntryResult::kFailGuestState;
  }
  c_ = read_controls(v);
  // 26.3.2 guest state, 26.4 MSRs.
  load_guest_state(e_, v, c_);
  non_root_ = true;
  e_.set_guest(this);
  apply_translation_context();
  if (const uint32_t bad = load_entry_msrs(e_, v)) {
    ++stats_.entry_failures;
    entry_failure_exit(kExitMsrLoadFail, bad);
    return EntryResult::kFailMsrLoad;
  }
  if (launch) v.set_launch_state(kLaunched);
  ++stats_.entries;
  world_switch_tlb();
  switch_.set_state_pa(current_);  // the VMCS this entry and its exit use
  switch_.entry(costs_.vmentry);
  // 26.7: activity state, then 26.6 event injection.
  e_.set_halted(v.get(F::GUEST_ACTIVITY_STATE) == kHlt);
  e_.set_wait_sipi(v.get(F::GUEST_ACTIVITY_STATE) == kWaitSipi);
  e_.guest_context().sipi = -1;
  const uint32_t info = static_cast<uint32_t>(v.get(F::VM_ENTRY_INTR_INFO_FIELD));
  load_pending_debug(v, info);
  arm_boundary_checks();
  if (e_.waiting_for_sipi()) e_.set_guest_poll(true);  // boundary() takes the SIPI
  enter_virtual_apic();
  if ((info & intr::kValid) && ((info >> 8) & 7) == intr::kOther) {
    // Type 7 vector 0: a pending MTF VM exit, before any instruction, even
    // with the MTF control clear (26.6.2, 25.5.2).
    v.set(F::VM_ENTRY_INTR_INFO_FIELD, info & ~intr::kValid);
    mtf_due_ = true;
    e_.set_guest_poll(true, true);
  } else if (info & intr::kValid) {
    e_.set_halted(false);
    v.set(F::VM_ENTRY_INTR_INFO_FIELD, info & ~intr::kValid);  // 27.2: cleared by the next exit
    inject_event(*this, e_, info, static_cast<uint32_t>(v.get(F::VM_ENTRY_EXCEPTION_ERROR_CODE)),
                 static_cast<uint32_t>(v.get(F::VM_ENTRY_INSTRUCTION_LEN)));
  }
  e_.break_block();
  return EntryResult::kEntered;
}

// 26.7.3: pending debug exceptions are valid with BS (bit 14) or the
// enabled-breakpoint bit (12) set. Without event injection they are a
// trap-class #DB at the first boundary, or held there by MOV-SS blocking
// until after the next instruction; an injected event drops them.
void Vmx::load_pending_debug(VmcsRef v, uint32_t entry_info) {
  e_.clear_pending_debug_traps();
  const uint64_t p = v.get(F::GUEST_PENDING_DBG_EXCEPTIONS);
  if (!(p & (core::kDr6Bs | (1u << 12))) || (entry_info & intr::kValid)) return;
  const uint32_t traps = static_cast<uint32_t>(p & (0xf | core::kDr6Bs));
  if (!traps) return;
  const uint32_t ib = static_cast<uint32_t>(v.get(F::GUEST_INTERRUPTIBILITY_INFO));
  e_.set_pending_debug_traps(traps, ib & interruptibility::kMovSs);
}

void Vmx::arm_boundary_checks() {
  const bool window = c_.proc & (proc::kIntrWindow | proc::kNmiWindow);
  const bool timer = c_.pin & pin::kPreemptionTimer;
  const bool mtf = c_.proc & proc::kMtf;
  if (timer) {
    const uint64_t ticks = vmcs().get(F::VMX_PREEMPTION_TIMER_VALUE);
    timer_deadline_ = e_.cycles() + (ticks << caps_.preemption_timer_rate);
  }
  mtf_due_ = false;
  mtf_icount_ = kNoCount;  // taken at the first boundary, before any guest instruction
  // External-interrupt exiting needs no hook at every boundary: the run
  // loop looks at a pending interrupt whatever the guest's IF (25.2) and
  // the interrupt path makes it the exit. A recognized virtual interrupt
  // (29.2.2) turns the polling on (evaluate_virtual_interrupts).
  const bool ext = c_.pin & pin::kExtIntExiting;
  e_.set_guest_poll(window || timer || mtf || e_.debug_trap_due(), mtf);
  e_.set_guest_intr_exits(ext);
  if (ext) e_.notify_interrupt();
}

}  // namespace hvsim::vmx
