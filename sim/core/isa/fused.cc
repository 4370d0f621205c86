// Compare-and-branch pairs: a register-form ALU instruction (CMP, TEST, SUB,
// ADD, AND; 8, 32 or 64 bits, register or immediate source) followed by a
// 64-bit-mode Jcc, the usual end of a loop body, run by one handler. The
// simple loop (engine_simple.cc) calls it in place of the pair's two and
// does both instructions' accounting: two counts, the clock after each
// class cost and the branch's taken cost. Neither part can read the clock,
// touch memory or post an event; the head cannot fault, and the branch's
// #GP (a non-canonical target) first retires the head
// (Engine::retire_fused_head), so a fault sees the state it would see
// without fusion. One instantiation per head and condition keeps the
// condition's host branch apart, as the sixteen Jcc handlers do.
#include <array>
#include <utility>

#include "sim/core/isa/alu.h"
#include "sim/core/isa/isa.h"
#include "sim/core/isa/jcc64.h"

namespace hvsim::core::isa {

namespace {

template <Alu op, typename T, bool kImm, unsigned kCond>
void alu_jcc64(Engine& e, const DecodedInsn& d) {
  exec_alu_r<op, T, kImm>(e, d);
  jcc64_exec<kCond>(e, (&d)[1], [&] { e.retire_fused_head(d); });
}

struct FusedRow {
  ExecFn head;
  std::array<ExecFn, 16> with_jcc;  // by condition code
};

template <Alu op, typename T, bool kImm, unsigned... kCc>
constexpr FusedRow row(std::integer_sequence<unsigned, kCc...>) {
  return {&exec_alu_r<op, T, kImm>, {&alu_jcc64<op, T, kImm, kCc>...}};
}
template <Alu op, typename T, bool kImm>
constexpr FusedRow row() {
  return row<op, T, kImm>(std::make_integer_sequence<unsigned, 16>{});
}
template <Alu op>
constexpr std::array<FusedRow, 6> rows() {
  return {row<op, uint8_t, false>(),  row<op, uint8_t, true>(),  row<op, uint32_t, false>(),
          row<op, uint32_t, true>(), row<op, uint64_t, false>(), row<op, uint64_t, true>()};
}

const std::array<std::array<FusedRow, 6>, 5> kRows = {rows<Alu::kCmp>(), rows<Alu::kTest>(),
                                                       rows<Alu::kSub>(), rows<Alu::kAdd>(),
                                                       rows<Alu::kAnd>()};

}  // namespace

ExecFn fused_pair(const DecodedInsn& head, const DecodedInsn& jcc) {
  if (jcc.exec != jcc64_fn(jcc.cond)) return nullptr;
  for (const auto& op : kRows)
    for (const FusedRow& r : op)
      if (r.head == head.exec) return r.with_jcc[jcc.cond & 0xf];
  return nullptr;
}

}  // namespace hvsim::core::isa
