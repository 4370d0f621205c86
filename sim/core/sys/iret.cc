// IRET / IRETD / IRETQ in real, protected and IA-32e mode (SDM Vol. 2A IRET).
#include "sim/core/sys/far.h"
#include "sim/core/sys/interrupts.h"
#include "sim/core/sys/register.h"
#include "sim/core/sys/segments.h"
#include "sim/core/sys/stack_frame.h"
#include "sim/core/sys/task_switch.h"

namespace hvsim::core::sys {

namespace {

constexpr uint64_t kFixedOne = 1u << 1;

// Which RFLAGS bits IRET may load at the old CPL and IOPL (SDM Vol. 2A IRET
// "RETURN-FROM-INTERRUPT": IF needs CPL <= IOPL; IOPL, VIF and VIP need CPL 0).
uint64_t iret_flags(const ArchState& s, uint64_t popped, unsigned size) {
  uint64_t mask = CF | PF | AF | ZF | SF | TF | DF | OF | NT;
  if (size >= 4) mask |= RF | AC | ID;
  const unsigned iopl = (s.rflags & IOPL) >> 12;
  if (s.cpl <= iopl) mask |= IF;
  if (s.cpl == 0) {
    mask |= IOPL;
    if (size >= 4) mask |= VIF | VIP;
  }
  return (s.rflags & ~mask) | (popped & mask) | kFixedOne;
}

void iret_real(Engine& e, const DecodedInsn& d) {
  ArchState& s = e.s;
  const unsigned n = d.opsize;
  StackFrame f(e, s.seg[SS], s.gpr[RSP], 2, false);
  const uint64_t ip = f.pop_sized(n);
  const uint16_t cs = static_cast<uint16_t>(f.pop_sized(n));
  const uint64_t fl = f.pop_sized(n);
  if (ip > s.seg[CS].limit) raise(kGP, 0);
  f.commit_sp();
  load_cs_real(e, cs);
  s.rip = ip;
  if (n == 4)
    s.rflags = (fl & 0x257fd5) | (s.rflags & 0x1a0000) | kFixedOne;
  else
    // FLAGS[15:0]: reserved bits 3, 5 and 15 stay 0 (SDM Vol. 1 3.4.3).
    s.rflags = (s.rflags & ~0xffffull) | (fl & 0x7fd5) | kFixedOne;
  e.break_block();
}

void iret_protected(Engine& e, const DecodedInsn& d) {
  ArchState& s = e.s;
  if (s.mode == Mode::kVm86) raise(kGP, 0);  // TODO: virtual-8086 mode (SDM 20.2.7)
  if (s.rflags & NT) {  // IA-32e: #GP(0); legacy: task return (SDM Vol. 3 7.3)
    if (ia32e(e)) raise(kGP, 0);
    iret_task_return(e);
    return;
  }
  const unsigned n = d.opsize;
  StackFrame f(e, s.seg[SS], s.gpr[RSP], e.stack_size(), false);
  const uint64_t rip = f.pop_sized(n);
  const uint16_t csel = static_cast<uint16_t>(f.pop_sized(n));
  const uint64_t fl = f.pop_sized(n);
  if (!ia32e(e) && n == 4 && (fl & VM) && s.cpl == 0)
    raise(kGP, 0);  // TODO: return to virtual-8086 mode
  Descriptor cd = return_code_segment(e, csel);
  const unsigned rpl = sel_rpl(csel);
  const bool to64 = ia32e(e) && cd.l();
  // 64-bit mode IRET always pops SS:RSP (SDM Vol. 3 6.14.3).
  const bool pop_stack = e.long64() || rpl > s.cpl;
  Segment ss = s.seg[SS];
  uint64_t sp = 0;
  if (pop_stack) {
    sp = f.pop_sized(n);
    const uint16_t ss_sel = static_cast<uint16_t>(f.pop_sized(n));
    ss = outer_stack_segment(e, ss_sel, rpl, to64);
  }
  check_target(e, cd, n == 2 ? rip & 0xffff : rip);
  set_accessed(e, csel, cd);
  // Commit.
  const unsigned old_cpl = s.cpl;
  s.rflags = iret_flags(s, n == 2 ? (s.rflags & ~0xffffull) | fl : fl, n);
  if (pop_stack) {
    s.seg[SS] = ss;
    StackFrame::commit_sp(e, sp, to64 ? 8 : ss.db() ? 4 : 2);
  } else {
    f.commit_sp();
  }
  commit_cs(e, cd, csel, rpl, n == 2 ? rip & 0xffff : rip);
  if (rpl > old_cpl) invalidate_data_segments(e, rpl);
  e.update_mode();
}

void iret(Engine& e, const DecodedInsn& d) {
  if (virt::GuestHooks* g = e.guest()) g->iret();  // SVM IRET intercept
  if (e.s.mode == Mode::kReal)
    iret_real(e, d);
  else
    iret_protected(e, d);
  e.s.nmi_blocked = 0;  // IRET ends NMI blocking (SDM Vol. 3 6.7.1)
  e.notify_interrupt();
}

// INT n (SDM Vol. 2A): in virtual-8086 mode IOPL must be 3.
void int_n(Engine& e, const DecodedInsn& d) {
  if (e.s.mode == Mode::kVm86 && (e.s.rflags & IOPL) != IOPL) raise(kGP, 0);
  if (virt::GuestHooks* g = e.guest()) g->intn(static_cast<uint8_t>(d.imm));  // SVM INTn
  e.debug_soft_interrupt(false);
  e.deliver_event(static_cast<uint8_t>(d.imm), false, 0, true);
}

void int3(Engine& e, const DecodedInsn&) {
  if (virt::GuestHooks* g = e.guest()) g->exception(kBP, false, 0, 0, true);
  e.debug_soft_interrupt(false);
  e.deliver_event(kBP, false, 0, true);
}

void into(Engine& e, const DecodedInsn&) {
  if (e.long64()) raise(kUD);
  if (!(e.s.rflags & OF)) return;
  if (virt::GuestHooks* g = e.guest()) g->exception(kOF, false, 0, 0, true);
  e.debug_soft_interrupt(false);
  e.deliver_event(kOF, false, 0, true);
}

// INT1 / ICEBP: a #DB delivered like a hardware event, without the DPL check.
void int1(Engine& e, const DecodedInsn&) {
  if (virt::GuestHooks* g = e.guest()) g->icebp();  // SVM ICEBP intercept
  e.debug_soft_interrupt(true);
  deliver_through_idt(e, kDB, false, 0, EventSource::kIcebp);
  ++e.stat_exceptions;
  e.add_cycles(e.lat().exception);
}

}  // namespace

void register_interrupt_insns(BinderTable& t) {
  using namespace timing;
  t.add(ZYDIS_MNEMONIC_IRET, &bind_plain<&iret>, k_far, true);
  t.add(ZYDIS_MNEMONIC_IRETD, &bind_plain<&iret>, k_far, true);
  t.add(ZYDIS_MNEMONIC_IRETQ, &bind_plain<&iret>, k_far, true);
  t.add(ZYDIS_MNEMONIC_INT, &bind_plain<&int_n>, k_far, true);
  t.add(ZYDIS_MNEMONIC_INT3, &bind_plain<&int3>, k_far, true);
  t.add(ZYDIS_MNEMONIC_INTO, &bind_plain<&into>, k_far, true);
  t.add(ZYDIS_MNEMONIC_INT1, &bind_plain<&int1>, k_far, true);
}

}  // namespace hvsim::core::sys
