// The baseline in-order cost model: every instruction belongs to one timing
// class, and each class has a configurable latency in cycles. Semantics
// decide what happens; this table decides how long it takes.
#pragma once

#include <cstdint>

#include "sim/base/params.h"

namespace hvsim::timing {

// X-macro: name, default cycles, description. One place for the class list,
// its config keys (timing.<name>_cycles) and its defaults.
#define HVSIM_INSN_CLASSES(X)                                                      \
  X(alu, 1, "integer add/sub/logic/compare/inc/dec/neg/not")                        \
  X(move, 1, "register and memory moves, movzx/movsx, cmov, setcc, xchg")           \
  X(lea, 1, "address computation (LEA)")                                           \
  X(shift, 1, "shifts and rotates")                                                \
  X(bitop, 2, "bit tests and scans, popcnt, bswap")                                \
  X(mul, 3, "integer multiply")                                                    \
  X(div, 26, "integer divide")                                                     \
  X(branch, 1, "jumps and conditional branches")                                   \
  X(call_ret, 2, "near call and return")                                           \
  X(stack, 1, "push, pop, enter, leave")                                           \
  X(string, 2, "one element of a string instruction (per REP iteration)")          \
  X(flags, 1, "flag manipulation (clc, std, pushf, popf, lahf, ...)")              \
  X(nop, 1, "NOP, PAUSE hint excluded, ENDBR64")                                   \
  X(pause, 10, "PAUSE spin-loop hint")                                              \
  X(atomic, 18, "LOCK-prefixed read-modify-write, XCHG with memory, CMPXCHG")       \
  X(io, 40, "IN/OUT/INS/OUTS to a port (the device may add its own latency)")      \
  X(system, 20, "serializing system instructions (MOV CR, LGDT, LTR, WRMSR, ...)") \
  X(msr, 40, "RDMSR / WRMSR")                                                      \
  X(cpuid, 100, "CPUID")                                                           \
  X(rdtsc, 20, "RDTSC / RDTSCP")                                                   \
  X(far, 30, "far jump/call/return, IRET, SYSCALL/SYSRET, INT n, segment loads")  \
  X(x87_move, 2, "x87 loads, stores, constants, FXCH, FCMOVcc, FFREE, FINCSTP")    \
  X(x87_arith, 4, "x87 add/subtract/multiply, FABS/FCHS, FRNDINT, FSCALE, FXTRACT") \
  X(x87_compare, 2, "x87 compares (FCOM*, FUCOM*, FICOM*, FCOMI*), FTST, FXAM")       \
  X(x87_div, 16, "x87 divide, FSQRT, FPREM/FPREM1")                                  \
  X(x87_trans, 60, "x87 transcendentals (FSIN, FCOS, FPTAN, FPATAN, F2XM1, FYL2X)")  \
  X(x87_control, 8, "FLDCW, FNSTCW, FNSTSW, FNCLEX, FNINIT, FWAIT, FNOP")           \
  X(x87_env, 60, "FNSTENV/FLDENV/FNSAVE/FRSTOR (x87 environment and state)")        \
  X(mmx, 1, "MMX moves, add/subtract, logic, compare, pack/unpack, shifts, EMMS")  \
  X(mmx_mul, 3, "MMX multiplies, PMADDWD, PSADBW")  \
  X(simd_move, 1, "SSE/AVX register and memory moves, broadcasts, inserts/extracts")  \
  X(simd_int, 1, "SSE/AVX packed-integer add/sub/logic/compare/shift")               \
  X(simd_imul, 5, "SSE/AVX packed-integer multiply, PMADD*, PSADBW, MPSADBW")        \
  X(simd_shuffle, 1, "SSE/AVX shuffles, unpacks, packs, permutes, blends")           \
  X(fp_add, 3, "SSE/AVX FP add/sub/min/max/compare/round, COMIS/UCOMIS")            \
  X(fp_mul, 4, "SSE/AVX FP multiply, dot products, RCP/RSQRT approximations")       \
  X(fp_fma, 4, "FMA3 fused multiply-add")                                            \
  X(fp_div, 13, "SSE/AVX FP divide")                                                \
  X(fp_sqrt, 15, "SSE/AVX FP square root")                                          \
  X(fp_cvt, 4, "SSE/AVX conversions (CVT*, F16C)")                                   \
  X(simd_string, 10, "SSE4.2 PCMPESTRx/PCMPISTRx, CRC32")                            \
  X(crypto, 4, "AES-NI rounds and PCLMULQDQ")                                        \
  X(xsave, 60, "FXSAVE/FXRSTOR/XSAVE*/XRSTOR*, XSETBV, LDMXCSR")

enum InsnClass : uint8_t {
#define HVSIM_X(name, def, desc) k_##name,
  HVSIM_INSN_CLASSES(HVSIM_X)
#undef HVSIM_X
      kNumInsnClasses
};

struct Latencies {
  uint32_t cls[kNumInsnClasses] = {};
  uint32_t mem_operand = 0;     // extra cycles for a memory operand, beyond the cache model
  uint32_t exception = 0;       // delivering an exception or interrupt through the IDT
  uint32_t taken_branch = 0;    // extra cycles when a branch is taken

  static void declare_params(hvsim::base::ParamRegistry& reg);
  static Latencies from_config(const hvsim::base::Config& cfg);
};

}  // namespace hvsim::timing
