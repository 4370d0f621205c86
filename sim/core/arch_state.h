// Architectural state of one logical processor as plain data (SDM Vol. 3 ch. 2-3),
// so that it can be serialized for checkpoints and compared in tests.
#pragma once

#include <cstdint>

#include "sim/core/fpu_state.h"
#include "sim/core/sys/pmu_state.h"

namespace hvsim::core {

enum Gpr : uint8_t { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
enum SegReg : uint8_t { ES, CS, SS, DS, FS, GS, kNumSegs, kSegNone = 0xff };

// RFLAGS bits (SDM Vol. 1 3.4.3).
inline constexpr uint64_t CF = 1u << 0;
inline constexpr uint64_t PF = 1u << 2;
inline constexpr uint64_t AF = 1u << 4;
inline constexpr uint64_t ZF = 1u << 6;
inline constexpr uint64_t SF = 1u << 7;
inline constexpr uint64_t TF = 1u << 8;
inline constexpr uint64_t IF = 1u << 9;
inline constexpr uint64_t DF = 1u << 10;
inline constexpr uint64_t OF = 1u << 11;
inline constexpr uint64_t IOPL = 3u << 12;
inline constexpr uint64_t NT = 1u << 14;
inline constexpr uint64_t RF = 1u << 16;
inline constexpr uint64_t VM = 1u << 17;
inline constexpr uint64_t AC = 1u << 18;
inline constexpr uint64_t VIF = 1u << 19;
inline constexpr uint64_t VIP = 1u << 20;
inline constexpr uint64_t ID = 1u << 21;
constexpr uint64_t kArithFlags = CF | PF | AF | ZF | SF | OF;

// CR0 / CR4 / EFER bits used by the core and MMU.
inline constexpr uint64_t CR0_PE = 1u << 0;
inline constexpr uint64_t CR0_MP = 1u << 1;
inline constexpr uint64_t CR0_EM = 1u << 2;
inline constexpr uint64_t CR0_TS = 1u << 3;
inline constexpr uint64_t CR0_ET = 1u << 4;
inline constexpr uint64_t CR0_NE = 1u << 5;
inline constexpr uint64_t CR0_WP = 1u << 16;
inline constexpr uint64_t CR0_AM = 1u << 18;
inline constexpr uint64_t CR0_NW = 1u << 29;
inline constexpr uint64_t CR0_CD = 1u << 30;
inline constexpr uint64_t CR0_PG = 1ull << 31;
inline constexpr uint64_t CR4_VME = 1u << 0;
inline constexpr uint64_t CR4_PVI = 1u << 1;
inline constexpr uint64_t CR4_TSD = 1u << 2;
inline constexpr uint64_t CR4_DE = 1u << 3;
inline constexpr uint64_t CR4_PSE = 1u << 4;
inline constexpr uint64_t CR4_PAE = 1u << 5;
inline constexpr uint64_t CR4_MCE = 1u << 6;
inline constexpr uint64_t CR4_PGE = 1u << 7;
inline constexpr uint64_t CR4_PCE = 1u << 8;
inline constexpr uint64_t CR4_OSFXSR = 1u << 9;
inline constexpr uint64_t CR4_OSXMMEXCPT = 1u << 10;
inline constexpr uint64_t CR4_UMIP = 1u << 11;
inline constexpr uint64_t CR4_LA57 = 1u << 12;
inline constexpr uint64_t CR4_VMXE = 1u << 13;
inline constexpr uint64_t CR4_SMXE = 1u << 14;
inline constexpr uint64_t CR4_FSGSBASE = 1u << 16;
inline constexpr uint64_t CR4_PCIDE = 1u << 17;
inline constexpr uint64_t CR4_OSXSAVE = 1u << 18;
inline constexpr uint64_t CR4_SMEP = 1u << 20;
inline constexpr uint64_t CR4_SMAP = 1u << 21;
inline constexpr uint64_t CR4_PKE = 1u << 22;
inline constexpr uint64_t EFER_SCE = 1u << 0;
inline constexpr uint64_t EFER_LME = 1u << 8;
inline constexpr uint64_t EFER_LMA = 1u << 10;
inline constexpr uint64_t EFER_NXE = 1u << 11;
inline constexpr uint64_t EFER_SVME = 1u << 12;
inline constexpr uint64_t EFER_FFXSR = 1u << 14;

// A segment register with its hidden descriptor cache (SDM Vol. 3 3.4.3).
struct Segment {
  uint16_t selector = 0;
  uint64_t base = 0;
  uint32_t limit = 0;  // byte granular (already scaled by G)
  // Access rights in the VMCS layout (SDM Vol. 3 24.4.1): type[3:0], S[4],
  // DPL[6:5], P[7], AVL[12], L[13], D/B[14], G[15], unusable[16].
  uint32_t attr = 0;

  unsigned type() const { return attr & 0xf; }
  bool s() const { return attr & (1u << 4); }
  unsigned dpl() const { return (attr >> 5) & 3; }
  bool present() const { return attr & (1u << 7); }
  bool l() const { return attr & (1u << 13); }
  bool db() const { return attr & (1u << 14); }
  bool g() const { return attr & (1u << 15); }
};

struct TableReg {
  uint64_t base = 0;
  uint16_t limit = 0;
};

// Execution mode, derived from CR0.PE, EFER.LMA, CS.L, CS.D and RFLAGS.VM.
enum class Mode : uint8_t { kReal, kVm86, kProt16, kProt32, kCompat16, kCompat32, kLong64 };

struct ArchState {
  uint64_t gpr[16] = {};
  uint64_t rip = 0;
  uint64_t rflags = 0x2;
  Segment seg[kNumSegs];
  Segment ldtr, tr;
  TableReg gdtr, idtr;
  uint64_t cr0 = 0x60000010, cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
  uint64_t dr[8] = {0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400};
  uint64_t efer = 0;
  // PAE paging's four PDPTEs are registers (SDM Vol. 3 4.4.1), loaded by MOV
  // to CR3 in PAE paging, by a MOV to CR0/CR4 that enters or changes PAE
  // paging, and by VM entry/exit (sys/pdpte.h). Intel only: pdpte_valid stays
  // 0 on an AMD model, whose walks read the entries at CR3 each time.
  uint64_t pdpte[4] = {};
  uint64_t pdpte_valid = 0;
  uint64_t xcr0 = 1;  // XFEATURE_ENABLED_MASK (SDM Vol. 1 13.3); bit 0 (x87) is always set
  uint64_t xss = 0;   // IA32_XSS (SDM Vol. 1 13.3)
  X87State x87;
  VecState vec;
  // MSRs the core implements directly (SDM Vol. 4).
  uint64_t star = 0, lstar = 0, cstar = 0, sfmask = 0, kernel_gs_base = 0;
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t apic_base = 0xfee00900, pat = 0x0007040600070406ull, tsc_aux = 0;
  uint64_t tsc_offset = 0;  // TSC = cycles + tsc_offset (WRMSR to IA32_TSC sets it)
  uint64_t misc_enable = 1, mtrr_def_type = 0;
  uint64_t mtrr_fixed[11] = {};  // IA32_MTRR_FIX64K_00000, FIX16K_80000/A0000, FIX4K_C0000..F8000
  uint64_t mtrr_var[16] = {};    // IA32_MTRR_PHYSBASE0/PHYSMASK0 .. 7
  uint64_t debugctl = 0;         // IA32_DEBUGCTL (sys/mce.cc)
  // The last-branch record (DEBUGCTL.LBR, sys/lbr.h): MSRs 1DBh-1DEh,
  // LastBranchFromIP/ToIP and LastIntFromIP/ToIP (LastException* on AMD).
  uint64_t lbr_from = 0, lbr_to = 0, lbr_int_from = 0, lbr_int_to = 0;
  PmuState pmu;                  // performance counters (sys/pmu.cc)
  MachineCheckState mc;          // machine-check registers (sys/mce.cc)
  // STI / MOV SS / POP SS block interrupts until after the next instruction
  // (SDM Vol. 3 6.8.3); the run loop clears it and the interrupt logic honours it.
  uint8_t interrupt_shadow = 0;
  // NMIs are blocked from the delivery of an NMI until the next IRET (SDM Vol. 3 6.7.1).
  uint8_t nmi_blocked = 0;
  uint8_t cpl = 0;
  // In VMX operation (root or non-root, SDM Vol. 3 24.3): CR4.VMXE and the
  // CR0 bits fixed by IA32_VMX_CR0_FIXED0 cannot be cleared.
  uint8_t in_vmx = 0;
  // AMD SVM global interrupt flag (APM Vol. 2 15.17): 0 holds back every
  // interrupt and NMI; CLGI clears it, STGI and VMRUN set it, #VMEXIT clears it.
  uint8_t gif = 1;
  Mode mode = Mode::kReal;
};

}  // namespace hvsim::core
