// VMRUN (AMD APM Vol. 2 15.5 "VMRUN Instruction"): the consistency checks
// (15.5.1, entry_checks.cc), what VMRUN saves of the host, the VMCB clean
// bits (15.15.3), loading the guest, ASIDs and TLB_CONTROL (15.15-15.16),
// nested paging (15.25), event injection (15.20), then guest mode.
#include "sim/svm/svm.h"

namespace hvsim::svm {

namespace {

// The fields of each clean-bit group (15.15.3), copied from the cached image.
void keep_clean(Vmcb& v, const Vmcb& c, uint32_t clean_bits) {
  VmcbControl& a = v.control;
  const VmcbControl& b = c.control;
  VmcbSave& s = v.save;
  const VmcbSave& t = c.save;
  if (clean_bits & clean::kIntercepts) {
    a.intercept_cr = b.intercept_cr;
    a.intercept_dr = b.intercept_dr;
    a.intercept_exceptions = b.intercept_exceptions;
    a.intercept_misc1 = b.intercept_misc1;
    a.intercept_misc2 = b.intercept_misc2;
    a.intercept_misc3 = b.intercept_misc3;
    a.tsc_offset = b.tsc_offset;
    a.pause_filter_count = b.pause_filter_count;
    a.pause_filter_threshold = b.pause_filter_threshold;
  }
  if (clean_bits & clean::kIopm) {
    a.iopm_base_pa = b.iopm_base_pa;
    a.msrpm_base_pa = b.msrpm_base_pa;
  }
  if (clean_bits & clean::kAsid) a.guest_asid = b.guest_asid;
  if (clean_bits & clean::kTpr) a.vintr = b.vintr;
  if (clean_bits & clean::kNp) {
    a.np_control = b.np_control;
    a.n_cr3 = b.n_cr3;
    s.g_pat = t.g_pat;
  }
  if (clean_bits & clean::kCrx) {
    s.cr0 = t.cr0;
    s.cr3 = t.cr3;
    s.cr4 = t.cr4;
    s.efer = t.efer;
  }
  if (clean_bits & clean::kDrx) {
    s.dr6 = t.dr6;
    s.dr7 = t.dr7;
  }
  if (clean_bits & clean::kDt) {
    s.gdtr = t.gdtr;
    s.idtr = t.idtr;
  }
  if (clean_bits & clean::kSeg) {
    s.cs = t.cs;
    s.ds = t.ds;
    s.ss = t.ss;
    s.es = t.es;
    s.cpl = t.cpl;
  }
  if (clean_bits & clean::kCr2) s.cr2 = t.cr2;
  if (clean_bits & clean::kLbr) {
    s.dbgctl = t.dbgctl;
    s.br_from = t.br_from;
    s.br_to = t.br_to;
    s.last_excp_from = t.last_excp_from;
    s.last_excp_to = t.last_excp_to;
  }
  if (clean_bits & clean::kAvic) {
    a.avic_apic_bar = b.avic_apic_bar;
    a.avic_backing_page = b.avic_backing_page;
    a.avic_logical_table = b.avic_logical_table;
    a.avic_physical_table = b.avic_physical_table;
  }
}

}  // namespace

// ---- 15.5.1 Canonicalization and consistency checks ----------------------------
Check Svm::consistency(const Vmcb& v) const { return first_failed_check(VmrunCtx{e_, v, caps_}); }

// ---- host state in the HSAVE area (15.5: what VMRUN saves) --------------------------
void Svm::save_host() {
  const core::ArchState& s = e_.s;
  VmcbSave h{};
  h.es = seg_to_vmcb(s.seg[core::ES]);
  h.cs = seg_to_vmcb(s.seg[core::CS]);
  h.ss = seg_to_vmcb(s.seg[core::SS]);
  h.ds = seg_to_vmcb(s.seg[core::DS]);
  h.gdtr = table_to_vmcb(s.gdtr);
  h.idtr = table_to_vmcb(s.idtr);
  h.efer = s.efer;
  h.cr0 = s.cr0;
  h.cr3 = s.cr3;
  h.cr4 = s.cr4;
  h.rflags = s.rflags;
  h.rip = s.rip;  // the instruction after VMRUN
  h.rsp = s.gpr[core::RSP];
  h.rax = s.gpr[core::RAX];
  h.g_pat = s.pat;  // restored at #VMEXIT when nested paging switched PAT
  h.cpl = s.cpl;
  e_.phys_write(hsave_pa + kHsaveState, &h, sizeof h);
}

// ---- guest state (15.5) -------------------------------------------------------------
void Svm::load_guest(const Vmcb& v) {
  core::ArchState& s = e_.s;
  const VmcbSave& g = v.save;
  s.seg[core::ES] = seg_from_vmcb(g.es);
  s.seg[core::CS] = seg_from_vmcb(g.cs);
  s.seg[core::SS] = seg_from_vmcb(g.ss);
  s.seg[core::DS] = seg_from_vmcb(g.ds);
  s.gdtr = table_from_vmcb(g.gdtr);
  s.idtr = table_from_vmcb(g.idtr);
  s.cr0 = g.cr0 | core::CR0_ET;
  s.cr4 = g.cr4;
  s.cr3 = g.cr3;
  s.efer = g.efer & ~core::EFER_LMA;
  if ((g.efer & core::EFER_LME) && (g.cr0 & core::CR0_PG)) s.efer |= core::EFER_LMA;
  s.cr2 = g.cr2;
  s.dr[6] = g.dr6;
  s.dr[7] = g.dr7;
  s.rflags = g.rflags | 2;
  s.rip = g.rip;
  s.gpr[core::RSP] = g.rsp;
  s.gpr[core::RAX] = g.rax;
  if (v.control.np_control & 1) s.pat = g.g_pat;
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
  const Check bad = consistency(v);
  if (bad != Check::kOk) {
    invalid_exit(pa, v, cost);
    return bad;
  }
  c_ = v.control;
  cur_ = v;
  v_tpr_ = static_cast<uint8_t>(c_.vintr & vintr::kTprMask);
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
