// SSE through AVX2, FMA3, F16C, AES-NI and PCLMULQDQ (SDM Vol. 1 chapters
// 10-14, Vol. 2 per instruction), run on the host FPU for bit-exact results.
//
// At decode, hostop.cc re-encodes the guest instruction for the host (Zydis
// encoder): XMM/YMM registers keep their numbers, an explicit GPR operand
// becomes R8-R11, the memory operand becomes [RSI] (a host buffer), and the
// result is wrapped in a stub that loads the guest registers and MXCSR from
// the ArchState, executes, and stores them back. The stub (with a header
// describing the form) comes from hostexec::HostCode and is kept in
// DecodedInsn::aux. At run time the engine reads the memory operand first
// (faults before side effects), calls the stub, merges the EFLAGS bits the
// instruction writes, and writes memory back. An unmasked SIMD exception
// arrives as the host's SIGFPE: the handler skips the faulting host
// instruction, so the destination is left as it was and MXCSR holds the
// flags the hardware set; the engine then raises #XM (CR4.OSXMMEXCPT = 1)
// or #UD (SDM Vol. 1 11.5, Vol. 3 6.15 "Interrupt 19").
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>

#include "sim/core/decoded_insn.h"
#include "sim/core/engine.h"
#include "sim/core/isa/isa.h"
#include "sim/core/simd/host_cpu.h"

namespace hvsim::core::simd {

// Which enable rules apply (SDM Vol. 3 2.5 and 13.x; Vol. 2 2.4 exception classes).
enum class Gate : uint8_t {
  kSse,   // legacy SSE: #UD if CR0.EM or !CR4.OSFXSR, #NM if CR0.TS
  kAvx,   // VEX: #UD unless CR4.OSXSAVE and XCR0[2:1] = 11b (and not real/V86 mode), #NM if CR0.TS
  kNone,  // CRC32 and other GPR-only forms
  kMmx,   // an MMX-register form (PAVGB mm, PSHUFW, CVTPI2PS xmm, mm, ...):
          // #UD if CR0.EM (or an XMM operand and !CR4.OSFXSR), #NM if CR0.TS, #MF if FSW.ES
};

// Header at the start of each stub (the code follows at kCodeOffset).
struct HostOpHeader {
  uint64_t flags_mask;   // EFLAGS bits the instruction writes
  uint8_t gate;          // Gate
  uint8_t mem_size;      // bytes of the memory operand (0: none)
  uint8_t mem_read;      // memory operand is read
  uint8_t mem_write;     // memory operand is written
  uint8_t align;         // required alignment of the memory operand (1: none)
  uint8_t ngpr;          // explicit GPR operands mapped to R8..R8+ngpr-1
  uint8_t gpr_reg[4];    // guest GPR of each slot
  uint8_t gpr_write[4];  // slot is written (the whole 64-bit register is copied back)
  uint8_t implicit_gpr;  // RAX, RCX, RDX loaded and stored (PCMPxSTRx)
  uint8_t insn_off;      // offset of the guest operation in the stub code
  uint8_t insn_len;
  uint8_t is_store_only;  // writes memory and no register (probe first)
  uint8_t mmx_used;      // MMX registers loaded (bit i: MMi); the x87->MMX transition applies
  uint8_t mmx_written;   // MMX registers written (their exponent field becomes all ones)
  uint8_t has_xmm;       // an XMM/YMM operand (for the MMX gate)
  uint16_t slow_off;     // offset of the code that switches MXCSR (insn_off is within it)
};
inline constexpr unsigned kCodeOffset = 64;

// The scratch area the stub addresses through RSI.
struct alignas(64) Scratch {
  uint8_t mem[64];       // +0: memory operand
  uint64_t gpr[4];       // +64: R8..R11
  uint64_t rax, rcx, rdx;  // +96
  uint64_t rflags;       // +120
  uint32_t mxcsr;        // +128: guest MXCSR in, MXCSR after the operation out
  uint32_t host_mxcsr;   // +132: MXCSR the slow code loads before returning
  uint64_t mm[8];        // +136: MM0-7 (the significands of R0-R7)
};

// Binds d to a host stub for zi; false (d.exec unset: #UD) if the form
// cannot be run on the host.
bool bind_host(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, DecodedInsn& d,
               Gate gate);
// The host can run this extension (host_cpu.h).
bool host_has(ZydisISAExt x);
// The general binder: the gate follows the encoding (legacy or VEX).
void bind_vector(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                 DecodedInsn& d);

// Enable checks shared with the state instructions (sys/xstate.cc).
void check_sse(const Engine& e);  // #UD / #NM for legacy SSE
void check_avx(const Engine& e);  // #UD / #NM for VEX
void check_mmx(const Engine& e, bool has_xmm);  // #UD / #NM / #MF for MMX-register forms
// #XM when CR4.OSXMMEXCPT, else #UD (SDM Vol. 3 6.15 Interrupt 19).
[[noreturn]] void raise_simd_exception(const Engine& e);

// Reads or writes `n` bytes (up to 64) at a linear address, every page
// checked before the first byte moves.
void read_bytes(Engine& e, uint64_t la, void* buf, unsigned n);
void write_bytes(Engine& e, uint64_t la, const void* buf, unsigned n);

// Registration (each file owns its mnemonics). The MMX family
// (x87/mmx.cc) is registered after this one and chains onto the mnemonics
// both have (PADDB, MOVD, ...): it takes the MMX-register forms and hands
// the others to bind_vector.
void register_list(isa::BinderTable& t, const ZydisMnemonic* list, unsigned n,
                   timing::InsnClass (*cls)(ZydisMnemonic));
timing::InsnClass classify(ZydisMnemonic m);
void register_sse(isa::BinderTable& t);    // sse.cc: SSE, SSE2
void register_sse4(isa::BinderTable& t);   // sse4.cc: SSE3, SSSE3, SSE4.1, SSE4.2, CRC32
void register_avx(isa::BinderTable& t);    // avx.cc: AVX, AVX2, FMA, F16C, VZERO*
void register_crypto(isa::BinderTable& t); // crypto.cc: AES-NI, PCLMULQDQ (legacy and VEX)
void register_avx_mem(isa::BinderTable& t);  // avx_mem.cc: MASKMOVDQU, VMASKMOV*, gathers
// DecodedInsn::flags bit: VMASKMOVDQU (VEX gate) rather than MASKMOVDQU.
inline constexpr uint16_t kVexMaskMov = 1u << 14;
// Mnemonics each file binds (for tests and the report).
unsigned sse_mnemonics();
unsigned sse4_mnemonics();
unsigned avx_mnemonics();
unsigned crypto_mnemonics();

}  // namespace hvsim::core::simd
