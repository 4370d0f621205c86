// Shifts and rotates (SDM Vol. 2): SHL/SAL SHR SAR ROL ROR RCL RCR, SHLD SHRD.
//
// The count (1, CL or imm8) is masked to 5 bits, 6 for 64-bit operands. A
// masked count of 0 changes neither the destination nor any flag (a 32-bit
// register destination is still written, i.e. zero-extended, as on the
// hardware). Flags the SDM leaves undefined are set the way the AMD Zen 3
// host does it (checked by tests/isa in strict mode):
//  - OF for counts > 1: the count-1 formula applied to the *first* step, i.e.
//    to the original operand: SHL/ROL/RCL/SHLD: MSB(a) ^ MSB-1(a); SHR:
//    MSB(a); SAR: 0; ROR: MSB(a) ^ LSB(a); RCR: MSB(a) ^ CF-in; SHRD:
//    MSB(a) ^ LSB(src).
//    Exception: ROL/ROR of a *register* by an immediate count leave OF
//    unchanged when the masked count is not 1 (with a CL count, or a memory
//    destination, they use the rule above).
//  - RCL/RCR 8/16-bit whose count is a non-zero multiple of 9/17 rotate
//    nothing and change no flag.
//  - AF (undefined for any non-zero count of SHL/SHR/SAR/SHLD/SHRD) is
//    cleared; rotates leave it alone.
//  - SHLD/SHRD 16-bit counts above 16 act on the 48-bit dest:src:dest.
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

enum class Sh : uint8_t { kShl, kShr, kSar, kRol, kRor, kRcl, kRcr };

template <typename T>
constexpr unsigned kBits = sizeof(T) * 8;
template <typename T>
constexpr unsigned kCountMask = sizeof(T) == 8 ? 63 : 31;

template <typename T>
inline uint64_t msb(T v) {
  return (v >> (kBits<T> - 1)) & 1;
}

template <typename T>
inline uint64_t msb2(T v) {  // the bit below the MSB
  return (v >> (kBits<T> - 2)) & 1;
}

// Shifts `a` by c (1 <= c <= 31, or 63 for 64-bit) and updates `fl` (RFLAGS).
template <Sh op, typename T, bool imm>
inline T do_shift(T a, unsigned c, uint64_t& fl) {
  constexpr unsigned W = kBits<T>;
  T r;
  uint64_t cf;
  if constexpr (op == Sh::kShl) {
    if constexpr (W == 64) {
      r = static_cast<T>(a << c);
      cf = (a >> (64 - c)) & 1;
    } else {
      uint64_t wide = static_cast<uint64_t>(a) << c;
      r = static_cast<T>(wide);
      cf = (wide >> W) & 1;
    }
    uint64_t f = flags::zf_sf_pf<T>(r) | cf;
    if (msb<T>(a) ^ msb2<T>(a)) f |= OF;
    flags::merge(fl, kArithFlags, f);
  } else if constexpr (op == Sh::kShr) {
    uint64_t wa = a;
    r = static_cast<T>(wa >> c);
    cf = (wa >> (c - 1)) & 1;
    uint64_t f = flags::zf_sf_pf<T>(r) | cf;
    if (msb<T>(a)) f |= OF;
    flags::merge(fl, kArithFlags, f);
  } else if constexpr (op == Sh::kSar) {
    using S = std::make_signed_t<T>;
    int64_t sa = static_cast<S>(a);
    r = static_cast<T>(sa >> c);
    cf = static_cast<uint64_t>(sa >> (c - 1)) & 1;
    flags::merge(fl, kArithFlags, flags::zf_sf_pf<T>(r) | cf);  // OF = 0
  } else if constexpr (op == Sh::kRol || op == Sh::kRor) {
    unsigned tc = c & (W - 1);
    if constexpr (op == Sh::kRol) {
      r = tc ? static_cast<T>((a << tc) | (a >> (W - tc))) : a;
      cf = r & 1;
      if (imm && c != 1)
        flags::merge(fl, CF, cf);
      else
        flags::merge(fl, CF | OF, cf | ((msb<T>(a) ^ msb2<T>(a)) ? OF : 0));
    } else {
      r = tc ? static_cast<T>((a >> tc) | (a << (W - tc))) : a;
      cf = msb<T>(r);
      if (imm && c != 1)
        flags::merge(fl, CF, cf);
      else
        flags::merge(fl, CF | OF, cf | ((msb<T>(a) ^ (a & 1)) ? OF : 0));
    }
  } else {  // RCL, RCR: rotate the (W+1)-bit value CF:a
    unsigned tc = W < 32 ? c % (W + 1) : c;
    uint64_t cin = fl & CF;
    if (tc == 0) return a;  // 8/16-bit counts 9/18/27 or 17: nothing changes
    if constexpr (W == 64) {
      using U = unsigned __int128;
      const U mask = (U(1) << 65) - 1;
      U v = (U(cin) << 64) | a;
      U x = op == Sh::kRcl ? ((v << tc) | (v >> (65 - tc))) : ((v >> tc) | (v << (65 - tc)));
      x &= mask;
      r = static_cast<T>(x);
      cf = static_cast<uint64_t>(x >> 64) & 1;
    } else {
      const uint64_t mask = (1ull << (W + 1)) - 1;
      uint64_t v = (cin << W) | a;
      uint64_t x = op == Sh::kRcl ? ((v << tc) | (v >> (W + 1 - tc)))
                                  : ((v >> tc) | (v << (W + 1 - tc)));
      x &= mask;
      r = static_cast<T>(x);
      cf = (x >> W) & 1;
    }
    uint64_t of = op == Sh::kRcl ? (msb<T>(a) ^ msb2<T>(a)) : (msb<T>(a) ^ cin);
    flags::merge(fl, CF | OF, cf | (of ? OF : 0));
  }
  return r;
}

template <Sh op, typename T, bool imm>
void exec_shift(Engine& e, const DecodedInsn& d) {
  unsigned c = e.read_op<uint8_t>(d, 1) & kCountMask<T>;
  const Operand& o = d.op[0];
  if (HVSIM_LIKELY(o.kind == OpKind::kReg)) {
    T a = e.get_reg<T>(o);
    if (HVSIM_LIKELY(c != 0)) {
      uint64_t fl = e.s.rflags;
      a = do_shift<op, T, imm>(a, c, fl);
      e.s.rflags = fl;
    }
    e.set_reg<T>(o, a);
  } else {
    uint64_t la = e.mem_linear(d, sizeof(T), true);
    T a = e.read<T>(la);
    if (c == 0) return;
    uint64_t fl = e.s.rflags;
    e.write<T>(la, do_shift<op, T, false>(a, c, fl));
    e.s.rflags = fl;
  }
}

// SHLD / SHRD: op[0] destination, op[1] source register, op[2] count.
template <bool left, typename T>
inline T do_double(T a, T b, unsigned c, uint64_t& fl) {
  constexpr unsigned W = kBits<T>;
  T r;
  uint64_t cf;
  if constexpr (W == 64) {
    if (left) {
      r = (a << c) | (b >> (64 - c));
      cf = (a >> (64 - c)) & 1;
    } else {
      r = (a >> c) | (b << (64 - c));
      cf = (a >> (c - 1)) & 1;
    }
  } else if constexpr (W == 32) {
    if (left) {
      uint64_t t = (static_cast<uint64_t>(a) << 32) | b;
      r = static_cast<T>((t << c) >> 32);
      cf = (t >> (64 - c)) & 1;
    } else {
      uint64_t t = (static_cast<uint64_t>(b) << 32) | a;
      r = static_cast<T>(t >> c);
      cf = (t >> (c - 1)) & 1;
    }
  } else {  // 16-bit: counts 17..31 are undefined; use the 48-bit a:b:a form
    if (left) {
      uint64_t t = (static_cast<uint64_t>(a) << 32) | (static_cast<uint64_t>(b) << 16) | a;
      r = static_cast<T>((t << c) >> 32);
      cf = (t >> (48 - c)) & 1;
    } else {
      uint64_t t = (static_cast<uint64_t>(a) << 32) | (static_cast<uint64_t>(b) << 16) | a;
      r = static_cast<T>(t >> c);
      cf = (t >> (c - 1)) & 1;
    }
  }
  uint64_t f = flags::zf_sf_pf<T>(r) | cf;
  if (msb<T>(a) ^ (left ? msb2<T>(a) : (b & 1))) f |= OF;
  flags::merge(fl, kArithFlags, f);
  return r;
}

template <bool left, typename T>
void exec_double(Engine& e, const DecodedInsn& d) {
  unsigned c = e.read_op<uint8_t>(d, 2) & kCountMask<T>;
  T b = e.get_reg<T>(d.op[1]);
  const Operand& o = d.op[0];
  if (HVSIM_LIKELY(o.kind == OpKind::kReg)) {
    T a = e.get_reg<T>(o);
    if (HVSIM_LIKELY(c != 0)) {
      uint64_t fl = e.s.rflags;
      a = do_double<left, T>(a, b, c, fl);
      e.s.rflags = fl;
    }
    e.set_reg<T>(o, a);
  } else {
    uint64_t la = e.mem_linear(d, sizeof(T), true);
    T a = e.read<T>(la);
    if (c == 0) return;
    uint64_t fl = e.s.rflags;
    e.write<T>(la, do_double<left, T>(a, b, c, fl));
    e.s.rflags = fl;
  }
}

// The count's form matters only for the OF of ROL/ROR (see the top).
#define HVSIM_SHIFT_BINDER(OP)                                                                \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {          \
    if (d.flags & kLock) return;                                                            \
    if (d.op[1].kind == OpKind::kImm)                                                       \
      d.exec = by_size(d.opsize, &exec_shift<OP, uint8_t, true>,                            \
                       &exec_shift<OP, uint16_t, true>, &exec_shift<OP, uint32_t, true>,    \
                       &exec_shift<OP, uint64_t, true>);                                    \
    else                                                                                    \
      d.exec = by_size(d.opsize, &exec_shift<OP, uint8_t, false>,                           \
                       &exec_shift<OP, uint16_t, false>, &exec_shift<OP, uint32_t, false>,  \
                       &exec_shift<OP, uint64_t, false>);                                   \
  }

#define HVSIM_DOUBLE_BINDER(LEFT)                                                          \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {       \
    if (d.flags & kLock) return;                                                         \
    d.exec = by_size(d.opsize, nullptr, &exec_double<LEFT, uint16_t>,                    \
                     &exec_double<LEFT, uint32_t>, &exec_double<LEFT, uint64_t>);        \
  }

}  // namespace

void register_shift(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_SHL, HVSIM_SHIFT_BINDER(Sh::kShl), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_SHR, HVSIM_SHIFT_BINDER(Sh::kShr), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_SAR, HVSIM_SHIFT_BINDER(Sh::kSar), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_ROL, HVSIM_SHIFT_BINDER(Sh::kRol), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_ROR, HVSIM_SHIFT_BINDER(Sh::kRor), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_RCL, HVSIM_SHIFT_BINDER(Sh::kRcl), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_RCR, HVSIM_SHIFT_BINDER(Sh::kRcr), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_SHLD, HVSIM_DOUBLE_BINDER(true), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_SHRD, HVSIM_DOUBLE_BINDER(false), timing::k_shift);
}

}  // namespace hvsim::core::isa
