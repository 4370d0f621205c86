// #VMEXIT (AMD APM Vol. 2 15.6 "#VMEXIT"): the exit information (15.6,
// 15.7, decode assists 15.33.4), saving the guest state to the VMCB,
// loading the host state from HSAVE, GIF = 0; VMEXIT_INVALID for a VMRUN
// that failed its consistency checks (15.5.1). Charged and reported through
// virt::WorldSwitch.
#include "sim/svm/svm.h"

namespace hvsim::svm {

namespace {
// What #VMEXIT writes back to the VMCB (15.6): V_TPR/V_IRQ, the interrupt
// shadow, EXITCODE..EXITINTINFO, EVENTINJ, NRIP and the fetched bytes; the
// state-save area's ES..DS, GDTR, IDTR, CPL, EFER, CR4, CR3, CR0, DR7, DR6,
// RFLAGS, RIP, RSP, RAX, CR2, G_PAT. Nothing else of the VMCB changes.
const VmcbField kExitWriteBack[] = {
    HVSIM_VMCB_FIELD(control.vintr),       HVSIM_VMCB_FIELD(control.interrupt_shadow),
    HVSIM_VMCB_FIELD(control.exitcode),    HVSIM_VMCB_FIELD(control.exitinfo1),
    HVSIM_VMCB_FIELD(control.exitinfo2),   HVSIM_VMCB_FIELD(control.exitintinfo),
    HVSIM_VMCB_FIELD(control.eventinj),    HVSIM_VMCB_FIELD(control.nrip),
    HVSIM_VMCB_FIELD(control.guest_insn_len), HVSIM_VMCB_FIELD(control.guest_insn_bytes),
    HVSIM_VMCB_FIELD(save.es),             HVSIM_VMCB_FIELD(save.cs),
    HVSIM_VMCB_FIELD(save.ss),             HVSIM_VMCB_FIELD(save.ds),
    HVSIM_VMCB_FIELD(save.gdtr),           HVSIM_VMCB_FIELD(save.idtr),
    HVSIM_VMCB_FIELD(save.cpl),            HVSIM_VMCB_FIELD(save.efer),
    HVSIM_VMCB_FIELD(save.cr4),            HVSIM_VMCB_FIELD(save.cr3),
    HVSIM_VMCB_FIELD(save.cr0),            HVSIM_VMCB_FIELD(save.dr7),
    HVSIM_VMCB_FIELD(save.dr6),            HVSIM_VMCB_FIELD(save.rflags),
    HVSIM_VMCB_FIELD(save.rip),            HVSIM_VMCB_FIELD(save.rsp),
    HVSIM_VMCB_FIELD(save.rax),            HVSIM_VMCB_FIELD(save.cr2),
    HVSIM_VMCB_FIELD(save.g_pat),
};
// With LBR virtualization (15.23) also DBGCTL and the LBR record.
const VmcbField kLbrFields[] = {
    HVSIM_VMCB_FIELD(save.dbgctl),         HVSIM_VMCB_FIELD(save.br_from),
    HVSIM_VMCB_FIELD(save.br_to),          HVSIM_VMCB_FIELD(save.last_excp_from),
    HVSIM_VMCB_FIELD(save.last_excp_to),
};
}  // namespace

// ---- host state from the HSAVE area (15.6) ------------------------------------------
void Svm::load_host() {
  core::ArchState& s = e_.s;
  VmcbSave h;
  e_.phys_read(hsave_pa + kHsaveState, &h, sizeof h);
  load_switched_state(h, s);
  s.efer = h.efer;
  s.cr0 = h.cr0 | core::CR0_PE;
  s.rflags = h.rflags;
  if (c_.np_control & 1) s.pat = h.g_pat;
  if (lbr_virtualized(c_)) load_lbr(h, s);  // the host's, saved by VMRUN (15.23)
  s.dr[7] = 0x400;  // breakpoints disabled (15.6)
  s.interrupt_shadow = 0;
  e_.clear_pending_debug_traps();  // a guest's MOV SS-held trap stays with the guest
  // VMRUN completes here: with the host's TF its single-step trap follows.
  if (s.rflags & core::TF) e_.set_pending_debug_traps(core::kDr6Bs, false);
  e_.set_cpl(0);
  e_.set_halted(false);
  e_.update_mode();
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
  save_switched_state(s, g);
  g.cr2 = s.cr2;
  g.dr7 = s.dr[7];
  g.dr6 = s.dr[6];
  if (c_.np_control & 1) g.g_pat = s.pat;
  write_fields(e_, pa, v, kExitWriteBack);
  if (lbr_virtualized(c_)) {  // 15.23: the guest's DBGCTL and LBR record
    save_lbr(s, g);
    write_fields(e_, pa, v, kLbrFields);
  }
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
  virt::ExitRecord r = virt::WorldSwitch::record(x, static_cast<uint32_t>(v.control.exitcode),
                                                 exit_code_name(v.control.exitcode), guest_rip);
  r.info2 = v.control.exitinfo2;
  switch_.exit(r, costs_.vmexit);
}

// 15.5.1: host state back, GIF = 0, EXITCODE = VMEXIT_INVALID.
void Svm::invalid_exit(uint64_t pa, const Vmcb& v, uint64_t entry_cost) {
  put_field(e_, pa, offsetof(Vmcb, control.exitcode), static_cast<uint64_t>(kExitInvalid));
  put_field(e_, pa, offsetof(Vmcb, control.exitinfo1), uint64_t{0});
  put_field(e_, pa, offsetof(Vmcb, control.exitinfo2), uint64_t{0});
  put_field(e_, pa, offsetof(Vmcb, control.exitintinfo), uint64_t{0});
  c_ = VmcbControl{};
  cached_pa_ = ~0ull;
  e_.s.gif = 0;
  load_host();
  ++stats_.invalid;
  ++stats_.exits;
  // The attempt costs a VMRUN and a #VMEXIT; the tracker sees an entry
  // immediately followed by its VMEXIT_INVALID.
  switch_.entry(entry_cost);
  virt::ExitRecord r;
  r.reason = static_cast<uint32_t>(kExitInvalid);
  r.reason_name = exit_code_name(kExitInvalid);
  r.guest_rip = v.save.rip;
  switch_.exit(r, costs_.vmexit);
  e_.break_block();
}

}  // namespace hvsim::svm
