// How the system family's topic files plug into the decoder
// (called from isa/system.cc: register_system).
#pragma once

#include "sim/core/isa/isa.h"

namespace hvsim::core::sys {

using isa::BinderTable;

void register_segment_insns(BinderTable& t);  // sys/seg_insns.cc

void register_fast_syscalls(BinderTable& t);    // sys/syscall.cc
void register_interrupt_insns(BinderTable& t);  // sys/iret.cc: IRET, INT n, INT3, INTO, INT1
void register_cr(BinderTable& t);               // sys/cr.cc
void register_tables(BinderTable& t);           // sys/tables.cc
void register_msr_insns(BinderTable& t);        // sys/msr.cc
void register_priv(BinderTable& t);             // sys/priv.cc: cpuid, rdtsc, hlt, cli/sti, in/out

// Mnemonics other families own whose system forms live here: the binder
// returns true when it bound the instruction (Sreg, CR, DR operands; far
// branches), false to leave it to the owning family.
bool bind_mov_sreg(DecodedInsn& d);  // sys/seg_insns.cc
bool bind_mov_crdr(DecodedInsn& d);  // sys/cr.cc
bool bind_push_pop_sreg(const ZydisDecodedInstruction& zi, DecodedInsn& d);
bool bind_far_branch(const ZydisDecodedInstruction& zi, DecodedInsn& d);  // JMP/CALL/RET far

// Shared binder-side helpers.
template <ExecFn kFn>
void bind_plain(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  d.exec = kFn;
}

inline bool has_operand(const DecodedInsn& d, RegClass c) {
  for (unsigned i = 0; i < d.nops; ++i)
    if (d.op[i].kind == OpKind::kReg && d.op[i].rclass == c) return true;
  return false;
}

}  // namespace hvsim::core::sys
