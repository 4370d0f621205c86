// Data movement: MOV (GPR forms), MOVZX, MOVSX, MOVSXD, LEA, XCHG, CMOVcc,
// SETcc, CMPXCHG, CMPXCHG8B/16B, XADD, XLAT (SDM Vol. 2).
#include "sim/core/isa/fast_mem.h"
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

// Also the memory forms' general form (fast_mem.h): kept out of line there.
template <typename T>
__attribute__((noinline)) void mov(Engine& e, const DecodedInsn& d) {
  e.write_op<T>(d, 0, e.read_op<T>(d, 1));
}

// MOV r, r: the most frequent form, without the operand-kind tests.
template <typename T>
void mov_rr(Engine& e, const DecodedInsn& d) {
  e.set_reg<T>(d.op[0], e.get_reg<T>(d.op[1]));
}

// MOV r, imm
template <typename T>
void mov_ri(Engine& e, const DecodedInsn& d) {
  e.set_reg<T>(d.op[0], static_cast<T>(d.imm));
}

// MOV r, m / MOV m, r / MOV m, imm: the memory forms, bound at decode; off
// the fast path (fast_mem.h) the general MOV runs.
template <typename T>
void mov_rm(Engine& e, const DecodedInsn& d) {
  load_then<T>(e, d, &mov<T>, [&](T v) { e.set_reg<T>(d.op[0], v); });
}
template <typename T>
void mov_mr(Engine& e, const DecodedInsn& d) {
  store_last<T>(e, d, &mov<T>, e.get_reg<T>(d.op[1]));
}
template <typename T>
void mov_mi(Engine& e, const DecodedInsn& d) {
  store_last<T>(e, d, &mov<T>, static_cast<T>(d.imm));
}

template <typename D, typename S>
void movzx(Engine& e, const DecodedInsn& d) {
  e.set_reg<D>(d.op[0], static_cast<D>(e.read_op<S>(d, 1)));
}

template <typename D, typename S>
D sign_extend(S v) {
  return static_cast<D>(static_cast<std::make_signed_t<D>>(static_cast<std::make_signed_t<S>>(v)));
}
template <typename D, typename S>
void movsx(Engine& e, const DecodedInsn& d) {
  e.set_reg<D>(d.op[0], sign_extend<D, S>(e.read_op<S>(d, 1)));
}

template <typename T>
void lea(Engine& e, const DecodedInsn& d) {
  e.set_reg<T>(d.op[0], static_cast<T>(e.ea(d)));
}

template <typename T>
void xchg(Engine& e, const DecodedInsn& d) {
  if (d.op[0].kind == OpKind::kMem || d.op[1].kind == OpKind::kMem) {
    const int m = d.op[0].kind == OpKind::kMem ? 0 : 1;
    const Operand& r = d.op[1 - m];
    uint64_t la = e.mem_linear(d, sizeof(T), true);
    T mv = e.read<T>(la);
    e.write<T>(la, e.get_reg<T>(r));
    e.set_reg<T>(r, mv);
    return;
  }
  T a = e.get_reg<T>(d.op[0]);
  T b = e.get_reg<T>(d.op[1]);
  e.set_reg<T>(d.op[0], b);
  e.set_reg<T>(d.op[1], a);
}

// SDM CMOVcc: the source is read whatever the condition; a 32-bit
// destination is zero-extended in 64-bit mode even when nothing moves.
template <typename T>
void cmov(Engine& e, const DecodedInsn& d) {
  T v = e.read_op<T>(d, 1);
  if (cond(e.s.rflags, d.cond))
    e.set_reg<T>(d.op[0], v);
  else if constexpr (sizeof(T) == 4)
    e.set_reg<T>(d.op[0], e.get_reg<T>(d.op[0]));
}

void setcc(Engine& e, const DecodedInsn& d) {
  e.write_op<uint8_t>(d, 0, cond(e.s.rflags, d.cond) ? 1 : 0);
}

// SDM CMPXCHG: compare the accumulator with the destination; a memory
// destination is always written (with its old value on mismatch).
template <typename T>
void cmpxchg(Engine& e, const DecodedInsn& d) {
  T acc = static_cast<T>(e.s.gpr[RAX]);
  T src = e.get_reg<T>(d.op[1]);
  T dst;
  uint64_t la = 0;
  const bool mem = d.op[0].kind == OpKind::kMem;
  if (mem) {
    la = e.mem_linear(d, sizeof(T), true);
    dst = e.read<T>(la);
  } else {
    dst = e.get_reg<T>(d.op[0]);
  }
  const bool equal = acc == dst;
  if (mem)
    e.write<T>(la, equal ? src : dst);
  else if (equal)
    e.set_reg<T>(d.op[0], src);
  if (!equal) e.set_gpr<T>(RAX, dst);
  T diff;
  flags::merge(e.s.rflags, kArithFlags, flags::sub_to<T>(acc, dst, diff));
}

template <typename T>
void xadd(Engine& e, const DecodedInsn& d) {
  T src = e.get_reg<T>(d.op[1]);
  if (d.op[0].kind == OpKind::kMem) {
    uint64_t la = e.mem_linear(d, sizeof(T), true);
    T dst = e.read<T>(la);
    T sum;
    const uint64_t f = flags::add_to<T>(dst, src, sum);
    e.write<T>(la, sum);
    e.set_reg<T>(d.op[1], dst);
    flags::merge(e.s.rflags, kArithFlags, f);
    return;
  }
  T dst = e.get_reg<T>(d.op[0]);
  T sum;
  const uint64_t f = flags::add_to<T>(dst, src, sum);
  e.set_reg<T>(d.op[1], dst);
  e.set_reg<T>(d.op[0], sum);
  flags::merge(e.s.rflags, kArithFlags, f);
}

// CMPXCHG8B / CMPXCHG16B (SDM Vol. 2A): EDX:EAX (RDX:RAX) against m64 (m128).
template <typename H>
void cmpxchg_double(Engine& e, const DecodedInsn& d) {
  constexpr unsigned n = 2 * sizeof(H);
  uint64_t off = e.ea(d);
  if (n == 16 && (off & 15)) raise(kGP, 0);
  uint64_t la = e.linear(d.mem.seg, off, n, true);
  H lo = e.read<H>(la);
  H hi = e.read<H>(la + sizeof(H));
  const bool equal = lo == static_cast<H>(e.s.gpr[RAX]) && hi == static_cast<H>(e.s.gpr[RDX]);
  e.probe_write(la, n);
  if (equal) {
    e.write<H>(la, static_cast<H>(e.s.gpr[RBX]));
    e.write<H>(la + sizeof(H), static_cast<H>(e.s.gpr[RCX]));
    e.s.rflags |= ZF;
  } else {
    e.write<H>(la, lo);
    e.write<H>(la + sizeof(H), hi);
    e.set_gpr<H>(RAX, lo);
    e.set_gpr<H>(RDX, hi);
    e.s.rflags &= ~ZF;
  }
}

// XLAT: AL <- seg:[rBX + zero-extended AL]; the segment is in d.mem.seg.
void xlat(Engine& e, const DecodedInsn& d) {
  uint64_t off = Engine::mask_addr(e.s.gpr[RBX] + (e.s.gpr[RAX] & 0xff), d.addrsize);
  e.set_gpr<uint8_t>(RAX, e.read<uint8_t>(e.linear(d.mem.seg, off, 1, false)));
}

bool special(const DecodedInsn& d) {
  for (unsigned i = 0; i < d.nops; ++i)
    if (d.op[i].kind == OpKind::kReg && d.op[i].rclass != RegClass::kGpr) return true;
  return false;
}

void bind_mov(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
  if (special(d)) {
    bind_mov_special(zi, ops, d);
    return;
  }
  unsigned sz = d.op[0].size;
  if (d.op[0].kind == OpKind::kReg && d.op[1].kind == OpKind::kReg)
    d.exec = HVSIM_BY_SIZE(mov_rr, sz);
  else if (d.op[0].kind == OpKind::kReg && d.op[1].kind == OpKind::kImm)
    d.exec = HVSIM_BY_SIZE(mov_ri, sz);
  else if (d.op[0].kind == OpKind::kReg && d.op[1].kind == OpKind::kMem)
    d.exec = HVSIM_BY_SIZE(mov_rm, sz);
  else if (d.op[0].kind == OpKind::kMem && d.op[1].kind == OpKind::kReg)
    d.exec = HVSIM_BY_SIZE(mov_mr, sz);
  else if (d.op[0].kind == OpKind::kMem && d.op[1].kind == OpKind::kImm)
    d.exec = HVSIM_BY_SIZE(mov_mi, sz);
  else
    d.exec = HVSIM_BY_SIZE(mov, sz);
  d.tclass = timing::k_move;
}

template <template <typename, typename> class F>
ExecFn widen(unsigned dst, unsigned src);

// ZxFn/SxFn are also ZxMemFn/SxMemFn's general forms: out of line.
template <typename D, typename S>
struct ZxFn {
  __attribute__((noinline)) static void f(Engine& e, const DecodedInsn& d) { movzx<D, S>(e, d); }
};
template <typename D, typename S>
struct SxFn {
  __attribute__((noinline)) static void f(Engine& e, const DecodedInsn& d) { movsx<D, S>(e, d); }
};
// The memory-source forms, bound at decode; off the fast path (fast_mem.h)
// the general MOVZX/MOVSX runs.
template <typename D, typename S>
struct ZxMemFn {
  static void f(Engine& e, const DecodedInsn& d) {
    load_then<S>(e, d, &ZxFn<D, S>::f, [&](S v) { e.set_reg<D>(d.op[0], static_cast<D>(v)); });
  }
};
template <typename D, typename S>
struct SxMemFn {
  static void f(Engine& e, const DecodedInsn& d) {
    load_then<S>(e, d, &SxFn<D, S>::f,
                 [&](S v) { e.set_reg<D>(d.op[0], sign_extend<D, S>(v)); });
  }
};

template <template <typename, typename> class F>
ExecFn widen(unsigned dst, unsigned src) {
  switch (dst * 16 + src) {
    case 2 * 16 + 1: return &F<uint16_t, uint8_t>::f;
    case 2 * 16 + 2: return &F<uint16_t, uint16_t>::f;
    case 4 * 16 + 1: return &F<uint32_t, uint8_t>::f;
    case 4 * 16 + 2: return &F<uint32_t, uint16_t>::f;
    case 4 * 16 + 4: return &F<uint32_t, uint32_t>::f;
    case 8 * 16 + 1: return &F<uint64_t, uint8_t>::f;
    case 8 * 16 + 2: return &F<uint64_t, uint16_t>::f;
    case 8 * 16 + 4: return &F<uint64_t, uint32_t>::f;
    default: return nullptr;
  }
}

void bind_movzx(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  d.exec = d.op[1].kind == OpKind::kMem ? widen<ZxMemFn>(d.op[0].size, d.op[1].size)
                                         : widen<ZxFn>(d.op[0].size, d.op[1].size);
}
void bind_movsx(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  d.exec = d.op[1].kind == OpKind::kMem ? widen<SxMemFn>(d.op[0].size, d.op[1].size)
                                         : widen<SxFn>(d.op[0].size, d.op[1].size);
}

void bind_lea(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.op[1].kind != OpKind::kMem) return;  // LEA with a register source is #UD
  d.exec = HVSIM_BY_SIZE(lea, d.op[0].size);
}

void bind_xchg(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  d.exec = HVSIM_BY_SIZE(xchg, d.op[0].size);
  if (d.op[0].kind == OpKind::kMem || d.op[1].kind == OpKind::kMem) d.tclass = timing::k_atomic;
}

void bind_cmpxchg(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  d.exec = HVSIM_BY_SIZE(cmpxchg, d.op[0].size);
}
void bind_xadd(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  d.exec = HVSIM_BY_SIZE(xadd, d.op[0].size);
}

void bind_xlat(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
  for (unsigned i = 0; i < zi.operand_count; ++i)
    if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].mem.segment != ZYDIS_REGISTER_NONE)
      d.mem.seg = static_cast<uint8_t>(ZydisRegisterGetId(ops[i].mem.segment));
  d.exec = &xlat;
}

}  // namespace

void register_move(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_MOV, &bind_mov, timing::k_move);
  t.add(ZYDIS_MNEMONIC_MOVZX, &bind_movzx, timing::k_move);
  t.add(ZYDIS_MNEMONIC_MOVSX, &bind_movsx, timing::k_move);
  t.add(ZYDIS_MNEMONIC_MOVSXD, &bind_movsx, timing::k_move);
  t.add(ZYDIS_MNEMONIC_LEA, &bind_lea, timing::k_lea);
  t.add(ZYDIS_MNEMONIC_XCHG, &bind_xchg, timing::k_move);
  t.add(ZYDIS_MNEMONIC_CMPXCHG, &bind_cmpxchg, timing::k_atomic);
  t.add(ZYDIS_MNEMONIC_XADD, &bind_xadd, timing::k_atomic);
  t.add(ZYDIS_MNEMONIC_CMPXCHG8B, HVSIM_PLAIN(cmpxchg_double<uint32_t>), timing::k_atomic);
  t.add(ZYDIS_MNEMONIC_CMPXCHG16B, HVSIM_PLAIN(cmpxchg_double<uint64_t>), timing::k_atomic);
  t.add(ZYDIS_MNEMONIC_XLAT, &bind_xlat, timing::k_move);
  t.add(ZYDIS_MNEMONIC_SETO, HVSIM_PLAIN(setcc), timing::k_move);
  static const ZydisMnemonic kCmov[] = {
      ZYDIS_MNEMONIC_CMOVO,  ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB,  ZYDIS_MNEMONIC_CMOVNB,
      ZYDIS_MNEMONIC_CMOVZ,  ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
      ZYDIS_MNEMONIC_CMOVS,  ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP,  ZYDIS_MNEMONIC_CMOVNP,
      ZYDIS_MNEMONIC_CMOVL,  ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
  for (ZydisMnemonic m : kCmov) t.add(m, HVSIM_SIZED(cmov), timing::k_move);
  static const ZydisMnemonic kSet[] = {
      ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB,  ZYDIS_MNEMONIC_SETNB,  ZYDIS_MNEMONIC_SETZ,
      ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_SETS,
      ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP,  ZYDIS_MNEMONIC_SETNP,  ZYDIS_MNEMONIC_SETL,
      ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
  for (ZydisMnemonic m : kSet) t.add(m, HVSIM_PLAIN(setcc), timing::k_move);
}

}  // namespace hvsim::core::isa
