// Multiply and divide (SDM Vol. 2): MUL, IMUL (one, two and three operands),
// DIV, IDIV.
//
// MUL/IMUL define only CF and OF (set when the high half is significant);
// SF, ZF, AF and PF are undefined: see mul_flags below for what we do.
// DIV/IDIV leave all six arithmetic flags undefined; we leave them unchanged.
// #DE (divide by zero or a quotient that does not fit) is raised before any
// register is written.
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

template <typename T>
using Wide = std::conditional_t<sizeof(T) == 8, unsigned __int128,
                                std::conditional_t<sizeof(T) == 4, uint64_t,
                                                   std::conditional_t<sizeof(T) == 2, uint32_t,
                                                                      uint16_t>>>;
template <typename T>
using SWide = std::conditional_t<
    sizeof(T) == 8, __int128,
    std::conditional_t<sizeof(T) == 4, int64_t, std::conditional_t<sizeof(T) == 2, int32_t, int16_t>>>;

// Flags after a multiply: CF = OF = `overflow`. The undefined SF/ZF/AF/PF
// are set as the AMD Zen 3 host does (checked by tests/isa in strict mode):
// SF and PF follow the low half of the result, ZF and AF are cleared.
template <typename T>
inline void mul_flags(Engine& e, T lo, bool overflow) {
  uint64_t f = flags::pf(lo);
  if (lo & flags::sign_bit<T>()) f |= SF;
  if (overflow) f |= CF | OF;
  flags::merge(e.s.rflags, kArithFlags, f);
}

// Writes the double-width product/dividend registers: AX for bytes, else
// rDX:rAX.
template <typename T>
inline void write_pair(Engine& e, T lo, T hi) {
  if constexpr (sizeof(T) == 1) {
    e.set_gpr<uint16_t>(RAX, static_cast<uint16_t>(lo | (hi << 8)));
  } else {
    e.set_gpr<T>(RAX, lo);
    e.set_gpr<T>(RDX, hi);
  }
}

template <typename T>
inline Wide<T> read_pair(Engine& e) {
  constexpr unsigned W = sizeof(T) * 8;
  if constexpr (sizeof(T) == 1) {
    return static_cast<uint16_t>(e.s.gpr[RAX]);
  } else {
    return (static_cast<Wide<T>>(static_cast<T>(e.s.gpr[RDX])) << W) |
           static_cast<T>(e.s.gpr[RAX]);
  }
}

template <typename T>
void exec_mul(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = sizeof(T) * 8;
  T src = e.read_op<T>(d, 0);
  Wide<T> p = static_cast<Wide<T>>(static_cast<T>(e.s.gpr[RAX])) * src;
  T lo = static_cast<T>(p), hi = static_cast<T>(p >> W);
  write_pair<T>(e, lo, hi);
  mul_flags<T>(e, lo, hi != 0);
}

// One-operand IMUL: rDX:rAX = rAX * r/m (signed).
template <typename T>
void exec_imul1(Engine& e, const DecodedInsn& d) {
  using S = std::make_signed_t<T>;
  constexpr unsigned W = sizeof(T) * 8;
  S src = static_cast<S>(e.read_op<T>(d, 0));
  SWide<T> p = static_cast<SWide<T>>(static_cast<S>(e.s.gpr[RAX])) * src;
  T lo = static_cast<T>(p), hi = static_cast<T>(static_cast<Wide<T>>(p) >> W);
  write_pair<T>(e, lo, hi);
  mul_flags<T>(e, lo, p != static_cast<S>(lo));
}

// Two- and three-operand IMUL: op[0] = op[nops-2] * op[nops-1], truncated.
template <typename T, int kA, int kB>
void exec_imuln(Engine& e, const DecodedInsn& d) {
  using S = std::make_signed_t<T>;
  S a = static_cast<S>(e.read_op<T>(d, kA));
  S b = static_cast<S>(e.read_op<T>(d, kB));
  SWide<T> p = static_cast<SWide<T>>(a) * b;
  T lo = static_cast<T>(p);
  e.set_reg<T>(d.op[0], lo);
  mul_flags<T>(e, lo, p != static_cast<S>(lo));
}

template <typename T>
void exec_div(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = sizeof(T) * 8;
  T dv = e.read_op<T>(d, 0);
  Wide<T> n = read_pair<T>(e);
  // The quotient fits iff the high half of the dividend is below the divisor
  // (this also catches dv == 0).
  if (HVSIM_UNLIKELY(static_cast<T>(n >> W) >= dv)) raise(kDE);
  write_pair<T>(e, static_cast<T>(n / dv), static_cast<T>(n % dv));
}

template <typename T>
void exec_idiv(Engine& e, const DecodedInsn& d) {
  using S = std::make_signed_t<T>;
  using U = Wide<T>;
  constexpr unsigned W = sizeof(T) * 8;
  S dv = static_cast<S>(e.read_op<T>(d, 0));
  if (HVSIM_UNLIKELY(dv == 0)) raise(kDE);
  U n = read_pair<T>(e);
  // Divide magnitudes (no signed overflow is possible in C++), then check
  // that the signed quotient fits in T.
  const bool nneg = (n >> (2 * W - 1)) & 1;
  const bool dneg = dv < 0;
  U an = nneg ? static_cast<U>(U(0) - n) : n;
  T ad = dneg ? static_cast<T>(T(0) - static_cast<T>(dv)) : static_cast<T>(dv);
  U q = an / ad;
  T r = static_cast<T>(an % ad);
  const U limit = (U(1) << (W - 1)) - (nneg != dneg ? 0 : 1);  // 2^(W-1) or 2^(W-1) - 1
  if (HVSIM_UNLIKELY(q > limit)) raise(kDE);
  T qt = static_cast<T>(q);
  if (nneg != dneg) qt = static_cast<T>(T(0) - qt);
  if (nneg) r = static_cast<T>(T(0) - r);
  write_pair<T>(e, qt, r);
}

void bind_imul(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.flags & kLock) return;
  switch (d.nops) {
    case 1:
      d.exec = HVSIM_BY_SIZE(exec_imul1, d.opsize);
      break;
    case 2:
      d.exec = by_size(d.opsize, nullptr, &exec_imuln<uint16_t, 0, 1>, &exec_imuln<uint32_t, 0, 1>,
                       &exec_imuln<uint64_t, 0, 1>);
      break;
    case 3:
      d.exec = by_size(d.opsize, nullptr, &exec_imuln<uint16_t, 1, 2>, &exec_imuln<uint32_t, 1, 2>,
                       &exec_imuln<uint64_t, 1, 2>);
      break;
    default:
      break;
  }
}

#define HVSIM_NOLOCK_SIZED(fn)                                                     \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) { \
    if (d.flags & kLock) return;                                                   \
    d.exec = HVSIM_BY_SIZE(fn, d.opsize);                                          \
  }

}  // namespace

void register_muldiv(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_MUL, HVSIM_NOLOCK_SIZED(exec_mul), timing::k_mul);
  t.add(ZYDIS_MNEMONIC_IMUL, &bind_imul, timing::k_mul);
  t.add(ZYDIS_MNEMONIC_DIV, HVSIM_NOLOCK_SIZED(exec_div), timing::k_div);
  t.add(ZYDIS_MNEMONIC_IDIV, HVSIM_NOLOCK_SIZED(exec_idiv), timing::k_div);
}

}  // namespace hvsim::core::isa
