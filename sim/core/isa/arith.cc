// Integer arithmetic and logic (SDM Vol. 2): ADD OR ADC SBB AND SUB XOR CMP
// TEST, INC DEC NEG NOT, and the accumulator sign extensions CBW CWDE CDQE
// CWD CDQ CQO.
//
// Every binary form arrives from Zydis with explicit operands: op[0] is the
// destination (register or memory), op[1] the source (register, memory or an
// immediate already sign-extended to the operand size).
#include "sim/core/isa/alu.h"
#include "sim/core/isa/fast_mem.h"
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

template <Alu op>
ExecFn bind_alu(const DecodedInsn& d) {
  if (d.op[0].kind == OpKind::kReg && d.op[1].kind == OpKind::kReg)
    return by_size(d.opsize, &exec_alu_r<op, uint8_t, false>, &exec_alu_r<op, uint16_t, false>,
                   &exec_alu_r<op, uint32_t, false>, &exec_alu_r<op, uint64_t, false>);
  if (d.op[0].kind == OpKind::kReg && d.op[1].kind == OpKind::kImm)
    return by_size(d.opsize, &exec_alu_r<op, uint8_t, true>, &exec_alu_r<op, uint16_t, true>,
                   &exec_alu_r<op, uint32_t, true>, &exec_alu_r<op, uint64_t, true>);
  if (d.op[0].kind == OpKind::kReg && d.op[1].kind == OpKind::kMem)
    return by_size(d.opsize, &exec_alu_rm<op, uint8_t>, &exec_alu_rm<op, uint16_t>,
                   &exec_alu_rm<op, uint32_t>, &exec_alu_rm<op, uint64_t>);
  if (d.op[0].kind == OpKind::kMem && d.op[1].kind == OpKind::kReg)
    return by_size(d.opsize, &exec_alu_m<op, uint8_t, false>, &exec_alu_m<op, uint16_t, false>,
                   &exec_alu_m<op, uint32_t, false>, &exec_alu_m<op, uint64_t, false>);
  if (d.op[0].kind == OpKind::kMem && d.op[1].kind == OpKind::kImm)
    return by_size(d.opsize, &exec_alu_m<op, uint8_t, true>, &exec_alu_m<op, uint16_t, true>,
                   &exec_alu_m<op, uint32_t, true>, &exec_alu_m<op, uint64_t, true>);
  return by_size(d.opsize, &exec_alu<op, uint8_t>, &exec_alu<op, uint16_t>,
                 &exec_alu<op, uint32_t>, &exec_alu<op, uint64_t>);
}

// Read-modify-write of op[0] with a unary operation; `fn(a, f)` returns the
// result and sets the new flags. Flags are committed after the write, so a
// faulting write leaves no trace.
template <typename T, uint64_t kMask, typename Fn>
inline void unary(Engine& e, const DecodedInsn& d, Fn fn) {
  const Operand& o = d.op[0];
  uint64_t f = 0;
  if (HVSIM_LIKELY(o.kind == OpKind::kReg)) {
    e.set_reg<T>(o, fn(e.get_reg<T>(o), f));
  } else {
    uint64_t la = e.mem_linear(d, sizeof(T), true);
    e.write<T>(la, fn(e.read<T>(la), f));
  }
  if constexpr (kMask != 0) flags::merge(e.s.rflags, kMask, f);
}

// INC/DEC of either operand kind (alu.h's incdec; the binder gives the
// register form exec_incdec_r).
template <typename T>
void exec_inc(Engine& e, const DecodedInsn& d) {
  unary<T, kNoCf>(e, d, &incdec<T, false>);
}
template <typename T>
void exec_dec(Engine& e, const DecodedInsn& d) {
  unary<T, kNoCf>(e, d, &incdec<T, true>);
}

// NEG: 0 - a; CF = (a != 0), which is what sub(0, a) yields.
template <typename T>
void exec_neg(Engine& e, const DecodedInsn& d) {
  unary<T, kArithFlags>(e, d, [](T a, uint64_t& f) {
    T r;
    f = flags::sub_to<T>(0, a, r);
    return r;
  });
}

template <typename T>
void exec_not(Engine& e, const DecodedInsn& d) {
  unary<T, 0>(e, d, [](T a, uint64_t&) { return static_cast<T>(~a); });
}

// CBW / CWDE / CDQE: sign-extend the lower half of the accumulator into all of it.
void exec_cbw(Engine& e, const DecodedInsn&) {
  e.set_gpr<uint16_t>(RAX, static_cast<uint16_t>(static_cast<int8_t>(e.s.gpr[RAX])));
}
void exec_cwde(Engine& e, const DecodedInsn&) {
  e.set_gpr<uint32_t>(RAX, static_cast<uint32_t>(static_cast<int16_t>(e.s.gpr[RAX])));
}
void exec_cdqe(Engine& e, const DecodedInsn&) {
  e.s.gpr[RAX] = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(e.s.gpr[RAX])));
}
// CWD / CDQ / CQO: replicate the accumulator's sign into DX / EDX / RDX.
void exec_cwd(Engine& e, const DecodedInsn&) {
  e.set_gpr<uint16_t>(RDX, static_cast<uint16_t>(static_cast<int16_t>(e.s.gpr[RAX]) >> 15));
}
void exec_cdq(Engine& e, const DecodedInsn&) {
  e.set_gpr<uint32_t>(RDX, static_cast<uint32_t>(static_cast<int32_t>(e.s.gpr[RAX]) >> 31));
}
void exec_cqo(Engine& e, const DecodedInsn&) {
  e.s.gpr[RDX] = static_cast<uint64_t>(static_cast<int64_t>(e.s.gpr[RAX]) >> 63);
}

// SDM Vol. 2 "LOCK": the prefix is allowed only on the listed read-modify-write
// instructions, and only with a memory destination; otherwise #UD. Locked
// forms are charged as atomics.
bool lock_ok(DecodedInsn& d, bool lockable) {
  if (!(d.flags & kLock)) return true;
  if (!lockable || d.op[0].kind != OpKind::kMem) return false;
  d.tclass = timing::k_atomic;
  return true;
}

#define HVSIM_ALU_BINDER(OP, LOCKABLE)                                                     \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {       \
    if (!lock_ok(d, LOCKABLE)) return;                                                   \
    d.exec = bind_alu<OP>(d);                                                            \
  }

#define HVSIM_UNARY_BINDER(FN)                                                     \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) { \
    if (!lock_ok(d, true)) return;                                                 \
    d.exec = HVSIM_BY_SIZE(FN, d.opsize);                                          \
  }

// INC (kDec false) or DEC: the register form alu.h's, the memory form the
// general unary one.
template <bool kDec>
void bind_incdec(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (!lock_ok(d, true)) return;
  if (d.op[0].kind == OpKind::kReg)
    d.exec = by_size(d.opsize, &exec_incdec_r<uint8_t, kDec>, &exec_incdec_r<uint16_t, kDec>,
                     &exec_incdec_r<uint32_t, kDec>, &exec_incdec_r<uint64_t, kDec>);
  else
    d.exec = kDec ? HVSIM_BY_SIZE(exec_dec, d.opsize) : HVSIM_BY_SIZE(exec_inc, d.opsize);
}

#define HVSIM_NOLOCK_PLAIN(FN)                                                     \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) { \
    if (d.flags & kLock) return;                                                   \
    d.exec = &FN;                                                                  \
  }

}  // namespace


void register_arith(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_ADD, HVSIM_ALU_BINDER(Alu::kAdd, true), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_OR, HVSIM_ALU_BINDER(Alu::kOr, true), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_ADC, HVSIM_ALU_BINDER(Alu::kAdc, true), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_SBB, HVSIM_ALU_BINDER(Alu::kSbb, true), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_AND, HVSIM_ALU_BINDER(Alu::kAnd, true), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_SUB, HVSIM_ALU_BINDER(Alu::kSub, true), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_XOR, HVSIM_ALU_BINDER(Alu::kXor, true), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_CMP, HVSIM_ALU_BINDER(Alu::kCmp, false), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_TEST, HVSIM_ALU_BINDER(Alu::kTest, false), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_INC, &bind_incdec<false>, timing::k_alu);
  t.add(ZYDIS_MNEMONIC_DEC, &bind_incdec<true>, timing::k_alu);
  t.add(ZYDIS_MNEMONIC_NEG, HVSIM_UNARY_BINDER(exec_neg), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_NOT, HVSIM_UNARY_BINDER(exec_not), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_CBW, HVSIM_NOLOCK_PLAIN(exec_cbw), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_CWDE, HVSIM_NOLOCK_PLAIN(exec_cwde), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_CDQE, HVSIM_NOLOCK_PLAIN(exec_cdqe), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_CWD, HVSIM_NOLOCK_PLAIN(exec_cwd), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_CDQ, HVSIM_NOLOCK_PLAIN(exec_cdq), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_CQO, HVSIM_NOLOCK_PLAIN(exec_cqo), timing::k_alu);
}

}  // namespace hvsim::core::isa
