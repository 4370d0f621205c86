// Stack instructions: PUSH, POP, PUSHF/POPF, ENTER, LEAVE, PUSHA/POPA
// (SDM Vol. 2). Segment-register PUSH/POP are the system family's.
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

template <typename T>
void push(Engine& e, const DecodedInsn& d) {
  e.push<T>(e.read_op<T>(d, 0));  // PUSH RSP pushes the value before the push
}

template <typename T>
void pop_reg(Engine& e, const DecodedInsn& d) {
  T v = e.pop<T>();
  e.set_reg<T>(d.op[0], v);  // POP RSP: the popped value wins over the increment
}

// SDM POP: with RSP as a base register, the address is computed after RSP
// is incremented; a faulting store leaves RSP unchanged.
template <typename T>
void pop_mem(Engine& e, const DecodedInsn& d) {
  uint64_t sp = e.s.gpr[RSP];
  T v = e.pop<T>();
  try {
    e.write_op<T>(d, 0, v);
  } catch (...) {
    e.s.gpr[RSP] = sp;
    throw;
  }
}

bool vm86_needs_iopl3(const Engine& e) {
  return e.s.mode == Mode::kVm86 && ((e.s.rflags & IOPL) >> 12) < 3;
}

// PUSHF: the image has VM and RF cleared (SDM PUSHF).
template <typename T>
void pushf(Engine& e, const DecodedInsn&) {
  if (vm86_needs_iopl3(e)) raise(kGP, 0);
  if (virt::GuestHooks* g = e.guest()) g->pushf();  // SVM PUSHF intercept
  e.push<T>(static_cast<T>(e.s.rflags & ~(VM | RF)));
}

// POPF (SDM Vol. 2B POPF, Table "Effect of POPF"): which flags change
// depends on mode, CPL and IOPL; VIP, VIF and VM never change, RF is cleared.
template <typename T>
void popf(Engine& e, const DecodedInsn&) {
  if (vm86_needs_iopl3(e)) raise(kGP, 0);
  if (virt::GuestHooks* g = e.guest()) g->popf();  // SVM POPF intercept
  uint64_t v = e.pop<T>();
  uint64_t mask = CF | PF | AF | ZF | SF | TF | DF | OF | NT;
  if (sizeof(T) > 2) mask |= AC | ID;
  const bool real = e.s.mode == Mode::kReal;
  const unsigned iopl = (e.s.rflags & IOPL) >> 12;
  if (real || e.s.cpl == 0) mask |= IOPL;
  if (real || e.s.cpl <= iopl) mask |= IF;
  e.s.rflags = ((e.s.rflags & ~mask) | (v & mask) | 0x2) & ~RF;
  e.update_alignment_check();
  e.break_block();  // IF, TF or AC may have changed
}

template <typename T>
void leave(Engine& e, const DecodedInsn&) {
  // RSP <- RBP (stack-address size), then pop RBP (operand size).
  uint64_t old = e.s.gpr[RSP];
  e.set_sp(e.s.gpr[RBP]);
  try {
    T v = e.pop<T>();
    e.set_gpr<T>(RBP, v);
  } catch (...) {
    e.s.gpr[RSP] = old;
    throw;
  }
}

// ENTER imm16, imm8 (SDM Vol. 2A ENTER): nesting level modulo 32.
template <typename T>
void enter(Engine& e, const DecodedInsn& d) {
  const unsigned level = d.imm2 & 31;
  const uint64_t size = d.imm & 0xffff;
  const uint64_t old_sp = e.s.gpr[RSP], old_bp = e.s.gpr[RBP];
  try {
    e.push<T>(static_cast<T>(e.s.gpr[RBP]));
    uint64_t frame = e.sp_masked(e.s.gpr[RSP]);
    if (level > 0) {
      uint64_t bp = e.s.gpr[RBP];
      for (unsigned i = 1; i < level; ++i) {
        bp = e.sp_masked(bp - sizeof(T));
        e.push<T>(e.read<T>(e.linear(SS, bp, sizeof(T), false)));
      }
      e.push<T>(static_cast<T>(frame));
    }
    uint64_t nsp = e.sp_masked(e.s.gpr[RSP] - size);
    e.probe_write(e.linear(SS, nsp, 1, true), 1);
    e.set_gpr<T>(RBP, static_cast<T>(frame));
    e.set_sp(nsp);
  } catch (...) {
    e.s.gpr[RSP] = old_sp;
    e.s.gpr[RBP] = old_bp;
    throw;
  }
}

// PUSHA/PUSHAD and POPA/POPAD: invalid in 64-bit mode.
template <typename T>
void pusha(Engine& e, const DecodedInsn&) {
  if (e.long64()) raise(kUD);
  const uint64_t old = e.s.gpr[RSP];
  T regs[8];
  for (unsigned r = 0; r < 8; ++r) regs[r] = static_cast<T>(e.s.gpr[r]);
  try {
    for (unsigned r = 0; r < 8; ++r) e.push<T>(regs[r]);
  } catch (...) {
    e.s.gpr[RSP] = old;
    throw;
  }
}

template <typename T>
void popa(Engine& e, const DecodedInsn&) {
  if (e.long64()) raise(kUD);
  const uint64_t old = e.s.gpr[RSP];
  T regs[8];
  try {
    for (int r = 7; r >= 0; --r) regs[r] = e.pop<T>();
  } catch (...) {
    e.s.gpr[RSP] = old;
    throw;
  }
  for (unsigned r = 0; r < 8; ++r)
    if (r != RSP) e.set_gpr<T>(r, regs[r]);
}

bool seg_operand(const DecodedInsn& d) {
  return d.nops && d.op[0].kind == OpKind::kReg && d.op[0].rclass == RegClass::kSeg;
}

void bind_push(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
  if (seg_operand(d))
    bind_seg_push_pop(zi, ops, d);
  else
    d.exec = HVSIM_BY_SIZE(push, d.opsize);
}

void bind_pop(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
  if (seg_operand(d))
    bind_seg_push_pop(zi, ops, d);
  else if (d.op[0].kind == OpKind::kReg)
    d.exec = HVSIM_BY_SIZE(pop_reg, d.opsize);
  else
    d.exec = HVSIM_BY_SIZE(pop_mem, d.opsize);
}

}  // namespace

void register_stack(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_PUSH, &bind_push, timing::k_stack);
  t.add(ZYDIS_MNEMONIC_POP, &bind_pop, timing::k_stack);
  t.add(ZYDIS_MNEMONIC_PUSHF, HVSIM_PLAIN(pushf<uint16_t>), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_PUSHFD, HVSIM_PLAIN(pushf<uint32_t>), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_PUSHFQ, HVSIM_PLAIN(pushf<uint64_t>), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_POPF, HVSIM_PLAIN(popf<uint16_t>), timing::k_flags, true);
  t.add(ZYDIS_MNEMONIC_POPFD, HVSIM_PLAIN(popf<uint32_t>), timing::k_flags, true);
  t.add(ZYDIS_MNEMONIC_POPFQ, HVSIM_PLAIN(popf<uint64_t>), timing::k_flags, true);
  t.add(ZYDIS_MNEMONIC_LEAVE, HVSIM_SIZED(leave), timing::k_stack);
  t.add(ZYDIS_MNEMONIC_ENTER, HVSIM_SIZED(enter), timing::k_stack);
  t.add(ZYDIS_MNEMONIC_PUSHA, HVSIM_PLAIN(pusha<uint16_t>), timing::k_stack);
  t.add(ZYDIS_MNEMONIC_PUSHAD, HVSIM_PLAIN(pusha<uint32_t>), timing::k_stack);
  t.add(ZYDIS_MNEMONIC_POPA, HVSIM_PLAIN(popa<uint16_t>), timing::k_stack);
  t.add(ZYDIS_MNEMONIC_POPAD, HVSIM_PLAIN(popa<uint32_t>), timing::k_stack);
}

}  // namespace hvsim::core::isa
