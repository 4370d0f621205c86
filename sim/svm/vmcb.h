// The VMCB (AMD APM Vol. 2 appendix B, Table B-1 "VMCB Layout, Control
// Area" and Table B-2 "VMCB Layout, State Save Area") as one packed struct
// whose every offset is pinned to the manual's table, with the intercept
// bits (15.9-15.14), the clean bits (15.15.3), EVENTINJ/EXITINTINFO
// (15.20, 15.7.2) and the #VMEXIT codes (appendix C, Table C-1).
#pragma once

#include <cstddef>
#include <cstdint>

namespace hvsim::svm {

#pragma pack(push, 1)
struct VmcbSeg {
  uint16_t selector;
  uint16_t attrib;  // descriptor bits 47:40 in 7:0, bits 55:52 in 11:8
  uint32_t limit;
  uint64_t base;
};

struct VmcbControl {
  uint32_t intercept_cr;          // 000h: 15:0 reads of CR0-15, 31:16 writes
  uint32_t intercept_dr;          // 004h: 15:0 reads of DR0-15, 31:16 writes
  uint32_t intercept_exceptions;  // 008h: bit n = vector n
  uint32_t intercept_misc1;       // 00Ch: INTR .. SHUTDOWN (misc1::)
  uint32_t intercept_misc2;       // 010h: VMRUN .. (misc2::)
  uint32_t intercept_misc3;       // 014h: INVLPGB ..
  uint8_t reserved_018[0x03c - 0x018];
  uint16_t pause_filter_threshold;  // 03Ch
  uint16_t pause_filter_count;      // 03Eh
  uint64_t iopm_base_pa;            // 040h
  uint64_t msrpm_base_pa;           // 048h
  uint64_t tsc_offset;              // 050h
  uint32_t guest_asid;              // 058h
  uint8_t tlb_control;              // 05Ch
  uint8_t reserved_05d[3];
  uint64_t vintr;             // 060h: V_TPR 7:0, V_IRQ 8, VGIF 9, V_INTR_PRIO 19:16,
                              //       V_IGN_TPR 20, V_INTR_MASKING 24, VGIF enable 25,
                              //       AVIC enable 31, V_INTR_VECTOR 39:32
  uint64_t interrupt_shadow;  // 068h: bit 0 INTERRUPT_SHADOW, bit 1 GUEST_INTERRUPT_MASK
  uint64_t exitcode;          // 070h
  uint64_t exitinfo1;         // 078h
  uint64_t exitinfo2;         // 080h
  uint64_t exitintinfo;       // 088h
  uint64_t np_control;        // 090h: bit 0 NP_ENABLE, 1 SEV, 2 SEV-ES, 3 GMET
  uint64_t avic_apic_bar;     // 098h
  uint64_t ghcb_pa;           // 0A0h
  uint64_t eventinj;          // 0A8h
  uint64_t n_cr3;             // 0B0h
  uint64_t lbr_virt;          // 0B8h: bit 0 LBR virtualization, bit 1 VMSAVE/VMLOAD virt.
  uint32_t vmcb_clean;        // 0C0h
  uint32_t reserved_0c4;
  uint64_t nrip;                 // 0C8h
  uint8_t guest_insn_len;        // 0D0h
  uint8_t guest_insn_bytes[15];  // 0D1h
  uint64_t avic_backing_page;    // 0E0h
  uint64_t reserved_0e8;
  uint64_t avic_logical_table;   // 0F0h
  uint64_t avic_physical_table;  // 0F8h
  uint64_t reserved_100;
  uint64_t vmsa_pa;              // 108h
  uint8_t reserved_110[0x400 - 0x110];
};

struct VmcbSave {
  VmcbSeg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;  // 400h .. 49Fh
  uint8_t reserved_4a0[0x4cb - 0x4a0];
  uint8_t cpl;  // 4CBh
  uint32_t reserved_4cc;
  uint64_t efer;  // 4D0h
  uint8_t reserved_4d8[0x548 - 0x4d8];
  uint64_t cr4;     // 548h
  uint64_t cr3;     // 550h
  uint64_t cr0;     // 558h
  uint64_t dr7;     // 560h
  uint64_t dr6;     // 568h
  uint64_t rflags;  // 570h
  uint64_t rip;     // 578h
  uint8_t reserved_580[0x5d8 - 0x580];
  uint64_t rsp;        // 5D8h
  uint64_t s_cet;      // 5E0h
  uint64_t ssp;        // 5E8h
  uint64_t isst_addr;  // 5F0h
  uint64_t rax;        // 5F8h
  uint64_t star;            // 600h
  uint64_t lstar;           // 608h
  uint64_t cstar;           // 610h
  uint64_t sfmask;          // 618h
  uint64_t kernel_gs_base;  // 620h
  uint64_t sysenter_cs;     // 628h
  uint64_t sysenter_esp;    // 630h
  uint64_t sysenter_eip;    // 638h
  uint64_t cr2;             // 640h
  uint8_t reserved_648[0x668 - 0x648];
  uint64_t g_pat;           // 668h
  uint64_t dbgctl;          // 670h
  uint64_t br_from;         // 678h
  uint64_t br_to;           // 680h
  uint64_t last_excp_from;  // 688h
  uint64_t last_excp_to;    // 690h
  uint8_t reserved_698[0x1000 - 0x698];
};

struct Vmcb {
  VmcbControl control;  // 000h
  VmcbSave save;        // 400h
};
#pragma pack(pop)

#define HVSIM_VMCB_AT(f, off) static_assert(offsetof(Vmcb, f) == (off), "VMCB " #off)
HVSIM_VMCB_AT(control.intercept_cr, 0x000);
HVSIM_VMCB_AT(control.intercept_dr, 0x004);
HVSIM_VMCB_AT(control.intercept_exceptions, 0x008);
HVSIM_VMCB_AT(control.intercept_misc1, 0x00c);
HVSIM_VMCB_AT(control.intercept_misc2, 0x010);
HVSIM_VMCB_AT(control.intercept_misc3, 0x014);
HVSIM_VMCB_AT(control.pause_filter_threshold, 0x03c);
HVSIM_VMCB_AT(control.pause_filter_count, 0x03e);
HVSIM_VMCB_AT(control.iopm_base_pa, 0x040);
HVSIM_VMCB_AT(control.msrpm_base_pa, 0x048);
HVSIM_VMCB_AT(control.tsc_offset, 0x050);
HVSIM_VMCB_AT(control.guest_asid, 0x058);
HVSIM_VMCB_AT(control.tlb_control, 0x05c);
HVSIM_VMCB_AT(control.vintr, 0x060);
HVSIM_VMCB_AT(control.interrupt_shadow, 0x068);
HVSIM_VMCB_AT(control.exitcode, 0x070);
HVSIM_VMCB_AT(control.exitinfo1, 0x078);
HVSIM_VMCB_AT(control.exitinfo2, 0x080);
HVSIM_VMCB_AT(control.exitintinfo, 0x088);
HVSIM_VMCB_AT(control.np_control, 0x090);
HVSIM_VMCB_AT(control.avic_apic_bar, 0x098);
HVSIM_VMCB_AT(control.ghcb_pa, 0x0a0);
HVSIM_VMCB_AT(control.eventinj, 0x0a8);
HVSIM_VMCB_AT(control.n_cr3, 0x0b0);
HVSIM_VMCB_AT(control.lbr_virt, 0x0b8);
HVSIM_VMCB_AT(control.vmcb_clean, 0x0c0);
HVSIM_VMCB_AT(control.nrip, 0x0c8);
HVSIM_VMCB_AT(control.guest_insn_len, 0x0d0);
HVSIM_VMCB_AT(control.guest_insn_bytes, 0x0d1);
HVSIM_VMCB_AT(control.avic_backing_page, 0x0e0);
HVSIM_VMCB_AT(control.avic_logical_table, 0x0f0);
HVSIM_VMCB_AT(control.avic_physical_table, 0x0f8);
HVSIM_VMCB_AT(control.vmsa_pa, 0x108);
HVSIM_VMCB_AT(save.es, 0x400);
HVSIM_VMCB_AT(save.cs, 0x410);
HVSIM_VMCB_AT(save.ss, 0x420);
HVSIM_VMCB_AT(save.ds, 0x430);
HVSIM_VMCB_AT(save.fs, 0x440);
HVSIM_VMCB_AT(save.gs, 0x450);
HVSIM_VMCB_AT(save.gdtr, 0x460);
HVSIM_VMCB_AT(save.ldtr, 0x470);
HVSIM_VMCB_AT(save.idtr, 0x480);
HVSIM_VMCB_AT(save.tr, 0x490);
HVSIM_VMCB_AT(save.cpl, 0x4cb);
HVSIM_VMCB_AT(save.efer, 0x4d0);
HVSIM_VMCB_AT(save.cr4, 0x548);
HVSIM_VMCB_AT(save.cr3, 0x550);
HVSIM_VMCB_AT(save.cr0, 0x558);
HVSIM_VMCB_AT(save.dr7, 0x560);
HVSIM_VMCB_AT(save.dr6, 0x568);
HVSIM_VMCB_AT(save.rflags, 0x570);
HVSIM_VMCB_AT(save.rip, 0x578);
HVSIM_VMCB_AT(save.rsp, 0x5d8);
HVSIM_VMCB_AT(save.s_cet, 0x5e0);
HVSIM_VMCB_AT(save.ssp, 0x5e8);
HVSIM_VMCB_AT(save.isst_addr, 0x5f0);
HVSIM_VMCB_AT(save.rax, 0x5f8);
HVSIM_VMCB_AT(save.star, 0x600);
HVSIM_VMCB_AT(save.lstar, 0x608);
HVSIM_VMCB_AT(save.cstar, 0x610);
HVSIM_VMCB_AT(save.sfmask, 0x618);
HVSIM_VMCB_AT(save.kernel_gs_base, 0x620);
HVSIM_VMCB_AT(save.sysenter_cs, 0x628);
HVSIM_VMCB_AT(save.sysenter_esp, 0x630);
HVSIM_VMCB_AT(save.sysenter_eip, 0x638);
HVSIM_VMCB_AT(save.cr2, 0x640);
HVSIM_VMCB_AT(save.g_pat, 0x668);
HVSIM_VMCB_AT(save.dbgctl, 0x670);
HVSIM_VMCB_AT(save.br_from, 0x678);
HVSIM_VMCB_AT(save.br_to, 0x680);
HVSIM_VMCB_AT(save.last_excp_from, 0x688);
HVSIM_VMCB_AT(save.last_excp_to, 0x690);
#undef HVSIM_VMCB_AT
static_assert(sizeof(VmcbSeg) == 16);
static_assert(sizeof(VmcbControl) == 0x400);
static_assert(sizeof(Vmcb) == 4096, "the VMCB is one 4 KiB page");

// Intercept vector 3 (VMCB 00Ch).
namespace misc1 {
enum : uint32_t {
  kIntr = 1u << 0, kNmi = 1u << 1, kSmi = 1u << 2, kInit = 1u << 3, kVintr = 1u << 4,
  kCr0SelWrite = 1u << 5, kIdtrRead = 1u << 6, kGdtrRead = 1u << 7, kLdtrRead = 1u << 8,
  kTrRead = 1u << 9, kIdtrWrite = 1u << 10, kGdtrWrite = 1u << 11, kLdtrWrite = 1u << 12,
  kTrWrite = 1u << 13, kRdtsc = 1u << 14, kRdpmc = 1u << 15, kPushf = 1u << 16,
  kPopf = 1u << 17, kCpuid = 1u << 18, kRsm = 1u << 19, kIret = 1u << 20, kIntn = 1u << 21,
  kInvd = 1u << 22, kPause = 1u << 23, kHlt = 1u << 24, kInvlpg = 1u << 25,
  kInvlpga = 1u << 26, kIoio = 1u << 27, kMsr = 1u << 28, kTaskSwitch = 1u << 29,
  kFerrFreeze = 1u << 30, kShutdown = 1u << 31,
};
}
// Intercept vector 4 (VMCB 010h).
namespace misc2 {
enum : uint32_t {
  kVmrun = 1u << 0, kVmmcall = 1u << 1, kVmload = 1u << 2, kVmsave = 1u << 3,
  kStgi = 1u << 4, kClgi = 1u << 5, kSkinit = 1u << 6, kRdtscp = 1u << 7, kIcebp = 1u << 8,
  kWbinvd = 1u << 9, kMonitor = 1u << 10, kMwait = 1u << 11, kMwaitCond = 1u << 12,
  kXsetbv = 1u << 13, kRdpru = 1u << 14, kEferWriteTrap = 1u << 15,
};
}

// VMCB 060h (15.21.1).
namespace vintr {
constexpr uint64_t kTprMask = 0xff, kIrq = 1ull << 8, kIgnTpr = 1ull << 20,
                   kMasking = 1ull << 24;
inline unsigned prio(uint64_t v) { return (v >> 16) & 0xf; }
inline uint8_t vector(uint64_t v) { return static_cast<uint8_t>(v >> 32); }
}  // namespace vintr

// TLB_CONTROL (15.16.1).
enum TlbControl : uint8_t { kTlbNothing = 0, kTlbFlushAll = 1, kTlbFlushAsid = 3,
                            kTlbFlushAsidNonGlobal = 7 };

// VMCB clean bits (15.15.3): a set bit lets VMRUN keep its cached copy.
namespace clean {
enum : uint32_t {
  kIntercepts = 1u << 0, kIopm = 1u << 1, kAsid = 1u << 2, kTpr = 1u << 3, kNp = 1u << 4,
  kCrx = 1u << 5, kDrx = 1u << 6, kDt = 1u << 7, kSeg = 1u << 8, kCr2 = 1u << 9,
  kLbr = 1u << 10, kAvic = 1u << 11,
};
constexpr unsigned kGroups = 12;
}  // namespace clean

// EVENTINJ / EXITINTINFO (15.20).
namespace event {
constexpr uint64_t kValid = 1ull << 31, kEv = 1ull << 11;
enum Type : unsigned { kIntr = 0, kNmi = 2, kException = 3, kSoftInt = 4 };
inline uint64_t make(uint8_t vec, unsigned type, bool has_error, uint32_t error) {
  return kValid | vec | (static_cast<uint64_t>(type) << 8) |
         (has_error ? kEv | (static_cast<uint64_t>(error) << 32) : 0);
}
}  // namespace event

// EXITINFO1 of VMEXIT_IOIO (15.10.2).
namespace ioio {
constexpr uint64_t kIn = 1u << 0, kStr = 1u << 2, kRep = 1u << 3, kSz8 = 1u << 4,
                   kSz16 = 1u << 5, kSz32 = 1u << 6, kA16 = 1u << 7, kA32 = 1u << 8,
                   kA64 = 1u << 9;
}
// EXITINFO1 of VMEXIT_NPF (15.25.6).
namespace npf {
constexpr uint64_t kP = 1, kW = 2, kU = 4, kRsv = 8, kId = 16, kFinal = 1ull << 32,
                   kTable = 1ull << 33;
}

// #VMEXIT codes (appendix C, Table C-1).
enum ExitCode : uint64_t {
  kExitCr0Read = 0x000, kExitCr0Write = 0x010, kExitDr0Read = 0x020, kExitDr0Write = 0x030,
  kExitExcp0 = 0x040, kExitIntr = 0x060, kExitNmi = 0x061, kExitSmi = 0x062,
  kExitInit = 0x063, kExitVintr = 0x064, kExitCr0SelWrite = 0x065, kExitIdtrRead = 0x066,
  kExitGdtrRead = 0x067, kExitLdtrRead = 0x068, kExitTrRead = 0x069, kExitIdtrWrite = 0x06a,
  kExitGdtrWrite = 0x06b, kExitLdtrWrite = 0x06c, kExitTrWrite = 0x06d, kExitRdtsc = 0x06e,
  kExitRdpmc = 0x06f, kExitPushf = 0x070, kExitPopf = 0x071, kExitCpuid = 0x072,
  kExitRsm = 0x073, kExitIret = 0x074, kExitSwint = 0x075, kExitInvd = 0x076,
  kExitPause = 0x077, kExitHlt = 0x078, kExitInvlpg = 0x079, kExitInvlpga = 0x07a,
  kExitIoio = 0x07b, kExitMsr = 0x07c, kExitTaskSwitch = 0x07d, kExitFerrFreeze = 0x07e,
  kExitShutdown = 0x07f, kExitVmrun = 0x080, kExitVmmcall = 0x081, kExitVmload = 0x082,
  kExitVmsave = 0x083, kExitStgi = 0x084, kExitClgi = 0x085, kExitSkinit = 0x086,
  kExitRdtscp = 0x087, kExitIcebp = 0x088, kExitWbinvd = 0x089, kExitMonitor = 0x08a,
  kExitMwait = 0x08b, kExitMwaitCond = 0x08c, kExitXsetbv = 0x08d, kExitRdpru = 0x08e,
  kExitEferWriteTrap = 0x08f, kExitCr0WriteTrap = 0x090, kExitInvlpgb = 0x0a0,
  kExitInvlpgbIllegal = 0x0a1, kExitInvpcid = 0x0a2, kExitMcommit = 0x0a3,
  kExitTlbsync = 0x0a4, kExitNpf = 0x400, kExitAvicIncompleteIpi = 0x401,
  kExitAvicNoaccel = 0x402, kExitVmgexit = 0x403, kExitInvalid = ~0ull, kExitBusy = ~1ull,
};

// "VMEXIT_CPUID", "VMEXIT_EXCP14", "VMEXIT_CR0_READ", ...; "VMEXIT_UNKNOWN"
// for a code the table lacks. The pointer is static.
const char* exit_code_name(uint64_t code);

// Segment attributes: VMCB 12-bit form <-> core::Segment::attr (VMCS form).
inline uint32_t attr_from_vmcb(uint16_t a) {
  uint32_t v = (a & 0xffu) | ((a & 0xf00u) << 4);
  if (!(a & 0x80)) v |= 1u << 16;  // not present: unusable for the core's checks
  return v;
}
inline uint16_t attr_to_vmcb(uint32_t a) {
  if (a & (1u << 16)) a &= ~0x80u;
  return static_cast<uint16_t>((a & 0xff) | ((a >> 4) & 0xf00));
}

}  // namespace hvsim::svm
