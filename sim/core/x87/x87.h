// The x87 FPU and MMX families (SDM Vol. 1 ch. 8-9), run on the host FPU.
//
// Each instruction is re-encoded once, at decode time, into a host stub
//   FRSTOR [frame.img]; <the instruction, memory operand at [frame.buf]>; FNSAVE [frame.img]
// (hostrun.cc). The guest's whole x87 state, FCW included, is loaded into
// the host FPU, the instruction runs on the hardware, and FNSAVE (which never
// traps and re-initialises the host FPU) hands back the new state, so
// results, C0-C3, tags, stack faults and exception flags are the hardware's
// bit for bit. Memory operands are read into / written from the buffer
// through the engine, before (reads, write probes) and after the stub, so a
// fault leaves the guest state untouched. The control instructions whose
// guest effect depends on the mode (FNSTENV/FLDENV/FNSAVE/FRSTOR layouts)
// or that are trivial (FNSTSW, FNSTCW, FNCLEX, FNINIT, FWAIT) are in C++
// (control.cc).
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>

#include "sim/core/decoded_insn.h"
#include "sim/core/engine.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::x87 {

// FSW bits (SDM Vol. 1 8.1.3).
inline constexpr uint16_t kFswIE = 1u << 0, kFswDE = 1u << 1, kFswZE = 1u << 2;
inline constexpr uint16_t kFswOE = 1u << 3, kFswUE = 1u << 4, kFswPE = 1u << 5;
inline constexpr uint16_t kFswSF = 1u << 6, kFswES = 1u << 7, kFswB = 1u << 15;
inline constexpr uint16_t kFswExc = 0x3f;

// What the generic host runner does around the stub, fixed at decode time
// and kept in DecodedInsn::imm/imm2 (memcpy'd; 16 bytes).
struct HostInfo {
  uint16_t fop = 0;       // guest FOP: (first opcode byte & 7) << 8 | ModRM
  uint16_t host_fop = 0;  // the stub's own FOP (its ModRM differs for memory forms)
  uint8_t mem_size = 0;   // bytes of the memory operand (0: none)
  uint8_t mem_read = 0, mem_write = 0;
  uint8_t gpr = 0xff;     // guest GPR operand (0xff: none), carried in host RAX
  uint8_t gpr_size = 0;
  uint8_t gpr_write = 0;
  uint8_t insn_off = 0;   // offset of the instruction in the stub (its host FIP)
  uint8_t flags = 0;      // HostFlags
};
static_assert(sizeof(HostInfo) <= 16);

enum HostFlags : uint8_t {
  kHfMmx = 1 << 0,        // MMX: #UD if CR0.EM (not #NM); no pointer update
  kHfFlagsIn = 1 << 1,    // FCMOVcc reads CF/ZF/PF
  kHfFlagsOut = 1 << 2,   // FCOMI/FUCOMI(P) write ZF/PF/CF (OF/SF/AF cleared)
};

// Binds an instruction to a host stub (the guest encoding is in zi); false
// if it cannot (d.exec stays null: #UD).
void bind_host(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
               DecodedInsn& d);
// Semantic function of every stub-run instruction.
void exec_host(Engine& e, const DecodedInsn& d);

// #NM / #UD for x87 and MMX instructions (SDM Vol. 3 Table 2-2): x87 raises
// #NM when CR0.EM or CR0.TS is set; MMX raises #UD when CR0.EM is set and
// #NM when CR0.TS is set.
inline void check_nm(const Engine& e, bool mmx) {
  const uint64_t cr0 = e.s.cr0;
  if (HVSIM_UNLIKELY(cr0 & (CR0_EM | CR0_TS))) {
    if (mmx && (cr0 & CR0_EM)) raise(kUD);
    raise(kNM);
  }
}
// A waiting instruction with an unmasked exception pending (FSW.ES) raises
// #MF before it executes when CR0.NE = 1 (SDM Vol. 1 8.6, Vol. 3 6.15
// "Interrupt 16"). With CR0.NE = 0 the PC-style FERR#/IGNNE# path is not
// modelled: hvsim behaves as if IGNNE# were asserted and the instruction
// runs (the exception stays pending in FSW); returns true then.
inline bool pending_ignored(const Engine& e) {
  if (HVSIM_LIKELY(!(e.s.x87.fsw & kFswES))) return false;
  if (e.s.cr0 & CR0_NE) raise(kMF);
  return true;
}

// x87 state <-> the 108-byte FNSAVE image of 32-bit protected mode
// (SDM Vol. 1 Figures 8-9 and 8-13), the host's own format.
void state_to_image(const X87State& x, uint8_t* img);
void image_to_state(const uint8_t* img, X87State& x);
// The tag of a non-empty register from its contents (SDM Vol. 1 8.1.7):
// 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unsupported).
unsigned classify_tag(const Float80& f);

// The guest memory operand as bytes, through the engine (segmentation,
// paging, cache charging).
void read_bytes(Engine& e, uint64_t la, uint8_t* b, unsigned n);
void write_bytes(Engine& e, uint64_t la, const uint8_t* b, unsigned n);

// Group registration (one file each).
void register_load_store(isa::BinderTable& t);      // load_store.cc
void register_arith(isa::BinderTable& t);           // arith.cc
void register_compare(isa::BinderTable& t);         // compare.cc
void register_transcendental(isa::BinderTable& t);  // transcendental.cc
void register_control(isa::BinderTable& t);         // control.cc

// Adds `m` with binder `f` to the table of an x87 group.
inline void add_host(isa::BinderTable& t, ZydisMnemonic m, timing::InsnClass c) {
  t.add(m, &bind_host, c);
}

}  // namespace hvsim::core::x87
