// How instruction families plug into the decoder. Each family file
// (arith.cc, move.cc, control.cc, string.cc, system.cc, ...) registers one
// binder per Zydis mnemonic: the binder picks the semantic function (usually
// by operand size) once, at decode time.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "sim/core/decoded_insn.h"
#include "sim/core/engine.h"
#include "sim/timing/latencies.h"

namespace hvsim::core::isa {

// Fills d.exec (and may adjust d); leaving d.exec null makes the encoding #UD.
using BindFn = void (*)(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                        DecodedInsn& d);

struct Binder {
  BindFn bind = nullptr;
  timing::InsnClass tclass = timing::k_alu;
  bool ends_block = false;
};

class BinderTable {
 public:
  // Each mnemonic belongs to exactly one family: a second registration is a bug.
  void add(ZydisMnemonic m, BindFn f, timing::InsnClass c, bool ends_block = false) {
    if (table_[m].bind)
      throw std::logic_error(std::string("mnemonic registered twice: ") +
                             ZydisMnemonicGetString(m));
    table_[m] = Binder{f, c, ends_block};
  }
  const Binder& get(ZydisMnemonic m) const { return table_[m]; }
  // For a mnemonic two families share (the MMX and XMM forms of PADDB, ...):
  // installs `f`, which sees every form first, and returns the binder that
  // was there (maybe none), to which `f` hands the forms it does not own.
  Binder replace(ZydisMnemonic m, BindFn f, timing::InsnClass c) {
    Binder old = table_[m];
    table_[m] = Binder{f, c, false};
    return old;
  }

 private:
  Binder table_[ZYDIS_MNEMONIC_MAX_VALUE + 1];
};

// Family registration. Each family registers its own mnemonics; the one
// list of families, in registration order, is isa/families.cc. A new family
// (a new isa/*.cc file) declares its register_* here and adds one line there.
void register_arith(BinderTable& t);    // isa/arith.cc: add..cmp, inc/dec/neg/not, test
void register_bcd(BinderTable& t);      // isa/bcd.cc: AAA AAS DAA DAS AAM AAD
void register_shift(BinderTable& t);    // isa/shift.cc
void register_muldiv(BinderTable& t);   // isa/muldiv.cc
void register_bits(BinderTable& t);     // isa/bits.cc: bt*, bsf/bsr, tzcnt/lzcnt/popcnt, bswap
void register_move(BinderTable& t);     // isa/move.cc: mov, movzx/sx, lea, xchg, cmov, setcc, ...
void register_control(BinderTable& t);  // isa/control.cc: jmp, jcc, call, ret, loop, ...
void register_stack(BinderTable& t);    // isa/stack.cc: push, pop, enter, leave, pushf, popf
void register_string(BinderTable& t);   // isa/string.cc: movs, stos, lods, cmps, scas, ins, outs
void register_flags(BinderTable& t);    // isa/flagops.cc: clc, stc, cmc, cld, std, lahf, sahf
void register_system(BinderTable& t);   // isa/system.cc: CR/DR/MSR, descriptor tables, ...
void register_misc(BinderTable& t);     // isa/misc.cc: nop, pause, cpuid, rdtsc, ud2, hlt, ...
void register_random(BinderTable& t);   // isa/random.cc: rdrand, rdseed
void register_simd(BinderTable& t);     // simd/registry.cc: SSE..AVX2, FMA, F16C, AES, PCLMUL, XSAVE
void register_x87(BinderTable& t);      // x87/control.cc: the x87 FPU (all groups of x87/)
// x87/mmx.cc: MMX-register forms. It chains (BinderTable::replace) onto the
// mnemonics shared with SSE, so it must be registered after the SSE family.
void register_mmx(BinderTable& t);

// Every family above, in the order of isa/families.cc (the decoder calls it).
void register_all_families(BinderTable& t);

// ---- Fused pairs (isa/fused.cc) --------------------------------------------
// The handler that runs `head` and the 64-bit Jcc `jcc` after it as one
// (jcc must follow head in the same array), or null when the pair is not
// one of those fused.cc knows. Engine::decode_block asks it for a block's
// last two instructions; only the simple loop runs it (engine_simple.cc).
FusedFn fused_pair(const DecodedInsn& head, const DecodedInsn& jcc);
// The Jcc handler bound in 64-bit mode with a 64-bit operand size (control.cc).
ExecFn jcc64_fn(unsigned cc);

// ---- Hand-overs between families ------------------------------------------
// Some Zydis mnemonics span families. The owning family registers the
// mnemonic and calls the binder below, which the system family defines in
// isa/system.cc, for the forms that are not its own; the binder must set
// d.exec (and the block-ending flag where needed) or leave the form #UD.

// MOV is one Zydis mnemonic for GPR, segment, control and debug register
// forms: isa/move.cc hands over the forms with an operand of RegClass kSeg,
// kCr or kDr.
void bind_mov_special(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                      DecodedInsn& d);

// JMP, CALL and RET are one Zydis mnemonic each for near and far forms:
// isa/control.cc hands over the far forms (meta.branch_type FAR:
// ptr16:16/32, m16:16/32/64, RETF).
void bind_far_branch(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                     DecodedInsn& d);

// PUSH and POP of a segment register (PUSH FS, POP DS, ...): isa/stack.cc
// hands these forms over.
void bind_seg_push_pop(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                       DecodedInsn& d);

// MOVSD and CMPSD are string mnemonics (isa/string.cc) and SSE2 mnemonics
// (F2 0F 10 / F2 0F C2); the string family hands the forms with XMM
// operands to this binder, which the vector family defines.
void bind_sse_string_form(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                          DecodedInsn& d);

// Picks the instantiation of a size-templated semantic function.
inline ExecFn by_size(unsigned size, ExecFn f8, ExecFn f16, ExecFn f32, ExecFn f64) {
  switch (size) {
    case 1: return f8;
    case 2: return f16;
    case 4: return f32;
    case 8: return f64;
    default: return nullptr;
  }
}
#define HVSIM_BY_SIZE(fn, size) \
  ::hvsim::core::isa::by_size((size), &fn<uint8_t>, &fn<uint16_t>, &fn<uint32_t>, &fn<uint64_t>)
// A binder that selects fn<T> by the instruction's operand size.
#define HVSIM_SIZED(fn)                                                             \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) { \
    d.exec = HVSIM_BY_SIZE(fn, d.opsize);                                           \
  }
// A binder for a function that takes no size.
#define HVSIM_PLAIN(fn) \
  [](const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) { d.exec = &fn; }

// Condition codes (SDM Vol. 1 appendix B): cc 0..15 = O NO B AE E NE BE A S NS P NP L GE LE G.
inline bool cond(uint64_t f, unsigned cc) {
  bool r;
  switch (cc >> 1) {
    case 0: r = f & OF; break;
    case 1: r = f & CF; break;
    case 2: r = f & ZF; break;
    case 3: r = f & (CF | ZF); break;
    case 4: r = f & SF; break;
    case 5: r = f & PF; break;
    // SF != OF: OF (bit 11) shifted onto SF (bit 7).
    case 6: r = ((f >> 4) ^ f) & SF; break;
    default: r = (((f >> 4) ^ f) & SF) | (f & ZF); break;
  }
  return r ^ (cc & 1);
}

}  // namespace hvsim::core::isa
