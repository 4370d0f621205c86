// The binary ALU operations' result and flags (ADD OR ADC SBB AND SUB XOR
// CMP TEST, SDM Vol. 2) and their bound handlers, with INC/DEC: shared by
// arith.cc, which binds them, and fused.cc, which runs a register or
// reading form with the Jcc after it. External linkage (no unnamed
// namespace): a handler's address is the same in every file, so fused.cc
// recognizes what arith.cc bound.
#pragma once

#include "sim/core/isa/fast_mem.h"
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

enum class Alu : uint8_t { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest };

constexpr bool writes_dest(Alu op) { return op != Alu::kCmp && op != Alu::kTest; }

// Computes a OP b and the flags it defines (all six arithmetic flags for every
// operation here). Logic ops: CF = OF = 0; AF is undefined and cleared (what
// the AMD Zen 3 host does, checked by tests/isa).
template <Alu op, typename T>
inline T alu(T a, T b, uint64_t rflags, uint64_t& f) {
  T r;
  if constexpr (op == Alu::kAdd) {
    f = flags::add_to<T>(a, b, r);
  } else if constexpr (op == Alu::kAdc) {
    bool c = rflags & CF;
    r = static_cast<T>(a + b + c);
    f = flags::add<T>(a, b, r, c);
  } else if constexpr (op == Alu::kSub || op == Alu::kCmp) {
    f = flags::sub_to<T>(a, b, r);
  } else if constexpr (op == Alu::kSbb) {
    bool c = rflags & CF;
    r = static_cast<T>(a - b - c);
    f = flags::sub<T>(a, b, r, c);
  } else if constexpr (op == Alu::kOr) {
    r = a | b;
    f = flags::logic<T>(r);
  } else if constexpr (op == Alu::kXor) {
    r = a ^ b;
    f = flags::logic<T>(r);
  } else {  // AND, TEST
    r = a & b;
    f = flags::logic<T>(r);
  }
  return r;
}

// The register-destination forms (OP r, r and OP r, imm), bound at decode:
// no operand-kind tests and no memory path.
template <Alu op, typename T, bool kImm>
void exec_alu_r(Engine& e, const DecodedInsn& d) {
  const T b = kImm ? static_cast<T>(d.imm) : e.get_reg<T>(d.op[1]);
  uint64_t f;
  const T r = alu<op, T>(e.get_reg<T>(d.op[0]), b, e.s.rflags, f);
  if constexpr (writes_dest(op)) e.set_reg<T>(d.op[0], r);
  flags::merge(e.s.rflags, kArithFlags, f);
}

// INC/DEC (SDM Vol. 2 INC, DEC): CF is not affected. incdec() is a + 1 or
// a - 1 with the flags it defines in f; exec_incdec_r the register form,
// bound at decode (the memory form is arith.cc's, through unary()).
constexpr uint64_t kNoCf = PF | AF | ZF | SF | OF;
template <typename T, bool kDec>
inline T incdec(T a, uint64_t& f) {
  T r;
  f = (kDec ? flags::sub_to<T>(a, 1, r) : flags::add_to<T>(a, 1, r)) & kNoCf;
  return r;
}
template <typename T, bool kDec>
void exec_incdec_r(Engine& e, const DecodedInsn& d) {
  uint64_t f;
  e.set_reg<T>(d.op[0], incdec<T, kDec>(e.get_reg<T>(d.op[0]), f));
  flags::merge(e.s.rflags, kNoCf, f);
}

// Also the memory forms' general form (fast_mem.h): kept out of line there.
template <Alu op, typename T>
__attribute__((noinline)) void exec_alu(Engine& e, const DecodedInsn& d) {
  const Operand& o = d.op[0];
  T b = e.read_op<T>(d, 1);
  uint64_t f;
  if (HVSIM_LIKELY(o.kind == OpKind::kReg)) {
    T r = alu<op, T>(e.get_reg<T>(o), b, e.s.rflags, f);
    if constexpr (writes_dest(op)) e.set_reg<T>(o, r);
  } else if constexpr (writes_dest(op)) {
    uint64_t la = e.mem_linear(d, sizeof(T), true);
    T r = alu<op, T>(e.read<T>(la), b, e.s.rflags, f);
    e.write<T>(la, r);
  } else {
    T r = alu<op, T>(e.read<T>(e.mem_linear(d, sizeof(T), false)), b, e.s.rflags, f);
    (void)r;
  }
  flags::merge(e.s.rflags, kArithFlags, f);
}

// The memory forms, bound at decode (what exec_alu does for them, without
// the operand-kind tests): OP r, m, and OP m, r / OP m, imm (CMP and TEST
// read the memory operand only; the others read, compute and write it).
// The reading forms take the fast path (fast_mem.h), with exec_alu as the
// general form off it.
template <Alu op, typename T>
void exec_alu_rm(Engine& e, const DecodedInsn& d) {
  load_then<T>(e, d, &exec_alu<op, T>, [&](T b) {
    uint64_t f;
    const T r = alu<op, T>(e.get_reg<T>(d.op[0]), b, e.s.rflags, f);
    if constexpr (writes_dest(op)) e.set_reg<T>(d.op[0], r);
    flags::merge(e.s.rflags, kArithFlags, f);
  });
}
template <Alu op, typename T, bool kImm>
void exec_alu_m(Engine& e, const DecodedInsn& d) {
  const T b = kImm ? static_cast<T>(d.imm) : e.get_reg<T>(d.op[1]);
  uint64_t f;
  if constexpr (writes_dest(op)) {
    const uint64_t la = e.mem_linear(d, sizeof(T), true);
    e.write<T>(la, alu<op, T>(e.read<T>(la), b, e.s.rflags, f));
    flags::merge(e.s.rflags, kArithFlags, f);
  } else {
    load_then<T>(e, d, &exec_alu<op, T>, [&](T a) {
      alu<op, T>(a, b, e.s.rflags, f);
      flags::merge(e.s.rflags, kArithFlags, f);
    });
  }
}

}  // namespace hvsim::core::isa
