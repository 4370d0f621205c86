// VMRUN (AMD APM Vol. 2 15.5 "VMRUN Instruction"): the consistency checks
// (15.5.1, entry_checks.cc), what VMRUN saves of the host, the VMCB clean
// bits (15.15.3), loading the guest, ASIDs and TLB_CONTROL (15.15-15.16),
// nested paging (15.25), event injection (15.20), then guest mode.
#include "sim/svm/svm.h"

namespace hvsim::svm {

namespace {

// The fields of each clean-bit group (15.15.3): when the group's bit is set
// they come from the cached image of the last #VMEXIT, not from memory.
struct CleanField {
  uint32_t group;
  VmcbField field;
};
const CleanField kCleanFields[] = {
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.intercept_cr)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.intercept_dr)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.intercept_exceptions)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.intercept_misc1)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.intercept_misc2)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.intercept_misc3)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.tsc_offset)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.pause_filter_count)},
    {clean::kIntercepts, HVSIM_VMCB_FIELD(control.pause_filter_threshold)},
    {clean::kIopm, HVSIM_VMCB_FIELD(control.iopm_base_pa)},
    {clean::kIopm, HVSIM_VMCB_FIELD(control.msrpm_base_pa)},
    {clean::kAsid, HVSIM_VMCB_FIELD(control.guest_asid)},
    {clean::kTpr, HVSIM_VMCB_FIELD(control.vintr)},
    {clean::kNp, HVSIM_VMCB_FIELD(control.np_control)},
    {clean::kNp, HVSIM_VMCB_FIELD(control.n_cr3)},
    {clean::kNp, HVSIM_VMCB_FIELD(save.g_pat)},
    {clean::kCrx, HVSIM_VMCB_FIELD(save.cr0)},
    {clean::kCrx, HVSIM_VMCB_FIELD(save.cr3)},
    {clean::kCrx, HVSIM_VMCB_FIELD(save.cr4)},
    {clean::kCrx, HVSIM_VMCB_FIELD(save.efer)},
    {clean::kDrx, HVSIM_VMCB_FIELD(save.dr6)},
    {clean::kDrx, HVSIM_VMCB_FIELD(save.dr7)},
    {clean::kDt, HVSIM_VMCB_FIELD(save.gdtr)},
    {clean::kDt, HVSIM_VMCB_FIELD(save.idtr)},
    {clean::kSeg, HVSIM_VMCB_FIELD(save.cs)},
    {clean::kSeg, HVSIM_VMCB_FIELD(save.ds)},
    {clean::kSeg, HVSIM_VMCB_FIELD(save.ss)},
    {clean::kSeg, HVSIM_VMCB_FIELD(save.es)},
    {clean::kSeg, HVSIM_VMCB_FIELD(save.cpl)},
    {clean::kCr2, HVSIM_VMCB_FIELD(save.cr2)},
    {clean::kLbr, HVSIM_VMCB_FIELD(save.dbgctl)},
    {clean::kLbr, HVSIM_VMCB_FIELD(save.br_from)},
    {clean::kLbr, HVSIM_VMCB_FIELD(save.br_to)},
    {clean::kLbr, HVSIM_VMCB_FIELD(save.last_excp_from)},
    {clean::kLbr, HVSIM_VMCB_FIELD(save.last_excp_to)},
    {clean::kAvic, HVSIM_VMCB_FIELD(control.avic_apic_bar)},
    {clean::kAvic, HVSIM_VMCB_FIELD(control.avic_backing_page)},
    {clean::kAvic, HVSIM_VMCB_FIELD(control.avic_logical_table)},
    {clean::kAvic, HVSIM_VMCB_FIELD(control.avic_physical_table)},
};

void keep_clean(Vmcb& v, const Vmcb& cached, uint32_t clean_bits) {
  for (const CleanField& f : kCleanFields)
    if (clean_bits & f.group) copy_fields(v, cached, {&f.field, 1});
}

}  // namespace

// ---- 15.5.1 Canonicalization and consistency checks ----------------------------
Check Svm::consistency(const Vmcb& v) const { return first_failed_check(VmrunCtx{e_, v, caps_}); }

// ---- host state in the HSAVE area (15.5: what VMRUN saves) --------------------------
void Svm::save_host() {
  VmcbSave h{};
  save_switched_state(e_.s, h);  // RIP: the instruction after VMRUN
  h.g_pat = e_.s.pat;            // restored at #VMEXIT when nested paging switched PAT
  save_lbr(e_.s, h);             // restored at #VMEXIT under LBR virtualization
  e_.phys_write(hsave_pa + kHsaveState, &h, sizeof h);
}

// ---- guest state (15.5) -------------------------------------------------------------
void Svm::load_guest(const Vmcb& v) {
  core::ArchState& s = e_.s;
  const VmcbSave& g = v.save;
  load_switched_state(g, s);
  s.cr0 = g.cr0 | core::CR0_ET;
  s.efer = g.efer & ~core::EFER_LMA;
  if ((g.efer & core::EFER_LME) && (g.cr0 & core::CR0_PG)) s.efer |= core::EFER_LMA;
  s.cr2 = g.cr2;
  s.dr[6] = g.dr6;
  s.dr[7] = g.dr7;
  s.rflags = g.rflags | 2;
  if (v.control.np_control & 1) s.pat = g.g_pat;
  if (lbr_virtualized(v.control)) load_lbr(g, s);  // 15.23
  s.interrupt_shadow = v.control.interrupt_shadow & 1;
  e_.set_cpl(!(s.cr0 & core::CR0_PE) ? 0 : (s.rflags & core::VM) ? 3 : g.cpl & 3);
  e_.update_mode();
}

void Svm::apply_translation_context() {
  const bool np = c_.np_control & 1;
  e_.set_tlb_tags(c_.guest_asid, np ? (c_.n_cr3 | 1) : 0);
  if (np) {
    VmcbSave h;
    e_.phys_read(hsave_pa + kHsaveState, &h, sizeof h);
    npt_.set_host_smep(h.cr4 & core::CR4_SMEP);
    npt_.set_root(c_.n_cr3, h.efer & core::EFER_NXE, caps_.maxphyaddr,
                  e_.cpuid().has_1g_pages());
    e_.set_stage2(&npt_);
  } else {
    e_.set_stage2(nullptr);
  }
}

// 15.16.1 TLB_CONTROL: 1 everything, 3 this ASID, 7 this ASID's non-global
// entries (flushed whole here: over-invalidation is allowed). Without
// flush-by-ASID, 3 and 7 flush everything.
void Svm::tlb_control(uint8_t tc) {
  if (tc == kTlbNothing) return;
  if (tc == kTlbFlushAll || !caps_.flush_by_asid)
    e_.mmu().flush_all();
  else
    e_.mmu().flush_tag(c_.guest_asid);
  e_.flush_tlb();
  e_.add_cycles(costs_.tlb_flush);
  ++stats_.tlb_flushes;
}

// 15.20 Event injection: delivered through the guest IDT before the first
// guest instruction; never checked against the exception intercepts.
void Svm::inject(uint64_t ev) {
  const uint8_t vec = ev & 0xff;
  const unsigned type = (ev >> 8) & 7;
  const bool has_error = ev & event::kEv;
  const uint32_t error = static_cast<uint32_t>(ev >> 32);
  e_.set_halted(false);
  switch (type) {
    case event::kSoftInt:
      try {
        e_.deliver_event(vec, false, 0, true);
      } catch (const core::Fault& f) {
        e_.deliver_fault(f);
      }
      return;
    case event::kNmi:
      e_.s.nmi_blocked = 1;
      e_.deliver_event(vec, false, 0, false, virt::EventType::kNmi);
      return;
    case event::kException:
      injecting_ = true;
      e_.deliver_event(vec, has_error, error, false, virt::EventType::kHwException);
      injecting_ = false;
      return;
    default:
      e_.deliver_event(vec, false, 0, false, virt::EventType::kExternal);
      return;
  }
}

Check Svm::vmrun(uint64_t pa) {
  Vmcb v;
  e_.phys_read(pa, &v, sizeof v);
  uint32_t clean_bits = 0;
  if (caps_.vmcb_clean && pa == cached_pa_ && v.control.guest_asid == cached_asid_)
    clean_bits = v.control.vmcb_clean & ((1u << clean::kGroups) - 1);
  if (clean_bits) keep_clean(v, cached_, clean_bits);
  const unsigned dirty = clean::kGroups - static_cast<unsigned>(__builtin_popcount(clean_bits));
  stats_.clean_groups_skipped += clean::kGroups - dirty;
  const uint64_t cost = costs_.vmrun + dirty * costs_.vmrun_group;
  save_host();
  host_if_ = e_.s.rflags & core::IF;
  vmcb_pa_ = pa;
  switch_.set_state_pa(pa);  // the VMCB this VMRUN and its #VMEXIT use
  const Check bad = consistency(v);
  if (bad != Check::kOk) {
    invalid_exit(pa, v, cost);
    return bad;
  }
  c_ = v.control;
  cur_ = v;
  v_tpr_ = static_cast<uint8_t>(c_.vintr & vintr::kTprMask);
  // Host RFLAGS.TF: VMRUN's single-step trap is taken on the host after the
  // #VMEXIT (exit.cc), not in the guest; a guest TF traps only after the
  // first guest instruction (APM Vol. 2 15.5; kvm-unit-tests host_rflags).
  if (e_.s.rflags & core::TF) e_.debug_soft_interrupt(false);
  load_guest(v);
  e_.s.gif = 1;
  in_guest_ = true;
  e_.set_guest(this);
  apply_translation_context();
  tlb_control(c_.tlb_control);
  pause_count_ = c_.pause_filter_count;
  last_pause_ = e_.cycles();
  vectoring_ = 0;
  ++stats_.vmruns;
  switch_.entry(cost);
  arm_polling();
  if (c_.eventinj & event::kValid) {
    put_field(e_, pa, offsetof(Vmcb, control.eventinj), c_.eventinj & ~event::kValid);
    try {
      inject(c_.eventinj);
    } catch (virt::GuestExit& x) {
      x.trap = true;  // an exit during injection: RIP is the guest's, not VMRUN's
      x.insn_len = 0;
      throw;
    }
  }
  e_.notify_interrupt();
  e_.break_block();
  return Check::kOk;
}

}  // namespace hvsim::svm
