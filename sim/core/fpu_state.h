// x87 FPU, MMX and SSE/AVX register state as plain data (SDM Vol. 1 8.1
// "x87 FPU execution environment", 9.2 MMX registers, 10.2 and 14.1 XMM/YMM
// registers, 10.2.3 MXCSR). Reset values are those of SDM Vol. 3 9.1.1
// Table 9-1 (power-up): FCW 0040H, FSW 0, FTW 5555H (every register valid,
// +0.0), MXCSR 1F80H. INIT leaves all of it unchanged (Table 10-1 of the
// same volume's "INIT" column); FNINIT/FINIT set FCW 037FH and FTW FFFFH.
#pragma once

#include <cstdint>

namespace hvsim::core {

// One 80-bit double-extended register: 64-bit significand with its explicit
// integer bit, then sign (bit 15) and 15-bit biased exponent. MMX register i
// aliases the significand of physical register R_i (SDM Vol. 1 9.5).
struct Float80 {
  uint64_t signif = 0;
  uint16_t sign_exp = 0;
};

struct X87State {
  uint16_t fcw = 0x0040;
  uint16_t fsw = 0;        // TOP is bits 13:11
  uint16_t ftw = 0x5555;   // full tag word, 2 bits per physical register (11b = empty)
  uint16_t fop = 0;        // last non-control opcode, 11 bits
  uint64_t fip = 0, fdp = 0;  // last instruction and data pointers (offsets)
  uint16_t fcs = 0, fds = 0;  // their selectors (legacy layouts only)
  Float80 r[8];            // physical registers R0..R7; ST(i) = R[(TOP + i) & 7]

  unsigned top() const { return (fsw >> 11) & 7; }
};

// XMM/YMM registers: lane k of register i is bits 64k+63:64k; XMMi is lanes
// 0-1 of YMMi. Sixteen registers (64-bit mode); outside it only 0-7 are
// reachable.
struct VecState {
  alignas(32) uint64_t ymm[16][4] = {};
  uint32_t mxcsr = 0x1f80;
};

}  // namespace hvsim::core
