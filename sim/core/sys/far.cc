// Far JMP, far CALL (code segments and call gates) and far RET
// (SDM Vol. 2A CALL, JMP, RET; Vol. 3 5.8).
#include "sim/core/sys/far.h"

#include "sim/core/sys/register.h"
#include "sim/core/sys/segments.h"
#include "sim/core/sys/stack_frame.h"
#include "sim/core/sys/task_switch.h"
#include "sim/core/sys/tss.h"

namespace hvsim::core::sys {

void load_cs_real(Engine& e, uint16_t sel) {
  Segment& cs = e.s.seg[CS];
  cs.selector = sel;
  cs.base = static_cast<uint64_t>(sel) << 4;
  if (e.s.mode == Mode::kVm86) {
    cs.limit = 0xffff;
    cs.attr = 0xfb;
  }
}

Descriptor return_code_segment(Engine& e, uint16_t csel) {
  if (sel_null(csel)) raise(kGP, 0);
  Descriptor cd = read_descriptor(e, csel);
  const unsigned rpl = sel_rpl(csel);
  if (!cd.is_code() || rpl < e.s.cpl) raise(kGP, sel_err(csel));
  if (cd.conforming() ? cd.dpl() > rpl : cd.dpl() != rpl) raise(kGP, sel_err(csel));
  if (!cd.present()) raise(kNP, sel_err(csel));
  if (ia32e(e) && cd.l() && cd.db()) raise(kGP, sel_err(csel));
  return cd;
}

void check_target(Engine& e, const Descriptor& cd, uint64_t rip) {
  if (ia32e(e) && cd.l()) {
    if (!canonical(e, rip)) raise(kGP, 0);
  } else if (rip > cd.limit()) {
    raise(kGP, 0);
  }
}

void commit_cs(Engine& e, const Descriptor& cd, uint16_t csel, unsigned cpl, uint64_t rip) {
  e.s.seg[CS] = cd.to_segment(static_cast<uint16_t>((csel & ~3u) | cpl));
  e.s.rip = rip;
  e.set_cpl(cpl);
}

namespace {

uint64_t mask_size(uint64_t v, unsigned size) {
  return size == 8 ? v : size == 4 ? static_cast<uint32_t>(v) : static_cast<uint16_t>(v);
}

// The far pointer operand: ptr16:16/32 (immediate) or m16:16/32/64.
void far_pointer(Engine& e, const DecodedInsn& d, uint16_t* sel, uint64_t* off) {
  if (d.op[0].kind == OpKind::kImm) {
    *off = d.imm;
    *sel = static_cast<uint16_t>(d.imm2);
    return;
  }
  const unsigned n = d.opsize;
  const uint64_t ea = e.ea(d);
  *off = n == 8   ? e.read<uint64_t>(e.linear(d.mem.seg, ea, 8, false))
         : n == 4 ? e.read<uint32_t>(e.linear(d.mem.seg, ea, 4, false))
                  : e.read<uint16_t>(e.linear(d.mem.seg, ea, 2, false));
  const uint64_t sel_ea = Engine::mask_addr(ea + n, d.addrsize);
  *sel = e.read<uint16_t>(e.linear(d.mem.seg, sel_ea, 2, false));
}

// Pushes the return CS:RIP of a far call on the current stack.
StackFrame push_return(Engine& e, unsigned size) {
  StackFrame f(e, e.s.seg[SS], e.s.gpr[RSP], e.stack_size(), false);
  f.push_sized(e.s.seg[CS].selector, size);
  f.push_sized(e.s.rip, size);
  return f;
}

// SDM Vol. 3 5.8.5-5.8.6: a far CALL through a call gate to a more
// privileged non-conforming segment switches to the stack in the TSS.
void call_gate_inner(Engine& e, const Descriptor& g, Descriptor& cd, uint16_t csel, uint64_t target,
                     unsigned gsize) {
  ArchState& s = e.s;
  const unsigned cpl = cd.dpl();
  if (ia32e(e)) {
    uint64_t sp = tss_rsp64(e, cpl, 0, 0);
    if (!canonical(e, sp)) raise(kSS, 0);
    StackFrame f(e, s.seg[SS], sp, 8, true);
    f.push<uint64_t>(s.seg[SS].selector);
    f.push<uint64_t>(s.gpr[RSP]);
    f.push<uint64_t>(s.seg[CS].selector);
    f.push<uint64_t>(s.rip);
    s.seg[SS] = null_segment(static_cast<uint16_t>(cpl), cpl);
    s.gpr[RSP] = f.sp();
  } else {
    InnerStack in = tss_inner_stack(e, cpl, 0);
    StackFrame f(e, in.ss, in.sp, in.ss.db() ? 4 : 2, true, sel_err(in.ss_sel));
    f.push_sized(s.seg[SS].selector, gsize);
    f.push_sized(s.gpr[RSP], gsize);
    // Copy the gate's parameter count from the caller's stack (SDM 5.8.5 Figure 5-13).
    const unsigned n = g.gate_params();
    const unsigned old_width = e.stack_size();
    for (unsigned i = n; i-- > 0;) {
      uint64_t off = Engine::mask_addr(s.gpr[RSP] + i * gsize, old_width);
      uint64_t la = e.linear(SS, off, gsize, false);
      f.push_sized(gsize == 4 ? e.read<uint32_t>(la) : e.read<uint16_t>(la), gsize);
    }
    f.push_sized(s.seg[CS].selector, gsize);
    f.push_sized(s.rip, gsize);
    s.seg[SS] = in.ss;
    f.commit_sp();
  }
  commit_cs(e, cd, csel, cpl, target);
}

// SDM Vol. 2A CALL/JMP "call gate" paths.
void through_call_gate(Engine& e, uint16_t sel, Descriptor g, bool call) {
  ArchState& s = e.s;
  if (ia32e(e)) {
    g = read_descriptor16(e, sel);
    if (g.type() != kCallGate32 || ((g.hi >> 40) & 0x1f) != 0) raise(kGP, sel_err(sel));
  }
  if (g.dpl() < s.cpl || sel_rpl(sel) > g.dpl()) raise(kGP, sel_err(sel));
  if (!g.present()) raise(kNP, sel_err(sel));
  const uint16_t csel = g.gate_selector();
  if (sel_null(csel)) raise(kGP, 0);
  Descriptor cd = read_descriptor(e, csel);
  if (!cd.is_code() || cd.dpl() > s.cpl) raise(kGP, sel_err(csel));
  if (ia32e(e) && !cd.code64()) raise(kGP, sel_err(csel));
  if (!call && !cd.conforming() && cd.dpl() != s.cpl) raise(kGP, sel_err(csel));
  if (!cd.present()) raise(kNP, sel_err(csel));
  const unsigned gsize = ia32e(e) ? 8 : g.type() == kCallGate32 ? 4 : 2;
  const uint64_t target = ia32e(e)     ? g.gate_offset64()
                          : gsize == 4 ? g.gate_offset32()
                                       : g.gate_offset32() & 0xffff;
  check_target(e, cd, target);
  set_accessed(e, csel, cd);
  if (call && !cd.conforming() && cd.dpl() < s.cpl) {
    call_gate_inner(e, g, cd, csel, target, gsize);
  } else {
    if (call) push_return(e, gsize).commit_sp();
    commit_cs(e, cd, csel, s.cpl, target);
  }
  e.update_mode();
}

// Far JMP / CALL in protected and IA-32e mode.
void far_transfer(Engine& e, const DecodedInsn& d, uint16_t sel, uint64_t off, bool call) {
  ArchState& s = e.s;
  if (sel_null(sel)) raise(kGP, 0);
  Descriptor cd = read_descriptor(e, sel);
  if (cd.is_code()) {
    if (cd.conforming() ? cd.dpl() > s.cpl : (sel_rpl(sel) > s.cpl || cd.dpl() != s.cpl))
      raise(kGP, sel_err(sel));
    if (!cd.present()) raise(kNP, sel_err(sel));
    if (ia32e(e) && cd.l() && cd.db()) raise(kGP, sel_err(sel));
    const uint64_t rip = mask_size(off, d.opsize);
    check_target(e, cd, rip);
    set_accessed(e, sel, cd);
    if (call) push_return(e, d.opsize).commit_sp();
    commit_cs(e, cd, sel, s.cpl, rip);
    e.update_mode();
    return;
  }
  if (!cd.s() && (cd.type() == kCallGate32 || (!ia32e(e) && cd.type() == kCallGate16)))
    return through_call_gate(e, sel, cd, call);
  // Task gates and TSS descriptors: a task switch (SDM Vol. 3 7.3); none in IA-32e mode.
  if (ia32e(e)) raise(kGP, sel_err(sel));
  far_task_switch(e, sel, cd, call);
  e.update_mode();
}

void far_jmp(Engine& e, const DecodedInsn& d) {
  uint16_t sel;
  uint64_t off;
  far_pointer(e, d, &sel, &off);
  if (!protected_mode(e)) {
    const uint64_t rip = mask_size(off, d.opsize);
    if (rip > e.s.seg[CS].limit) raise(kGP, 0);
    load_cs_real(e, sel);
    e.s.rip = rip;
    e.break_block();
    return;
  }
  far_transfer(e, d, sel, off, false);
}

void far_call(Engine& e, const DecodedInsn& d) {
  uint16_t sel;
  uint64_t off;
  far_pointer(e, d, &sel, &off);
  if (!protected_mode(e)) {
    const uint64_t rip = mask_size(off, d.opsize);
    if (rip > e.s.seg[CS].limit) raise(kGP, 0);
    push_return(e, d.opsize).commit_sp();
    load_cs_real(e, sel);
    e.s.rip = rip;
    e.break_block();
    return;
  }
  far_transfer(e, d, sel, off, true);
}

// RET far [imm16] (SDM Vol. 2A RET).
void far_ret(Engine& e, const DecodedInsn& d) {
  ArchState& s = e.s;
  const unsigned n = d.opsize;
  const uint64_t imm = d.nops ? (d.imm & 0xffff) : 0;
  StackFrame f(e, s.seg[SS], s.gpr[RSP], e.stack_size(), false);
  const uint64_t rip = f.pop_sized(n);
  const uint16_t csel = static_cast<uint16_t>(f.pop_sized(n));
  if (!protected_mode(e)) {
    if (rip > s.seg[CS].limit) raise(kGP, 0);
    f.skip(imm);
    f.commit_sp();
    load_cs_real(e, csel);
    s.rip = rip;
    e.break_block();
    return;
  }
  Descriptor cd = return_code_segment(e, csel);
  const unsigned rpl = sel_rpl(csel);
  const bool to64 = ia32e(e) && cd.l();
  check_target(e, cd, rip);
  if (rpl == s.cpl) {
    set_accessed(e, csel, cd);
    f.skip(imm);
    f.commit_sp();
    commit_cs(e, cd, csel, rpl, rip);
    e.update_mode();
    return;
  }
  // RETURN-TO-OUTER-PRIVILEGE-LEVEL.
  f.skip(imm);
  const uint64_t sp = f.pop_sized(n);
  const uint16_t ss_sel = static_cast<uint16_t>(f.pop_sized(n));
  Segment ss = outer_stack_segment(e, ss_sel, rpl, to64);
  set_accessed(e, csel, cd);
  s.seg[SS] = ss;
  StackFrame::commit_sp(e, sp + imm, to64 ? 8 : ss.db() ? 4 : 2);
  commit_cs(e, cd, csel, rpl, rip);
  invalidate_data_segments(e, rpl);
  e.update_mode();
}

}  // namespace

bool bind_far_branch(const ZydisDecodedInstruction& zi, DecodedInsn& d) {
  if (zi.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR) return false;
  switch (zi.mnemonic) {
    case ZYDIS_MNEMONIC_JMP:
      d.exec = &far_jmp;
      break;
    case ZYDIS_MNEMONIC_CALL:
      d.exec = &far_call;
      break;
    case ZYDIS_MNEMONIC_RET:
      d.exec = &far_ret;
      break;
    default:
      return false;
  }
  if (d.nops >= 1 && d.op[0].kind == OpKind::kReg) {
    d.exec = nullptr;  // far JMP/CALL with a register operand is #UD
    return true;
  }
  d.tclass = timing::k_far;
  d.flags |= kEndsBlock;
  return true;
}

}  // namespace hvsim::core::sys
