// The engine's cache of the debug registers (SDM Vol. 3 17.2): which of
// DR0-DR3 DR7 enables, by kind, and the trap-class #DB conditions met by the
// executing instruction. The run loop steps one instruction at a time while
// RFLAGS.TF/RF or any DR7 enable is set (engine_debug.cc); otherwise none of
// this is looked at per instruction.
#pragma once

#include <cstdint>

namespace hvsim::core {

// DR6 and DR7 bits (SDM Vol. 3 17.2.3, 17.2.4).
inline constexpr uint64_t kDr6B0 = 1u << 0;  // B0..B3: bits 0..3
inline constexpr uint64_t kDr6Bd = 1u << 13;
inline constexpr uint64_t kDr6Bs = 1u << 14;
inline constexpr uint64_t kDr7Enables = 0xff;  // L0, G0 .. L3, G3
// IA32_DEBUGCTL (SDM Vol. 3 17.4.1; AMD APM Vol. 2 13.1.1.6): LBR records the
// last branch, BTF makes RFLAGS.TF single-step on branches.
inline constexpr uint64_t kDebugCtlLbr = 1u << 0, kDebugCtlBtf = 1u << 1;
inline constexpr uint64_t kDr7Gd = 1u << 13;

// interrupt_shadow values: blocking by STI or by MOV SS/POP SS (SDM Vol. 3
// 6.8.3; MOV SS also holds debug traps for one instruction).
inline constexpr uint8_t kShadowSti = 1;
inline constexpr uint8_t kShadowMovSs = 2;

struct DebugState {
  uint64_t dr7_seen = 0x400;  // DR7 when the masks were computed
  uint8_t insn_mask = 0;      // enabled breakpoints with R/W = 00 (instruction)
  uint8_t data_mask = 0;      // enabled breakpoints with R/W = 01 or 11 (data)
  uint8_t io_mask = 0;        // enabled breakpoints with R/W = 10 (I/O when CR4.DE)
  uint8_t soft_int = 0;       // INT n / INT3 / INTO / INT1 (or SYSCALL/SYSRET): no TF-at-start trap
  uint32_t pending = 0;       // DR6 bits of trap-class #DB for this instruction
  uint32_t held = 0;          // held by MOV SS / POP SS until after the next one
  // A trap-class #DB recognized at this boundary but not yet delivered: under
  // MTF (whose VM exit has priority over debug traps, SDM Vol. 3 25.5.2) or
  // loaded by VM entry from the pending-debug-exceptions field (26.7.3).
  uint32_t due = 0;
  // Debugger watchpoints (sim/gdb), not architectural: never a #DB. Slot i
  // is bit i + 4 of data_mask, so the same slow path sees them.
  uint8_t ext_mask = 0;       // slots in use
  uint8_t ext_kind[4] = {};   // 1 writes, 2 reads, 3 both
  uint8_t ext_hit = 0;        // slots hit since the debugger last looked
  uint32_t ext_len[4] = {};
  uint64_t ext_addr[4] = {};  // linear addresses

  // DR7 fields of breakpoint i (SDM Vol. 3 17.2.4).
  static bool enabled(uint64_t dr7, unsigned i) { return (dr7 >> (2 * i)) & 3; }
  static unsigned rw(uint64_t dr7, unsigned i) { return (dr7 >> (16 + 4 * i)) & 3; }
  // LEN: 00 one byte, 01 two, 11 four, 10 eight (SDM Vol. 3 17.2.5).
  static unsigned len(uint64_t dr7, unsigned i) {
    static constexpr unsigned kBytes[4] = {1, 2, 8, 4};
    return kBytes[(dr7 >> (18 + 4 * i)) & 3];
  }
  // Whether [a, a+n) overlaps breakpoint i's range: DRi with its low bits
  // ignored as LEN says (the range is aligned, SDM Vol. 3 17.2.5).
  static bool overlaps(uint64_t dr, unsigned blen, uint64_t a, unsigned n) {
    const uint64_t base = dr & ~static_cast<uint64_t>(blen - 1);
    return a < base + blen && base < a + n;
  }
};

}  // namespace hvsim::core
