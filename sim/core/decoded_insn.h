// One decoded instruction: everything the semantic function needs, computed
// once at decode time (operand forms, sizes, immediates, the semantic function
// pointer, the timing class and the dependence masks the core model needs), so that executing it costs tens of host
// instructions and never touches the decoder again.
#pragma once

#include <cstdint>

#include "sim/timing/retire_info.h"

namespace hvsim::core {

class Engine;
struct DecodedInsn;
using ExecFn = void (*)(Engine&, const DecodedInsn&);
// A fused pair's handler (isa/fused.cc): false when only the first ran.
using FusedFn = bool (*)(Engine&, const DecodedInsn&);

enum class OpKind : uint8_t { kNone, kReg, kMem, kImm };
// kSt: x87 ST(i) (reg = i, relative to TOP); kMmx: MM0-7; kXmm: XMM0-15 or
// YMM0-15 (size 16 or 32 says which).
enum class RegClass : uint8_t { kGpr, kSeg, kCr, kDr, kSt, kMmx, kXmm };

struct Operand {
  OpKind kind = OpKind::kNone;
  RegClass rclass = RegClass::kGpr;
  uint8_t size = 0;     // bytes
  uint8_t reg = 0;      // Gpr / SegReg / CR / DR / ST(i) / MM / XMM number
  bool high8 = false;   // AH, CH, DH, BH
};

// The (single) explicit memory operand: seg:[base + index*scale + disp].
struct MemOperand {
  static constexpr uint8_t kNoReg = 0xff;
  static constexpr uint8_t kRip = 0x10;
  // form: how Engine::ea() and linear64() may take the address, set by
  // Decoder::charge() last (classify()). kBase and kBaseIndex: base a GPR,
  // a 64-bit address, and a segment whose base is 0 in 64-bit mode (not FS
  // or GS), so that the linear address is the sum itself; kGeneral: any.
  enum Form : uint8_t { kGeneral, kBase, kBaseIndex };
  uint8_t seg = 3;            // SegReg (DS by default)
  uint8_t base = kNoReg;      // Gpr, kRip, or kNoReg
  uint8_t index = kNoReg;
  uint8_t scale = 0;          // shift count 0..3
  uint8_t form = kGeneral;
  int64_t disp = 0;
  void classify(uint8_t addrsize) {
    form = kGeneral;
    if (addrsize != 8 || base >= 16 || seg >= 4 /* FS, GS */) return;
    form = index == kNoReg ? kBase : index < 16 ? kBaseIndex : kGeneral;
  }
};

// Decode-time properties the run loop and block builder look at.
enum InsnFlags : uint16_t {
  kEndsBlock = 1 << 0,  // control transfer or state change: the block ends after it
  kLock = 1 << 1,       // LOCK prefix present
  kRep = 1 << 2,        // REP / REPE
  kRepne = 1 << 3,      // REPNE
};

struct DecodedInsn {
  ExecFn exec = nullptr;
  uint8_t len = 0;
  uint8_t opsize = 0;    // operand size in bytes (1, 2, 4, 8)
  uint8_t addrsize = 0;  // address size in bytes (2, 4, 8)
  uint8_t cond = 0;      // condition code (Jcc/SETcc/CMOVcc), 0..15
  uint8_t nops = 0;      // explicit operands
  uint8_t tclass = 0;    // timing class (timing::InsnClass)
  uint16_t flags = 0;    // InsnFlags
  uint16_t mnemonic = 0; // ZydisMnemonic, for traces and error messages
  static constexpr unsigned kMaxOps = 4;  // VEX forms have up to four (e.g. VBLENDVPS)
  Operand op[kMaxOps];
  MemOperand mem;
  uint64_t imm = 0;      // first immediate, already extended to the operand size
  uint64_t imm2 = 0;     // second immediate (ENTER level, far pointer selector)
  const void* aux = nullptr;  // family data fixed at decode (e.g. a hostexec stub)
  // Registers and flags read and written, branch kind, serializing/fence/
  // memory-operand flags (timing::decode_deps): copied into each RetireInfo.
  timing::DecodeDeps deps;
  // timing.model = simple: the class latency plus a memory operand's extra
  // (timing::SimpleCore::class_cost), fixed at decode.
  uint32_t plain_cost = 0;
};

}  // namespace hvsim::core
