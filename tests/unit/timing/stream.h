// Builders for synthetic retire streams: what the engine would report for a
// few x86 instructions, so the core models can be tested without one.
#pragma once

#include <cstdint>

#include "sim/timing/core_model.h"

namespace hvsim::timing::testing {

using reg::gpr;

inline RetireInfo insn(uint8_t tclass, uint64_t pc = 0x1000) {
  RetireInfo r;
  r.tclass = tclass;
  r.pc = pc;
  r.len = 3;
  return r;
}
// ADD dst, src (or IMUL dst, src with k_mul): reads both, writes dst and flags.
inline RetireInfo op2(uint8_t tclass, unsigned dst, unsigned src, uint64_t pc = 0x1000) {
  RetireInfo r = insn(tclass, pc);
  r.src_regs = gpr(dst) | gpr(src);
  r.dst_regs = gpr(dst);
  r.dst_flags = flag::kStatus;
  return r;
}
// MOV dst, [base] with the latency the cache model found.
inline RetireInfo load(unsigned dst, unsigned base, uint64_t addr, uint32_t latency) {
  RetireInfo r = insn(k_move);
  r.addr_regs = gpr(base);
  r.dst_regs = gpr(dst);
  r.add_access(addr, 8, MemKind::kLoad, latency);
  return r;
}
// MOV [base], src.
inline RetireInfo store(unsigned base, unsigned src, uint64_t addr, uint32_t latency) {
  RetireInfo r = insn(k_move);
  r.addr_regs = gpr(base);
  r.src_regs = gpr(src);
  r.add_access(addr, 8, MemKind::kStore, latency);
  return r;
}
// Jcc: reads the flags.
inline RetireInfo jcc(uint64_t pc, bool taken, uint64_t target) {
  RetireInfo r = insn(k_branch, pc);
  r.src_flags = flag::kZF;
  r.branch = BranchKind::kCond;
  r.target = target;
  if (taken) r.flags |= kTaken;
  return r;
}

}  // namespace hvsim::timing::testing
