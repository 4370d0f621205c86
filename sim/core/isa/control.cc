// Near control transfers: JMP, Jcc, JrCXZ, LOOP/LOOPcc, CALL, RET (SDM Vol. 2).
// Far transfers, INT and IRET belong to the system family.
#include <array>
#include <utility>

#include "sim/core/isa/isa.h"
#include "sim/core/isa/jcc64.h"

namespace hvsim::core::isa {

namespace {

// Sets RIP to a near-branch target of the given operand size. The #GP for a
// target outside CS's limit (or non-canonical) is raised by the branch
// itself, with RIP still at the branch (SDM Vol. 2 JMP, "Exceptions").
inline void branch(Engine& e, uint64_t target, unsigned opsize) {
  if (opsize == 4)
    target = static_cast<uint32_t>(target);
  else if (opsize == 2)
    target = static_cast<uint16_t>(target);
  if (e.long64()) {
    if (!e.canonical(target)) raise(kGP, 0);
  } else if (e.s.mode != Mode::kReal && target > e.s.seg[CS].limit) {
    raise(kGP, 0);
  }
  e.s.rip = target;
  e.taken_branch(target);  // the core model charges it (timing.taken_branch_cycles)
  ++e.s.pmu.branches;  // retired near branches, for the PMU (sys/pmu.cc)
}
// A conditional branch that falls through also retires as a branch.
inline void not_taken(Engine& e) {
  ++e.s.pmu.branches;
}

void jmp_rel(Engine& e, const DecodedInsn& d) { branch(e, e.s.rip + d.imm, d.opsize); }

template <typename T>
void jmp_ind(Engine& e, const DecodedInsn& d) {
  branch(e, e.read_op<T>(d, 0), sizeof(T));
}

// Jcc, one instantiation per condition (bound at decode from d.cond).
template <unsigned kCond>
void jcc(Engine& e, const DecodedInsn& d) {
  if (cond(e.s.rflags, kCond))
    branch(e, e.s.rip + d.imm, d.opsize);
  else
    not_taken(e);
}

// Jcc decoded in 64-bit mode with a 64-bit operand size: branch() without
// the size and mode tests (a block decoded in 64-bit mode runs only there).
template <unsigned kCond>
void jcc64(Engine& e, const DecodedInsn& d) {
  jcc64_exec<kCond>(e, d, [] {});
}

template <unsigned... kCc>
constexpr std::array<ExecFn, sizeof...(kCc)> jcc_table(std::integer_sequence<unsigned, kCc...>) {
  return {&jcc<kCc>...};
}
template <unsigned... kCc>
constexpr std::array<ExecFn, sizeof...(kCc)> jcc64_table(std::integer_sequence<unsigned, kCc...>) {
  return {&jcc64<kCc>...};
}
constexpr std::array<ExecFn, 16> kJccFns = jcc_table(std::make_integer_sequence<unsigned, 16>{});
constexpr std::array<ExecFn, 16> kJcc64Fns =
    jcc64_table(std::make_integer_sequence<unsigned, 16>{});

uint64_t counter(const Engine& e, unsigned addrsize) {
  return Engine::mask_addr(e.s.gpr[RCX], addrsize);
}

void set_counter(Engine& e, unsigned addrsize, uint64_t v) {
  if (addrsize == 8)
    e.set_gpr<uint64_t>(RCX, v);
  else if (addrsize == 4)
    e.set_gpr<uint32_t>(RCX, static_cast<uint32_t>(v));
  else
    e.set_gpr<uint16_t>(RCX, static_cast<uint16_t>(v));
}

void jrcxz(Engine& e, const DecodedInsn& d) {
  if (counter(e, d.addrsize) == 0)
    branch(e, e.s.rip + d.imm, d.opsize);
  else
    not_taken(e);
}

// LOOP (cc_mode 0), LOOPE (1), LOOPNE (2): the count register's width is the
// address size; flags are not changed.
template <int kCc>
void loop(Engine& e, const DecodedInsn& d) {
  uint64_t c = Engine::mask_addr(counter(e, d.addrsize) - 1, d.addrsize);
  bool take = c != 0;
  if (kCc == 1) take = take && (e.s.rflags & ZF);
  if (kCc == 2) take = take && !(e.s.rflags & ZF);
  if (take)
    branch(e, e.s.rip + d.imm, d.opsize);  // may #GP: count not yet written
  else
    not_taken(e);
  set_counter(e, d.addrsize, c);
}

template <typename T>
void call_rel(Engine& e, const DecodedInsn& d) {
  uint64_t ret = e.s.rip;
  uint64_t target = ret + d.imm;
  uint64_t sp = e.s.gpr[RSP];
  e.push<T>(static_cast<T>(ret));
  try {
    branch(e, target, sizeof(T));
  } catch (...) {
    e.s.gpr[RSP] = sp;
    throw;
  }
}

template <typename T>
void call_ind(Engine& e, const DecodedInsn& d) {
  T target = e.read_op<T>(d, 0);  // read before the push (call [rsp])
  uint64_t sp = e.s.gpr[RSP];
  e.push<T>(static_cast<T>(e.s.rip));
  try {
    branch(e, target, sizeof(T));
  } catch (...) {
    e.s.gpr[RSP] = sp;
    throw;
  }
}

template <typename T>
void ret(Engine& e, const DecodedInsn& d) {
  uint64_t sp = e.s.gpr[RSP];
  T target = e.pop<T>();
  try {
    branch(e, target, sizeof(T));
  } catch (...) {
    e.s.gpr[RSP] = sp;
    throw;
  }
  if (d.nops) e.set_sp(e.sp_masked(e.s.gpr[RSP] + static_cast<uint16_t>(d.imm)));
}

void bind_jmp(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.op[0].kind == OpKind::kImm && zi.raw.imm[0].is_relative)
    d.exec = &jmp_rel;
  else if (d.op[0].kind == OpKind::kReg || d.op[0].kind == OpKind::kMem)
    d.exec = d.op[0].size >= 2 && d.op[0].size <= 8 ? HVSIM_BY_SIZE(jmp_ind, d.op[0].size) : nullptr;
  // far forms (ptr16:xx, m16:xx) are the system family's
}

void bind_call(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.op[0].kind == OpKind::kImm && zi.raw.imm[0].is_relative)
    d.exec = HVSIM_BY_SIZE(call_rel, d.opsize);
  else if (d.op[0].kind == OpKind::kReg || d.op[0].kind == OpKind::kMem)
    d.exec = HVSIM_BY_SIZE(call_ind, d.op[0].size);
}

}  // namespace

// Far JMP/CALL/RET forms (a pointer or an m16:xx operand, RETF) are the
// system family's: bind_far_branch (isa.h, defined in isa/system.cc).
void register_control(BinderTable& t) {
  t.add(
      ZYDIS_MNEMONIC_JMP,
      [](const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
        if (zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
          bind_far_branch(zi, ops, d);
        else
          bind_jmp(zi, ops, d);
      },
      timing::k_branch, true);
  t.add(
      ZYDIS_MNEMONIC_CALL,
      [](const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
        if (zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
          bind_far_branch(zi, ops, d);
        else
          bind_call(zi, ops, d);
      },
      timing::k_call_ret, true);
  t.add(
      ZYDIS_MNEMONIC_RET,
      [](const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d) {
        if (zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
          bind_far_branch(zi, ops, d);
        else
          d.exec = HVSIM_BY_SIZE(ret, d.opsize);
      },
      timing::k_call_ret, true);
  static const ZydisMnemonic kJcc[] = {
      ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB,  ZYDIS_MNEMONIC_JNB,
      ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
      ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP,  ZYDIS_MNEMONIC_JNP,
      ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
  for (ZydisMnemonic m : kJcc)
    t.add(
        m,
        [](const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*, DecodedInsn& d) {
          const bool in64 = zi.machine_mode == ZYDIS_MACHINE_MODE_LONG_64 && d.opsize == 8;
          d.exec = (in64 ? kJcc64Fns : kJccFns)[d.cond & 0xf];
        },
        timing::k_branch, true);
  t.add(ZYDIS_MNEMONIC_JCXZ, HVSIM_PLAIN(jrcxz), timing::k_branch, true);
  t.add(ZYDIS_MNEMONIC_JECXZ, HVSIM_PLAIN(jrcxz), timing::k_branch, true);
  t.add(ZYDIS_MNEMONIC_JRCXZ, HVSIM_PLAIN(jrcxz), timing::k_branch, true);
  t.add(ZYDIS_MNEMONIC_LOOP, HVSIM_PLAIN(loop<0>), timing::k_branch, true);
  t.add(ZYDIS_MNEMONIC_LOOPE, HVSIM_PLAIN(loop<1>), timing::k_branch, true);
  t.add(ZYDIS_MNEMONIC_LOOPNE, HVSIM_PLAIN(loop<2>), timing::k_branch, true);
}

ExecFn jcc64_fn(unsigned cc) { return kJcc64Fns[cc & 0xf]; }

}  // namespace hvsim::core::isa
