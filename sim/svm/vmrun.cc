// VMRUN and #VMEXIT (AMD APM Vol. 2 15.5 "VMRUN Instruction", 15.5.1
// consistency checks, 15.6 #VMEXIT, 15.5.2 VMLOAD/VMSAVE, 15.15 ASIDs and
// TLB_CONTROL, 15.15.3 VMCB clean bits, 15.17 GIF, 15.20 event injection).
#include <cstring>

#include "sim/core/sys/control_regs.h"
#include "sim/svm/svm.h"
#include "sim/virt/exit_tracker.h"

namespace hvsim::svm {

using core::Segment;

namespace {

constexpr uint64_t kHsaveState = 0x400;  // host state: the state-save layout at HSAVE + 400h

Segment seg_in(const VmcbSeg& s) {
  return Segment{s.selector, s.base, s.limit, attr_from_vmcb(s.attrib)};
}
VmcbSeg seg_out(const Segment& s) {
  return VmcbSeg{s.selector, attr_to_vmcb(s.attr), s.limit, s.base};
}
VmcbSeg table_out(const core::TableReg& t) { return VmcbSeg{0, 0, t.limit, t.base}; }
core::TableReg table_in(const VmcbSeg& s) {
  return core::TableReg{s.base, static_cast<uint16_t>(s.limit)};
}

template <typename T>
void put(core::Engine& e, uint64_t pa, size_t off, const T& v) {
  e.phys_write(pa + off, &v, sizeof v);
}

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
Check Svm::consistency(const Vmcb& v) const {
  const VmcbSave& s = v.save;
  const VmcbControl& c = v.control;
  const uint64_t maxpa_limit = 1ull << caps_.maxphyaddr;
  if (!(s.efer & core::EFER_SVME)) return Check::kSvmeClear;
  if (!(s.cr0 & core::CR0_CD) && (s.cr0 & core::CR0_NW)) return Check::kCr0CdNw;
  if (s.cr0 >> 32) return Check::kCr0High;
  const bool lme_pg = (s.efer & core::EFER_LME) && (s.cr0 & core::CR0_PG);
  // CR3: bits above MAXPHYADDR in long mode (and bits 63:52 reserved), 63:32 otherwise.
  if (lme_pg ? (s.cr3 >> caps_.maxphyaddr) != 0 : (s.cr3 >> 32) != 0) return Check::kCr3Mbz;
  if (s.cr4 & ~core::sys::cr4_allowed(e_)) return Check::kCr4Mbz;
  if (s.dr6 >> 32) return Check::kDr6High;
  if (s.dr7 >> 32) return Check::kDr7High;
  if (s.efer & ~core::sys::efer_allowed(e_)) return Check::kEferMbz;
  if (lme_pg && !(s.cr4 & core::CR4_PAE)) return Check::kLmePgNoPae;
  if (lme_pg && !(s.cr0 & core::CR0_PE)) return Check::kLmePgNoPe;
  // CS.L (attrib bit 9) and CS.D (bit 10) together in long mode.
  if (lme_pg && (s.cr4 & core::CR4_PAE) && (s.cs.attrib & (1u << 9)) && (s.cs.attrib & (1u << 10)))
    return Check::kLongCsLAndD;
  if (!(c.intercept_misc2 & misc2::kVmrun)) return Check::kNoVmrunIntercept;
  if ((c.iopm_base_pa & ~0xfffull) + 0x3000 > maxpa_limit) return Check::kIopmBeyondMaxPa;
  if ((c.msrpm_base_pa & ~0xfffull) + 0x2000 > maxpa_limit) return Check::kMsrpmBeyondMaxPa;
  if (c.eventinj & event::kValid) {
    const unsigned type = (c.eventinj >> 8) & 7;
    const unsigned vec = c.eventinj & 0xff;
    if (type != event::kIntr && type != event::kNmi && type != event::kException &&
        type != event::kSoftInt)
      return Check::kBadEventInj;
    if (type == event::kException && (vec == core::kNMI || vec > 31)) return Check::kBadEventInj;
  }
  if (c.guest_asid == 0) return Check::kAsidZero;
  if ((c.np_control & 1) && !caps_.np) return Check::kNpUnsupported;
  return Check::kOk;
}

// ---- host state in the HSAVE area (15.5: what VMRUN saves) --------------------------
void Svm::save_host() {
  const core::ArchState& s = e_.s;
  VmcbSave h{};
  h.es = seg_out(s.seg[core::ES]);
  h.cs = seg_out(s.seg[core::CS]);
  h.ss = seg_out(s.seg[core::SS]);
  h.ds = seg_out(s.seg[core::DS]);
  h.gdtr = table_out(s.gdtr);
  h.idtr = table_out(s.idtr);
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

void Svm::load_host() {
  core::ArchState& s = e_.s;
  VmcbSave h;
  e_.phys_read(hsave_pa + kHsaveState, &h, sizeof h);
  s.seg[core::ES] = seg_in(h.es);
  s.seg[core::CS] = seg_in(h.cs);
  s.seg[core::SS] = seg_in(h.ss);
  s.seg[core::DS] = seg_in(h.ds);
  s.gdtr = table_in(h.gdtr);
  s.idtr = table_in(h.idtr);
  s.efer = h.efer;
  s.cr0 = h.cr0 | core::CR0_PE;
  s.cr4 = h.cr4;
  s.cr3 = h.cr3;
  s.rflags = h.rflags;
  s.rip = h.rip;
  s.gpr[core::RSP] = h.rsp;
  s.gpr[core::RAX] = h.rax;
  if (c_.np_control & 1) s.pat = h.g_pat;
  s.dr[7] = 0x400;  // breakpoints disabled (15.6)
  s.interrupt_shadow = 0;
  e_.set_cpl(0);
  e_.set_halted(false);
  e_.update_mode();
}

// ---- guest state (15.5) -------------------------------------------------------------
void Svm::load_guest(const Vmcb& v) {
  core::ArchState& s = e_.s;
  const VmcbSave& g = v.save;
  s.seg[core::ES] = seg_in(g.es);
  s.seg[core::CS] = seg_in(g.cs);
  s.seg[core::SS] = seg_in(g.ss);
  s.seg[core::DS] = seg_in(g.ds);
  s.gdtr = table_in(g.gdtr);
  s.idtr = table_in(g.idtr);
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
    // #VMEXIT(VMEXIT_INVALID): host state back, GIF = 0 (15.5.1).
    put(e_, pa, offsetof(Vmcb, control.exitcode), static_cast<uint64_t>(kExitInvalid));
    put(e_, pa, offsetof(Vmcb, control.exitinfo1), uint64_t{0});
    put(e_, pa, offsetof(Vmcb, control.exitinfo2), uint64_t{0});
    put(e_, pa, offsetof(Vmcb, control.exitintinfo), uint64_t{0});
    c_ = VmcbControl{};
    cached_pa_ = ~0ull;
    e_.s.gif = 0;
    load_host();
    ++stats_.invalid;
    ++stats_.exits;
    // The attempt costs a VMRUN and a #VMEXIT; the tracker sees an entry
    // immediately followed by its VMEXIT_INVALID.
    e_.add_cycles(cost);
    const uint64_t cycle = e_.cycles();
    e_.add_cycles(costs_.vmexit);
    if (virt::ExitTracker* t = e_.exit_tracker()) {
      t->on_entry(cycle, cost);
      virt::ExitRecord r;
      r.cycle = cycle;
      r.arch = virt::Arch::kSvm;
      r.reason = static_cast<uint32_t>(kExitInvalid);
      r.reason_name = exit_code_name(kExitInvalid);
      r.guest_rip = v.save.rip;
      r.exit_cost = costs_.vmexit;
      t->on_exit(r);
    }
    e_.break_block();
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
  e_.add_cycles(cost);
  if (virt::ExitTracker* t = e_.exit_tracker()) t->on_entry(e_.cycles(), cost);
  arm_polling();
  if (c_.eventinj & event::kValid) {
    put(e_, pa, offsetof(Vmcb, control.eventinj), c_.eventinj & ~event::kValid);
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

// Decode assists (15.33.4): the bytes of the instruction at guest RIP, up to
// 15, as far as they can be read without leaving the page or faulting.
void Svm::fetch_insn_bytes(VmcbControl& c) {
  const uint64_t saved_info2 = info2_, saved_vectoring = vectoring_;
  const core::ArchState& s = e_.s;
  unsigned n = 0;
  try {
    for (; n < 15; ++n) {
      uint64_t la = s.seg[core::CS].base + s.rip + n;
      if (!e_.long64()) la = static_cast<uint32_t>(la);
      if (n && !(la & 0xfff)) break;
      c.guest_insn_bytes[n] = e_.read_sys<uint8_t>(la);
    }
  } catch (const core::Fault&) {
  } catch (const virt::GuestExit&) {
  }
  c.guest_insn_len = static_cast<uint8_t>(n);
  info2_ = saved_info2;
  vectoring_ = saved_vectoring;
}

void Svm::perform_exit(const virt::GuestExit& x) {
  const core::ArchState& s = e_.s;
  const uint64_t pa = vmcb_pa_;
  const uint64_t guest_rip = s.rip;
  Vmcb& v = cur_;
  // Exit information (15.6, 15.7).
  v.control.exitcode = x.reason;
  v.control.exitinfo1 = x.qualification;
  v.control.exitinfo2 = info2_;
  v.control.exitintinfo = vectoring_;
  v.control.nrip = caps_.nrips && x.insn_len ? guest_rip + x.insn_len : 0;
  v.control.guest_insn_len = 0;
  if (caps_.decode_assists && (x.reason == kExitExcp0 + unsigned{core::kPF} || x.reason == kExitNpf))
    fetch_insn_bytes(v.control);
  v.control.eventinj &= ~event::kValid;
  v.control.vintr = (c_.vintr & ~(vintr::kTprMask | vintr::kIrq)) | (v_tpr_ & vintr::kTprMask) |
                    (c_.vintr & vintr::kIrq);
  v.control.interrupt_shadow = (s.interrupt_shadow ? 1 : 0) | ((s.rflags & core::IF) ? 2 : 0);
  // Guest state (15.6).
  VmcbSave& g = v.save;
  g.es = seg_out(s.seg[core::ES]);
  g.cs = seg_out(s.seg[core::CS]);
  g.ss = seg_out(s.seg[core::SS]);
  g.ds = seg_out(s.seg[core::DS]);
  g.gdtr = table_out(s.gdtr);
  g.idtr = table_out(s.idtr);
  g.efer = s.efer;
  g.cr4 = s.cr4;
  g.cr3 = s.cr3;
  g.cr2 = s.cr2;
  g.cr0 = s.cr0;
  g.dr7 = s.dr[7];
  g.dr6 = s.dr[6];
  g.rflags = s.rflags;
  g.rip = s.rip;
  g.rsp = s.gpr[core::RSP];
  g.rax = s.gpr[core::RAX];
  g.cpl = s.cpl;
  if (c_.np_control & 1) g.g_pat = s.pat;
  // Write back only what #VMEXIT writes: V_TPR/V_IRQ, the interrupt shadow,
  // EXITCODE..EXITINTINFO, EVENTINJ, NRIP and the fetched bytes; the
  // state-save area's ES..DS, GDTR, IDTR, CPL, EFER, CR/DR, RFLAGS, RIP, RSP,
  // RAX, CR2, G_PAT.
  const auto* raw = reinterpret_cast<const uint8_t*>(&v);
  e_.phys_write(pa + 0x060, raw + 0x060, 0x090 - 0x060);  // 060h..08Fh
  put(e_, pa, offsetof(Vmcb, control.eventinj), v.control.eventinj);
  e_.phys_write(pa + 0x0c8, raw + 0x0c8, 0x0e0 - 0x0c8);  // NRIP, guest instruction bytes
  put(e_, pa, offsetof(Vmcb, save.es), g.es);
  put(e_, pa, offsetof(Vmcb, save.cs), g.cs);
  put(e_, pa, offsetof(Vmcb, save.ss), g.ss);
  put(e_, pa, offsetof(Vmcb, save.ds), g.ds);
  put(e_, pa, offsetof(Vmcb, save.gdtr), g.gdtr);
  put(e_, pa, offsetof(Vmcb, save.idtr), g.idtr);
  put(e_, pa, offsetof(Vmcb, save.cpl), g.cpl);
  put(e_, pa, offsetof(Vmcb, save.efer), g.efer);
  e_.phys_write(pa + offsetof(Vmcb, save.cr4), &g.cr4, 0x580 - 0x548);  // CR4..RIP
  put(e_, pa, offsetof(Vmcb, save.rsp), g.rsp);
  put(e_, pa, offsetof(Vmcb, save.rax), g.rax);
  put(e_, pa, offsetof(Vmcb, save.cr2), g.cr2);
  put(e_, pa, offsetof(Vmcb, save.g_pat), g.g_pat);
  cached_ = v;
  cached_pa_ = pa;
  cached_asid_ = c_.guest_asid;
  vectoring_ = 0;
  info2_ = 0;
  injecting_ = false;
  // Leave the guest: host state from HSAVE, GIF = 0.
  in_guest_ = false;
  e_.set_guest(nullptr);
  e_.s.gif = 0;
  load_host();
  ++stats_.exits;
  const uint64_t exit_cycle = e_.cycles();
  e_.add_cycles(costs_.vmexit);
  if (virt::ExitTracker* t = e_.exit_tracker()) {
    virt::ExitRecord r;
    r.cycle = exit_cycle;
    r.arch = virt::Arch::kSvm;
    r.reason = static_cast<uint32_t>(v.control.exitcode);
    r.reason_name = exit_code_name(v.control.exitcode);
    r.qualification = v.control.exitinfo1;
    r.info2 = v.control.exitinfo2;
    r.guest_rip = guest_rip;
    r.has_linear = x.has_linear;
    r.guest_linear = x.guest_linear;
    r.has_physical = x.has_physical;
    r.guest_physical = x.guest_physical;
    r.exit_cost = costs_.vmexit;
    t->on_exit(r);
  }
}

// ---- VMLOAD / VMSAVE (15.5.2) ----------------------------------------------------
void Svm::vmload(uint64_t pa) {
  VmcbSave g;
  e_.phys_read(pa + 0x400, &g, sizeof g);
  core::ArchState& s = e_.s;
  s.seg[core::FS] = seg_in(g.fs);
  s.seg[core::GS] = seg_in(g.gs);
  s.tr = seg_in(g.tr);
  s.ldtr = seg_in(g.ldtr);
  s.kernel_gs_base = g.kernel_gs_base;
  s.star = g.star;
  s.lstar = g.lstar;
  s.cstar = g.cstar;
  s.sfmask = g.sfmask;
  s.sysenter_cs = g.sysenter_cs;
  s.sysenter_esp = g.sysenter_esp;
  s.sysenter_eip = g.sysenter_eip;
  ++stats_.vmloads;
  e_.add_cycles(costs_.vmload);
  e_.flush_tlb();  // FS/GS bases feed linear addresses: start from a clean host TLB
  e_.break_block();
}

void Svm::vmsave(uint64_t pa) {
  const core::ArchState& s = e_.s;
  put(e_, pa, offsetof(Vmcb, save.fs), seg_out(s.seg[core::FS]));
  put(e_, pa, offsetof(Vmcb, save.gs), seg_out(s.seg[core::GS]));
  put(e_, pa, offsetof(Vmcb, save.tr), seg_out(s.tr));
  put(e_, pa, offsetof(Vmcb, save.ldtr), seg_out(s.ldtr));
  put(e_, pa, offsetof(Vmcb, save.kernel_gs_base), s.kernel_gs_base);
  put(e_, pa, offsetof(Vmcb, save.star), s.star);
  put(e_, pa, offsetof(Vmcb, save.lstar), s.lstar);
  put(e_, pa, offsetof(Vmcb, save.cstar), s.cstar);
  put(e_, pa, offsetof(Vmcb, save.sfmask), s.sfmask);
  put(e_, pa, offsetof(Vmcb, save.sysenter_cs), s.sysenter_cs);
  put(e_, pa, offsetof(Vmcb, save.sysenter_esp), s.sysenter_esp);
  put(e_, pa, offsetof(Vmcb, save.sysenter_eip), s.sysenter_eip);
  ++stats_.vmsaves;
  e_.add_cycles(costs_.vmsave);
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
  e_.add_cycles(costs_.invlpga);
}

}  // namespace hvsim::svm
