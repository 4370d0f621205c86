// The binary ALU operations' result and flags (ADD OR ADC SBB AND SUB XOR
// CMP TEST, SDM Vol. 2) and their register-destination handlers: shared by
// arith.cc, which binds them, and fused.cc, which runs one with the Jcc
// after it. External linkage (no unnamed namespace): a handler's address is
// the same in every file, so fused.cc recognizes what arith.cc bound.
#pragma once

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
    r = static_cast<T>(a + b);
    f = flags::add<T>(a, b, r, false);
  } else if constexpr (op == Alu::kAdc) {
    bool c = rflags & CF;
    r = static_cast<T>(a + b + c);
    f = flags::add<T>(a, b, r, c);
  } else if constexpr (op == Alu::kSub || op == Alu::kCmp) {
    r = static_cast<T>(a - b);
    f = flags::sub<T>(a, b, r, false);
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

}  // namespace hvsim::core::isa
