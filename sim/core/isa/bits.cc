// Bit instructions (SDM Vol. 2): BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT,
// BSWAP, and the VEX-encoded BMI1 (ANDN BEXTR BLSI BLSMSK BLSR), BMI2 (BZHI
// MULX PDEP PEXT RORX SARX SHLX SHRX) and ADX (ADCX ADOX) instructions.
//
// Undefined flags are set the way the AMD Zen 3 host does it (checked by
// tests/isa in strict mode); each function says what it chooses.
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

template <typename T>
constexpr unsigned kBits = sizeof(T) * 8;
template <typename T>
constexpr unsigned kLog2Bits = sizeof(T) == 8 ? 6 : sizeof(T) == 4 ? 5 : sizeof(T) == 2 ? 4 : 3;

// ---------------------------------------------------------------- BT family

enum class Bt : uint8_t { kBt, kBts, kBtr, kBtc };

template <Bt op, typename T>
inline T bt_apply(T a, unsigned bit) {
  const T m = static_cast<T>(T(1) << bit);
  if constexpr (op == Bt::kBts) return a | m;
  if constexpr (op == Bt::kBtr) return static_cast<T>(a & ~m);
  if constexpr (op == Bt::kBtc) return a ^ m;
  return a;
}

// CF = the selected bit. ZF is unchanged; OF, SF, AF and PF are undefined
// and left unchanged (as on the Zen 3 host).
template <Bt op, typename T>
void exec_bt(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = kBits<T>;
  const Operand& o = d.op[0];
  uint64_t cf;
  if (HVSIM_LIKELY(o.kind == OpKind::kReg)) {
    unsigned bit = e.read_op<T>(d, 1) & (W - 1);
    T a = e.get_reg<T>(o);
    cf = (a >> bit) & 1;
    if constexpr (op != Bt::kBt) e.set_reg<T>(o, bt_apply<op, T>(a, bit));
  } else {
    // SDM "Bit(BitBase, BitOffset)": a register offset is signed and may
    // address memory outside the operand; the access is the operand-sized
    // word that holds the bit. An immediate offset is taken modulo the size.
    uint64_t off = e.ea(d);
    unsigned bit;
    if (d.op[1].kind == OpKind::kImm) {
      bit = d.imm & (W - 1);
    } else {
      using S = std::make_signed_t<T>;
      int64_t bo = static_cast<S>(e.get_reg<T>(d.op[1]));
      off = Engine::mask_addr(off + static_cast<uint64_t>((bo >> kLog2Bits<T>) * int64_t(sizeof(T))),
                              d.addrsize);
      bit = static_cast<unsigned>(bo) & (W - 1);
    }
    uint64_t la = e.linear(d.mem.seg, off, sizeof(T), op != Bt::kBt);
    T a = e.read<T>(la);
    cf = (a >> bit) & 1;
    if constexpr (op != Bt::kBt) e.write<T>(la, bt_apply<op, T>(a, bit));
  }
  e.s.rflags = (e.s.rflags & ~CF) | cf;
}

// ---------------------------------------------------------------- scans

// BSF/BSR: a zero source sets ZF and leaves the destination unchanged (as AMD
// documents and Intel implements; a 32-bit destination is then not
// zero-extended either). CF, OF, SF, AF, PF are undefined: as on the Zen 3
// host, PF is the parity of the index found (set for a zero source) and the
// others are cleared.
template <bool reverse, typename T>
void exec_bsf(Engine& e, const DecodedInsn& d) {
  T s = e.read_op<T>(d, 1);
  if (HVSIM_UNLIKELY(s == 0)) {
    flags::merge(e.s.rflags, kArithFlags, ZF | PF);
    return;
  }
  unsigned i = reverse ? kBits<T> - 1 - static_cast<unsigned>(__builtin_clzll(s) - (64 - kBits<T>))
                       : static_cast<unsigned>(__builtin_ctzll(s));
  e.set_reg<T>(d.op[0], static_cast<T>(i));
  flags::merge(e.s.rflags, kArithFlags, flags::pf(i));
}

// TZCNT/LZCNT: CF = (source == 0), ZF = (result == 0); OF, SF, AF, PF are
// undefined and cleared.
template <bool leading, typename T>
void exec_tzcnt(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = kBits<T>;
  T s = e.read_op<T>(d, 1);
  unsigned n;
  if (s == 0)
    n = W;
  else
    n = leading ? static_cast<unsigned>(__builtin_clzll(s)) - (64 - W)
                : static_cast<unsigned>(__builtin_ctzll(s));
  e.set_reg<T>(d.op[0], static_cast<T>(n));
  uint64_t f = (s == 0 ? CF : 0) | (n == 0 ? ZF : 0);
  flags::merge(e.s.rflags, kArithFlags, f);
}

// POPCNT: ZF = (source == 0); OF, SF, AF, CF, PF are cleared.
template <typename T>
void exec_popcnt(Engine& e, const DecodedInsn& d) {
  T s = e.read_op<T>(d, 1);
  e.set_reg<T>(d.op[0], static_cast<T>(__builtin_popcountll(s)));
  flags::merge(e.s.rflags, kArithFlags, s == 0 ? ZF : 0);
}

// BSWAP: the 16-bit form is undefined; we write zero to the low 16 bits.
template <typename T>
void exec_bswap(Engine& e, const DecodedInsn& d) {
  T v = e.get_reg<T>(d.op[0]);
  if constexpr (sizeof(T) == 8)
    v = __builtin_bswap64(v);
  else if constexpr (sizeof(T) == 4)
    v = __builtin_bswap32(v);
  else
    v = 0;
  e.set_reg<T>(d.op[0], v);
}

// ---------------------------------------------------------------- BMI1

// Flags for BMI results: SF and ZF from the result, OF = 0, CF as given;
// AF and PF are undefined and cleared.
template <typename T>
inline void bmi_flags(Engine& e, T r, bool cf) {
  uint64_t f = (r == 0 ? ZF : 0) | ((r >> (kBits<T> - 1)) & 1 ? SF : 0) | (cf ? CF : 0);
  flags::merge(e.s.rflags, kArithFlags, f);
}

// ANDN dest, src1 (VEX.vvvv), src2 (r/m)
template <typename T>
void exec_andn(Engine& e, const DecodedInsn& d) {
  T r = static_cast<T>(~e.get_reg<T>(d.op[1]) & e.read_op<T>(d, 2));
  e.set_reg<T>(d.op[0], r);
  bmi_flags<T>(e, r, false);
}

// BEXTR dest, src (r/m), control (VEX.vvvv): start = control[7:0], length =
// control[15:8]. ZF from the result, CF = OF = 0; SF, AF, PF undefined and
// cleared.
template <typename T>
void exec_bextr(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = kBits<T>;
  T s = e.read_op<T>(d, 1);
  T c = e.get_reg<T>(d.op[2]);
  unsigned start = c & 0xff, len = (c >> 8) & 0xff;
  T r = start < W ? static_cast<T>(s >> start) : 0;
  if (len < W) r &= static_cast<T>((T(1) << len) - 1);
  e.set_reg<T>(d.op[0], r);
  flags::merge(e.s.rflags, kArithFlags, r == 0 ? ZF : 0);
}

enum class Bls : uint8_t { kBlsi, kBlsmsk, kBlsr };

// BLSI/BLSMSK/BLSR dest (VEX.vvvv), src (r/m).
template <Bls op, typename T>
void exec_bls(Engine& e, const DecodedInsn& d) {
  T s = e.read_op<T>(d, 1);
  T r;
  bool cf;
  if constexpr (op == Bls::kBlsi) {
    r = static_cast<T>(s & (T(0) - s));
    cf = s != 0;
  } else if constexpr (op == Bls::kBlsmsk) {
    r = static_cast<T>(s ^ (s - 1));
    cf = s == 0;
  } else {
    r = static_cast<T>(s & (s - 1));
    cf = s == 0;
  }
  e.set_reg<T>(d.op[0], r);
  bmi_flags<T>(e, r, cf);
}

// ---------------------------------------------------------------- BMI2

// BZHI dest, src (r/m), index (VEX.vvvv): zero the bits from index[7:0] up.
// CF = (index > W - 1); SF, ZF from the result, OF = 0; AF, PF undefined
// and cleared.
template <typename T>
void exec_bzhi(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = kBits<T>;
  T s = e.read_op<T>(d, 1);
  unsigned n = e.get_reg<T>(d.op[2]) & 0xff;
  T r = n < W ? static_cast<T>(s & ((T(1) << n) - 1)) : s;
  e.set_reg<T>(d.op[0], r);
  bmi_flags<T>(e, r, n > W - 1);
}

// MULX hi, lo (VEX.vvvv), src (r/m): unsigned rDX * src, no flags. When both
// destinations are the same register it receives the high half.
template <typename T>
void exec_mulx(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = kBits<T>;
  using Wide = std::conditional_t<sizeof(T) == 8, unsigned __int128, uint64_t>;
  Wide p = static_cast<Wide>(static_cast<T>(e.s.gpr[RDX])) * e.read_op<T>(d, 2);
  e.set_reg<T>(d.op[1], static_cast<T>(p));
  e.set_reg<T>(d.op[0], static_cast<T>(p >> W));
}

// PDEP / PEXT dest, src (VEX.vvvv), mask (r/m); no flags.
template <typename T>
void exec_pdep(Engine& e, const DecodedInsn& d) {
  T s = e.get_reg<T>(d.op[1]);
  T m = e.read_op<T>(d, 2);
  T r = 0;
  for (T k = 1; m; m &= static_cast<T>(m - 1), k = static_cast<T>(k << 1))
    if (s & k) r |= static_cast<T>(m & (T(0) - m));
  e.set_reg<T>(d.op[0], r);
}

template <typename T>
void exec_pext(Engine& e, const DecodedInsn& d) {
  T s = e.get_reg<T>(d.op[1]);
  T m = e.read_op<T>(d, 2);
  T r = 0;
  for (T k = 1; m; m &= static_cast<T>(m - 1), k = static_cast<T>(k << 1))
    if (s & m & (T(0) - m)) r |= k;
  e.set_reg<T>(d.op[0], r);
}

// RORX dest, src (r/m), imm8; no flags.
template <typename T>
void exec_rorx(Engine& e, const DecodedInsn& d) {
  constexpr unsigned W = kBits<T>;
  T s = e.read_op<T>(d, 1);
  unsigned c = d.imm & (W - 1);
  e.set_reg<T>(d.op[0], c ? static_cast<T>((s >> c) | (s << (W - c))) : s);
}

enum class Sx : uint8_t { kSarx, kShlx, kShrx };

// SARX/SHLX/SHRX dest, src (r/m), count (VEX.vvvv); no flags.
template <Sx op, typename T>
void exec_shx(Engine& e, const DecodedInsn& d) {
  T s = e.read_op<T>(d, 1);
  unsigned c = e.get_reg<T>(d.op[2]) & (kBits<T> - 1);
  T r;
  if constexpr (op == Sx::kSarx)
    r = static_cast<T>(static_cast<std::make_signed_t<T>>(s) >> c);
  else if constexpr (op == Sx::kShlx)
    r = static_cast<T>(s << c);
  else
    r = static_cast<T>(s >> c);
  e.set_reg<T>(d.op[0], r);
}

// ---------------------------------------------------------------- ADX

// ADCX (carry in/out through CF) and ADOX (through OF): other flags unchanged.
template <bool of, typename T>
void exec_adx(Engine& e, const DecodedInsn& d) {
  constexpr uint64_t kFlag = of ? OF : CF;
  T a = e.get_reg<T>(d.op[0]);
  T b = e.read_op<T>(d, 1);
  bool c = e.s.rflags & kFlag;
  T r = static_cast<T>(a + b + c);
  bool co = c ? r <= a : r < a;
  e.set_reg<T>(d.op[0], r);
  e.s.rflags = (e.s.rflags & ~kFlag) | (co ? kFlag : 0);
}

// ---------------------------------------------------------------- binders

bool lock_ok(DecodedInsn& d) {
  if (!(d.flags & kLock)) return true;
  if (d.op[0].kind != OpKind::kMem) return false;
  d.tclass = timing::k_atomic;
  return true;
}

#define HVSIM_BT_BINDER(OP, LOCKABLE)                                                          \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {           \
    if ((d.flags & kLock) && (!(LOCKABLE) || !lock_ok(d))) return;                           \
    d.exec = by_size(d.opsize, nullptr, &exec_bt<OP, uint16_t>, &exec_bt<OP, uint32_t>,      \
                     &exec_bt<OP, uint64_t>);                                                \
  }

// A binder for a function templated on one extra parameter and the size.
#define HVSIM_SIZED_P(FN, P)                                                                 \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {           \
    if (d.flags & kLock) return;                                                             \
    d.exec = by_size(d.opsize, nullptr, &FN<P, uint16_t>, &FN<P, uint32_t>, &FN<P, uint64_t>); \
  }

// No 8-bit form exists; a 16-bit form exists only for the legacy-encoded ones
// (VEX forms are 32/64-bit only, which Zydis enforces).
#define HVSIM_SIZED16(FN)                                                                 \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {        \
    if (d.flags & kLock) return;                                                          \
    d.exec = by_size(d.opsize, nullptr, &FN<uint16_t>, &FN<uint32_t>, &FN<uint64_t>);     \
  }

}  // namespace

void register_bits(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_BT, HVSIM_BT_BINDER(Bt::kBt, false), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BTS, HVSIM_BT_BINDER(Bt::kBts, true), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BTR, HVSIM_BT_BINDER(Bt::kBtr, true), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BTC, HVSIM_BT_BINDER(Bt::kBtc, true), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BSF, HVSIM_SIZED_P(exec_bsf, false), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BSR, HVSIM_SIZED_P(exec_bsf, true), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_TZCNT, HVSIM_SIZED_P(exec_tzcnt, false), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_LZCNT, HVSIM_SIZED_P(exec_tzcnt, true), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_POPCNT, HVSIM_SIZED16(exec_popcnt), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BSWAP, HVSIM_SIZED16(exec_bswap), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_ANDN, HVSIM_SIZED16(exec_andn), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_BEXTR, HVSIM_SIZED16(exec_bextr), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BLSI, HVSIM_SIZED_P(exec_bls, Bls::kBlsi), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BLSMSK, HVSIM_SIZED_P(exec_bls, Bls::kBlsmsk), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BLSR, HVSIM_SIZED_P(exec_bls, Bls::kBlsr), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_BZHI, HVSIM_SIZED16(exec_bzhi), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_MULX, HVSIM_SIZED16(exec_mulx), timing::k_mul);
  t.add(ZYDIS_MNEMONIC_PDEP, HVSIM_SIZED16(exec_pdep), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_PEXT, HVSIM_SIZED16(exec_pext), timing::k_bitop);
  t.add(ZYDIS_MNEMONIC_RORX, HVSIM_SIZED16(exec_rorx), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_SARX, HVSIM_SIZED_P(exec_shx, Sx::kSarx), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_SHLX, HVSIM_SIZED_P(exec_shx, Sx::kShlx), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_SHRX, HVSIM_SIZED_P(exec_shx, Sx::kShrx), timing::k_shift);
  t.add(ZYDIS_MNEMONIC_ADCX, HVSIM_SIZED_P(exec_adx, false), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_ADOX, HVSIM_SIZED_P(exec_adx, true), timing::k_alu);
}

}  // namespace hvsim::core::isa
