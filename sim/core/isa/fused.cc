// Compare-and-branch pairs: an ALU instruction that writes no memory,
// followed by a 64-bit-mode Jcc, the usual end of a loop body, run by one
// handler in the simple loop (engine_simple.cc). The heads: CMP, TEST, SUB,
// ADD, AND with a register destination (register or immediate source), INC
// and DEC of a register, and CMP r,m, CMP m,r/imm and TEST m,r/imm, each of
// 8, 32 or 64 bits.
//
// The loop dispatches the head as any instruction; the handler then asks
// whether the clock after the head is within budget with no event posted
// (Engine::fused_head_fits: an access may have posted one, or charged a
// rare cost) and, if not, returns false: the loop retires the head alone
// and runs the Jcc as usual. Otherwise the Jcc becomes the executing
// instruction (begin_fused_jcc) and the loop does both instructions'
// accounting. A #GP on a non-canonical target first retires the head
// (retire_fused_head), so the fault sees what it would without fusion. One
// instantiation per head and condition keeps the condition's host branch
// apart, as the sixteen Jcc handlers do.
#include <array>
#include <utility>

#include "sim/core/isa/alu.h"
#include "sim/core/isa/isa.h"
#include "sim/core/isa/jcc64.h"

namespace hvsim::core::isa {

namespace {

template <ExecFn kHead, unsigned kCond>
bool with_jcc64(Engine& e, const DecodedInsn& d) {
  kHead(e, d);
  if (HVSIM_UNLIKELY(!e.fused_head_fits(d))) return false;
  const DecodedInsn& j = (&d)[1];
  e.begin_fused_jcc(j);
  jcc64_exec<kCond>(e, j, [&] { e.retire_fused_head(d); });
  return true;
}

struct FusedRow {
  ExecFn head;
  std::array<FusedFn, 16> with_jcc;  // by condition code
};

template <ExecFn kHead, unsigned... kCc>
constexpr FusedRow row(std::integer_sequence<unsigned, kCc...>) {
  return {kHead, {&with_jcc64<kHead, kCc>...}};
}
template <ExecFn kHead>
constexpr FusedRow row() {
  return row<kHead>(std::make_integer_sequence<unsigned, 16>{});
}
// The register forms (r,r and r,imm) of `op`, and its reading forms when
// it is CMP or TEST, for one size.
template <Alu op, typename T>
constexpr auto rows_of_size() {
  if constexpr (op == Alu::kCmp)
    return std::array<FusedRow, 5>{row<&exec_alu_r<op, T, false>>(),
                                   row<&exec_alu_r<op, T, true>>(),
                                   row<&exec_alu_rm<op, T>>(), row<&exec_alu_m<op, T, false>>(),
                                   row<&exec_alu_m<op, T, true>>()};
  else if constexpr (op == Alu::kTest)
    return std::array<FusedRow, 4>{row<&exec_alu_r<op, T, false>>(),
                                   row<&exec_alu_r<op, T, true>>(),
                                   row<&exec_alu_m<op, T, false>>(),
                                   row<&exec_alu_m<op, T, true>>()};
  else
    return std::array<FusedRow, 2>{row<&exec_alu_r<op, T, false>>(),
                                   row<&exec_alu_r<op, T, true>>()};
}
template <Alu op>
constexpr auto rows() {
  return std::array{rows_of_size<op, uint8_t>(), rows_of_size<op, uint32_t>(),
                    rows_of_size<op, uint64_t>()};
}

template <typename T>
constexpr std::array<FusedRow, 2> incdec_rows() {
  return {row<&exec_incdec_r<T, false>>(), row<&exec_incdec_r<T, true>>()};
}

const auto kIncDec = std::array{incdec_rows<uint8_t>(), incdec_rows<uint32_t>(),
                                incdec_rows<uint64_t>()};
const auto kCmp = rows<Alu::kCmp>();
const auto kTest = rows<Alu::kTest>();
const auto kSub = rows<Alu::kSub>();
const auto kAdd = rows<Alu::kAdd>();
const auto kAnd = rows<Alu::kAnd>();

template <typename Rows>
FusedFn find(const Rows& rows, ExecFn head, unsigned cc) {
  for (const auto& size : rows)
    for (const FusedRow& r : size)
      if (r.head == head) return r.with_jcc[cc & 0xf];
  return nullptr;
}

}  // namespace

FusedFn fused_pair(const DecodedInsn& head, const DecodedInsn& jcc) {
  if (jcc.exec != jcc64_fn(jcc.cond)) return nullptr;
  for (FusedFn f : {find(kCmp, head.exec, jcc.cond), find(kTest, head.exec, jcc.cond),
                    find(kSub, head.exec, jcc.cond), find(kAdd, head.exec, jcc.cond),
                    find(kAnd, head.exec, jcc.cond), find(kIncDec, head.exec, jcc.cond)})
    if (f) return f;
  return nullptr;
}

}  // namespace hvsim::core::isa
