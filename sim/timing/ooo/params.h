// Parameters of timing.model = ooo, declared once (timing.ooo.*). The
// defaults describe a Skylake-class core; configs/zen3.toml overrides them
// for a Zen 3 core. docs/timing.md cites a source for every default.
//
// Ports are a bit mask over up to 16 issue ports (bit n = port n). The
// Skylake numbering is used by the defaults: p0 p1 p5 p6 ALU, p2 p3 load,
// p4 store data, p7 store address.
#pragma once

#include <cstdint>

#include "sim/base/params.h"
#include "sim/timing/latencies.h"

namespace hvsim::timing::ooo {

// X-macro: class, uops (rename/ROB slots of the computation), issue port mask,
// issue cycles (the port is busy that long: 1 = fully pipelined). The
// latency of a class is timing.<class>_cycles, shared with the simple model.
#define HVSIM_OOO_CLASSES(X) \
  X(alu, 1, 0x63, 1)         \
  X(move, 1, 0x63, 1)        \
  X(lea, 1, 0x22, 1)         \
  X(shift, 1, 0x41, 1)       \
  X(bitop, 1, 0x02, 1)       \
  X(mul, 1, 0x02, 1)         \
  X(div, 10, 0x01, 6)        \
  X(branch, 1, 0x41, 1)      \
  X(call_ret, 1, 0x40, 1)    \
  X(stack, 1, 0x63, 1)       \
  X(string, 3, 0x63, 1)      \
  X(flags, 1, 0x63, 1)       \
  X(nop, 1, 0x00, 1)         \
  X(pause, 4, 0x63, 1)       \
  X(atomic, 8, 0x63, 1)      \
  X(io, 4, 0x63, 1)          \
  X(system, 4, 0x63, 1)      \
  X(msr, 4, 0x63, 1)         \
  X(cpuid, 4, 0x63, 1)       \
  X(rdtsc, 20, 0x63, 25)     \
  X(far, 4, 0x63, 1)         \
  X(x87_move, 1, 0x21, 1)    \
  X(x87_arith, 1, 0x21, 1)   \
  X(x87_compare, 1, 0x01, 1) \
  X(x87_div, 1, 0x01, 4)     \
  X(x87_trans, 40, 0x63, 1)  \
  X(x87_control, 2, 0x63, 1) \
  X(x87_env, 20, 0x63, 1)    \
  X(mmx, 1, 0x23, 1)         \
  X(mmx_mul, 1, 0x03, 1)     \
  X(simd_move, 1, 0x23, 1)   \
  X(simd_int, 1, 0x23, 1)    \
  X(simd_imul, 1, 0x03, 1)   \
  X(simd_shuffle, 1, 0x21, 1) \
  X(fp_add, 1, 0x03, 1)      \
  X(fp_mul, 1, 0x03, 1)      \
  X(fp_fma, 1, 0x03, 1)      \
  X(fp_div, 1, 0x01, 4)      \
  X(fp_sqrt, 1, 0x01, 6)     \
  X(fp_cvt, 2, 0x03, 1)      \
  X(simd_string, 3, 0x03, 2) \
  X(crypto, 1, 0x03, 1)      \
  X(xsave, 20, 0x63, 1)

struct ClassParams {
  uint32_t latency = 1;  // cycles from issue to result (timing.<class>_cycles)
  uint32_t uops = 1;
  uint32_t ports = 0;  // issue port mask; 0: needs no port (NOP)
  uint32_t issue_cycles = 1;
};

struct OooParams {
  // Front end.
  uint32_t fetch_width = 6;       // instructions per cycle into the decode queue
  uint32_t frontend_stages = 15;  // cycles from fetch to rename (pipeline depth)
  uint32_t btb_miss_cycles = 9;   // taken branch missing in the BTB: redirect at decode
  // Branch prediction.
  uint32_t bp_history_bits = 16;  // gshare global history length
  uint32_t bp_table_log2 = 16;    // 2^n two-bit counters
  uint32_t btb_entries = 4096;
  uint32_t btb_ways = 8;
  uint32_t ras_entries = 16;
  uint32_t indirect_table_log2 = 10;  // 2^n targets indexed by PC and path history
  // Back end.
  uint32_t rename_width = 4;  // uops per cycle renamed/dispatched
  uint32_t retire_width = 4;  // uops per cycle retired
  uint32_t rob_entries = 224;
  uint32_t scheduler_entries = 97;
  uint32_t lq_entries = 72;
  uint32_t sq_entries = 56;
  uint32_t num_ports = 8;
  uint32_t load_ports = 0x0c;   // p2 p3
  uint32_t store_ports = 0x10;  // p4 (store data; one store per cycle)
  uint32_t mshrs = 10;          // L1D fill buffers: outstanding misses
  uint32_t l1d_hit_cycles = 4;  // an access slower than this is a miss (cache.l1d.hit_cycles)
  // For the CPI stack: an access at most this slow was served by the L2 /
  // LLC, a slower one by DRAM (cache.l2.hit_cycles, cache.llc.hit_cycles).
  uint32_t l2_hit_cycles = 14, llc_hit_cycles = 40;
  uint32_t store_forward_cycles = 5;
  ClassParams cls[kNumInsnClasses];

  OooParams();  // Skylake-class defaults (the table above and latencies.h)
  static void declare_params(base::ParamRegistry& reg);
  // Reads timing.ooo.*, timing.<class>_cycles and cache.{l1d,l2,llc}.hit_cycles.
  static OooParams from_config(const base::Config& cfg);
};

}  // namespace hvsim::timing::ooo
