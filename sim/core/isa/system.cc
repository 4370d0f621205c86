// The system family (SDM Vol. 2, Vol. 3): segment loads, far transfers,
// interrupts, SYSCALL/SYSENTER, control/debug registers, descriptor tables,
// MSRs and privileged instructions. The semantics live in sim/core/sys/,
// one file per topic; this file registers them.
//
// MOV, PUSH/POP and JMP/CALL/RET belong to other families, which hand their
// Sreg/CR/DR and far forms over by calling the binders defined here (isa.h,
// "Hand-overs").
#include "sim/core/isa/isa.h"
#include "sim/core/sys/register.h"

namespace hvsim::core::isa {

void bind_mov_special(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (!sys::bind_mov_sreg(d)) sys::bind_mov_crdr(d);
}

void bind_seg_push_pop(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*,
                       DecodedInsn& d) {
  sys::bind_push_pop_sreg(zi, d);
}

void bind_far_branch(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand*,
                     DecodedInsn& d) {
  sys::bind_far_branch(zi, d);
}

void register_system(BinderTable& t) {
  sys::register_segment_insns(t);
  sys::register_interrupt_insns(t);
  sys::register_fast_syscalls(t);
  sys::register_cr(t);
  sys::register_tables(t);
  sys::register_msr_insns(t);
  sys::register_priv(t);
}

}  // namespace hvsim::core::isa
