#include "sim/core/sys/interrupts.h"

#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/stack_frame.h"
#include "sim/core/sys/task_switch.h"
#include "sim/core/sys/tss.h"

namespace hvsim::core::sys {

namespace {

// Error code naming an IDT entry: IDT bit (1) set, EXT in bit 0 (SDM Vol. 3 6.13).
uint32_t idt_err(uint8_t vector, uint32_t ext) {
  return vector * 8u + 2 + ext;
}

// SDM Vol. 3 20.1.4: real-address-mode interrupt handling through the IVT.
void deliver_real(Engine& e, uint8_t vector) {
  ArchState& s = e.s;
  uint64_t off = vector * 4ull;
  if (off + 3 > s.idtr.limit) raise(kGP, idt_err(vector, 1));
  uint32_t vecent = e.read_sys<uint32_t>(s.idtr.base + off);
  StackFrame f(e, s.seg[SS], s.gpr[RSP], 2, false);
  f.push<uint16_t>(static_cast<uint16_t>(s.rflags));
  f.push<uint16_t>(s.seg[CS].selector);
  f.push<uint16_t>(static_cast<uint16_t>(s.rip));
  // Commit.
  f.commit_sp();
  uint16_t sel = static_cast<uint16_t>(vecent >> 16);
  s.seg[CS].selector = sel;
  s.seg[CS].base = static_cast<uint64_t>(sel) << 4;
  s.rip = vecent & 0xffff;
  s.rflags &= ~(IF | TF | AC | RF);
  e.break_block();
}

// The code segment a gate names (SDM Vol. 2A INT n pseudocode: the
// checks on the gate's target selector).
Descriptor gate_target(Engine& e, uint16_t csel, uint32_t ext) {
  if (sel_null(csel)) raise(kGP, ext);
  Descriptor cd = read_descriptor(e, csel, kGP, ext);
  if (!cd.is_code() || cd.dpl() > e.s.cpl) raise(kGP, sel_err(csel) | ext);
  if (ia32e(e) && !cd.code64()) raise(kGP, sel_err(csel) | ext);
  if (!cd.present()) raise(kNP, sel_err(csel) | ext);
  set_accessed(e, csel, cd);
  return cd;
}

void commit_flags(Engine& e, bool interrupt_gate) {
  // SDM Vol. 3 6.12.1.3: TF, VM, RF, NT cleared; IF cleared by interrupt gates.
  e.s.rflags &= ~(TF | VM | RF | NT);
  if (interrupt_gate) e.s.rflags &= ~IF;
}

void commit_cs(Engine& e, const Descriptor& cd, uint16_t csel, unsigned cpl, uint64_t rip) {
  e.s.seg[CS] = cd.to_segment(static_cast<uint16_t>((csel & ~3u) | cpl));
  e.s.rip = rip;
  e.set_cpl(cpl);
}

// SDM Vol. 3 6.12.1: protected-mode delivery through 16- and 32-bit gates.
void deliver_protected(Engine& e, uint8_t vector, bool has_error, uint32_t error, EventSource src) {
  ArchState& s = e.s;
  const uint32_t ext = src == EventSource::kSoftware ? 0 : 1;
  if (vector * 8ull + 7 > s.idtr.limit) raise(kGP, idt_err(vector, ext));
  Descriptor g;
  g.lo = e.read_sys<uint64_t>(s.idtr.base + vector * 8ull);
  const unsigned type = g.type();
  if (g.s()) raise(kGP, idt_err(vector, ext));
  if (type != kTaskGate && type != kIntGate16 && type != kTrapGate16 && type != kIntGate32 &&
      type != kTrapGate32)
    raise(kGP, idt_err(vector, ext));
  if (src == EventSource::kSoftware && g.dpl() < s.cpl) raise(kGP, idt_err(vector, 0));
  if (!g.present()) raise(kNP, idt_err(vector, ext));
  if (type == kTaskGate) {  // a task switch (SDM Vol. 3 6.11, 7.3)
    idt_task_switch(e, g, vector, has_error, error, ext);
    return;
  }
  if (s.rflags & VM) raise(kGP, ext);  // TODO: virtual-8086 mode (SDM 20.3)

  const uint16_t csel = g.gate_selector();
  Descriptor cd = gate_target(e, csel, ext);
  const unsigned gsize = (type & 8) ? 4 : 2;
  const uint64_t target = gsize == 4 ? g.gate_offset32() : g.gate_offset32() & 0xffff;
  if (target > cd.limit()) raise(kGP, ext);

  const bool inner = !cd.conforming() && cd.dpl() < s.cpl;
  const unsigned cpl = inner ? cd.dpl() : s.cpl;
  uint64_t flags = s.rflags;
  if (inner) {
    InnerStack in = tss_inner_stack(e, cpl, ext);
    StackFrame f(e, in.ss, in.sp, in.ss.db() ? 4 : 2, true, sel_err(in.ss_sel) | ext);
    f.push_sized(s.seg[SS].selector, gsize);
    f.push_sized(s.gpr[RSP], gsize);
    f.push_sized(flags, gsize);
    f.push_sized(s.seg[CS].selector, gsize);
    f.push_sized(s.rip, gsize);
    if (has_error) f.push_sized(error, gsize);
    s.seg[SS] = in.ss;
    f.commit_sp();
  } else {
    const Segment& ss = s.seg[SS];
    StackFrame f(e, ss, s.gpr[RSP], legacy_stack_width(e, ss), cpl < 3, ext);
    f.push_sized(flags, gsize);
    f.push_sized(s.seg[CS].selector, gsize);
    f.push_sized(s.rip, gsize);
    if (has_error) f.push_sized(error, gsize);
    f.commit_sp();
  }
  commit_cs(e, cd, csel, cpl, target);
  commit_flags(e, !(type & 1));
  e.update_mode();
}

// SDM Vol. 3 6.14: IA-32e mode delivery through 64-bit gates (16-byte IDT
// entries, IST, SS = NULL on a privilege change, 16-byte aligned stack,
// SS:RSP always pushed).
void deliver_ia32e(Engine& e, uint8_t vector, bool has_error, uint32_t error, EventSource src) {
  ArchState& s = e.s;
  const uint32_t ext = src == EventSource::kSoftware ? 0 : 1;
  if (vector * 16ull + 15 > s.idtr.limit) raise(kGP, idt_err(vector, ext));
  Descriptor g;
  g.lo = e.read_sys<uint64_t>(s.idtr.base + vector * 16ull);
  g.hi = e.read_sys<uint64_t>(s.idtr.base + vector * 16ull + 8);
  const unsigned type = g.type();
  if (g.s() || (type != kIntGate32 && type != kTrapGate32)) raise(kGP, idt_err(vector, ext));
  if (src == EventSource::kSoftware && g.dpl() < s.cpl) raise(kGP, idt_err(vector, 0));
  if (!g.present()) raise(kNP, idt_err(vector, ext));

  const uint16_t csel = g.gate_selector();
  Descriptor cd = gate_target(e, csel, ext);
  const uint64_t target = g.gate_offset64();
  if (!canonical(e, target)) raise(kGP, ext);

  const bool inner = !cd.conforming() && cd.dpl() < s.cpl;
  const unsigned cpl = inner ? cd.dpl() : s.cpl;
  uint64_t sp = s.gpr[RSP];
  if (g.gate_ist())
    sp = tss_rsp64(e, cpl, g.gate_ist(), ext);
  else if (inner)
    sp = tss_rsp64(e, cpl, 0, ext);
  if (!canonical(e, sp)) raise(kSS, ext);
  sp &= ~0xfull;
  StackFrame f(e, s.seg[SS], sp, 8, cpl < 3, ext);
  f.push<uint64_t>(s.seg[SS].selector);
  f.push<uint64_t>(s.gpr[RSP]);
  f.push<uint64_t>(s.rflags);
  f.push<uint64_t>(s.seg[CS].selector);
  f.push<uint64_t>(s.rip);
  if (has_error) f.push<uint64_t>(error);
  // Commit.
  if (inner) s.seg[SS] = null_segment(static_cast<uint16_t>(cpl), cpl);
  s.gpr[RSP] = f.sp();
  commit_cs(e, cd, csel, cpl, target);
  commit_flags(e, !(type & 1));
  e.update_mode();
}

}  // namespace

void deliver_through_idt(Engine& e, uint8_t vector, bool has_error, uint32_t error,
                         EventSource src) {
  if (e.s.mode == Mode::kReal)
    deliver_real(e, vector);
  else if (ia32e(e))
    deliver_ia32e(e, vector, has_error, error, src);
  else
    deliver_protected(e, vector, has_error, error, src);
}

namespace {
enum class FaultClass { kBenign, kContributory, kPageFault };
FaultClass classify(uint8_t v) {
  switch (v) {
    case kDE:
    case kTS:
    case kNP:
    case kSS:
    case kGP:
      return FaultClass::kContributory;
    case kPF:
    case kVE:
      return FaultClass::kPageFault;
    default:
      return FaultClass::kBenign;
  }
}
}  // namespace

bool is_double_fault(uint8_t first, uint8_t second) {
  FaultClass a = classify(first), b = classify(second);
  if (a == FaultClass::kContributory) return b == FaultClass::kContributory;
  if (a == FaultClass::kPageFault) return b != FaultClass::kBenign;
  return false;
}

}  // namespace hvsim::core::sys
