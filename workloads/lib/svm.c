#include "svm.h"

/* Names from APM Vol. 2 Appendix C, Table C-1. */
static const char *const exit_names_lo[0xa5] = {
    [0x00] = "VMEXIT_CR0_READ",       [0x02] = "VMEXIT_CR2_READ",      [0x03] = "VMEXIT_CR3_READ",
    [0x04] = "VMEXIT_CR4_READ",       [0x08] = "VMEXIT_CR8_READ",      [0x10] = "VMEXIT_CR0_WRITE",
    [0x12] = "VMEXIT_CR2_WRITE",      [0x13] = "VMEXIT_CR3_WRITE",     [0x14] = "VMEXIT_CR4_WRITE",
    [0x18] = "VMEXIT_CR8_WRITE",      [0x20] = "VMEXIT_DR0_READ",      [0x27] = "VMEXIT_DR7_READ",
    [0x30] = "VMEXIT_DR0_WRITE",      [0x37] = "VMEXIT_DR7_WRITE",     [0x40] = "VMEXIT_EXCP0",
    [0x41] = "VMEXIT_EXCP1",          [0x42] = "VMEXIT_EXCP2",         [0x43] = "VMEXIT_EXCP3",
    [0x44] = "VMEXIT_EXCP4",          [0x45] = "VMEXIT_EXCP5",         [0x46] = "VMEXIT_EXCP6",
    [0x47] = "VMEXIT_EXCP7",          [0x48] = "VMEXIT_EXCP8",         [0x4a] = "VMEXIT_EXCP10",
    [0x4b] = "VMEXIT_EXCP11",         [0x4c] = "VMEXIT_EXCP12",        [0x4d] = "VMEXIT_EXCP13",
    [0x4e] = "VMEXIT_EXCP14",         [0x50] = "VMEXIT_EXCP16",        [0x51] = "VMEXIT_EXCP17",
    [0x52] = "VMEXIT_EXCP18",         [0x53] = "VMEXIT_EXCP19",        [0x60] = "VMEXIT_INTR",
    [0x61] = "VMEXIT_NMI",            [0x62] = "VMEXIT_SMI",           [0x63] = "VMEXIT_INIT",
    [0x64] = "VMEXIT_VINTR",          [0x65] = "VMEXIT_CR0_SEL_WRITE", [0x66] = "VMEXIT_IDTR_READ",
    [0x67] = "VMEXIT_GDTR_READ",      [0x68] = "VMEXIT_LDTR_READ",     [0x69] = "VMEXIT_TR_READ",
    [0x6a] = "VMEXIT_IDTR_WRITE",     [0x6b] = "VMEXIT_GDTR_WRITE",    [0x6c] = "VMEXIT_LDTR_WRITE",
    [0x6d] = "VMEXIT_TR_WRITE",       [0x6e] = "VMEXIT_RDTSC",         [0x6f] = "VMEXIT_RDPMC",
    [0x70] = "VMEXIT_PUSHF",          [0x71] = "VMEXIT_POPF",          [0x72] = "VMEXIT_CPUID",
    [0x73] = "VMEXIT_RSM",            [0x74] = "VMEXIT_IRET",          [0x75] = "VMEXIT_SWINT",
    [0x76] = "VMEXIT_INVD",           [0x77] = "VMEXIT_PAUSE",         [0x78] = "VMEXIT_HLT",
    [0x79] = "VMEXIT_INVLPG",         [0x7a] = "VMEXIT_INVLPGA",       [0x7b] = "VMEXIT_IOIO",
    [0x7c] = "VMEXIT_MSR",            [0x7d] = "VMEXIT_TASK_SWITCH",   [0x7e] = "VMEXIT_FERR_FREEZE",
    [0x7f] = "VMEXIT_SHUTDOWN",       [0x80] = "VMEXIT_VMRUN",         [0x81] = "VMEXIT_VMMCALL",
    [0x82] = "VMEXIT_VMLOAD",         [0x83] = "VMEXIT_VMSAVE",        [0x84] = "VMEXIT_STGI",
    [0x85] = "VMEXIT_CLGI",           [0x86] = "VMEXIT_SKINIT",        [0x87] = "VMEXIT_RDTSCP",
    [0x88] = "VMEXIT_ICEBP",          [0x89] = "VMEXIT_WBINVD",        [0x8a] = "VMEXIT_MONITOR",
    [0x8b] = "VMEXIT_MWAIT",          [0x8c] = "VMEXIT_MWAIT_CONDITIONAL", [0x8d] = "VMEXIT_XSETBV",
    [0x8e] = "VMEXIT_RDPRU",          [0x8f] = "VMEXIT_EFER_WRITE_TRAP", [0xa0] = "VMEXIT_INVLPGB",
    [0xa1] = "VMEXIT_INVLPGB_ILLEGAL", [0xa2] = "VMEXIT_INVPCID",      [0xa3] = "VMEXIT_MCOMMIT",
    [0xa4] = "VMEXIT_TLBSYNC",
};

const char *svm_exit_name(uint64_t code) {
  if (code < sizeof exit_names_lo / sizeof exit_names_lo[0]) return exit_names_lo[code];
  switch (code) {
    case 0x400: return "VMEXIT_NPF";
    case 0x401: return "VMEXIT_AVIC_INCOMPLETE_IPI";
    case 0x402: return "VMEXIT_AVIC_NOACCEL";
    case 0x403: return "VMEXIT_VMGEXIT";
    case VMEXIT_INVALID: return "VMEXIT_INVALID";
    default: return 0;
  }
}

void svm_iopm_set(uint8_t *iopm, uint16_t port, int intercept) {
  if (intercept) iopm[port >> 3] |= (uint8_t)(1u << (port & 7));
  else iopm[port >> 3] &= (uint8_t)~(1u << (port & 7));
}

/* MSRPM (APM 15.11): three 2 KiB vectors, two bits per MSR (read, write):
 * 0000h MSRs 0-1FFFh, 0800h C0000000h-C0001FFFh, 1000h C0010000h-C0011FFFh. */
int svm_msrpm_set(uint8_t *msrpm, uint32_t msr, int intercept_read, int intercept_write) {
  uint32_t base;
  if (msr <= 0x1fff) base = 0;
  else if (msr >= 0xc0000000u && msr <= 0xc0001fffu) base = 0x800;
  else if (msr >= 0xc0010000u && msr <= 0xc0011fffu) base = 0x1000;
  else return -1;
  uint32_t bit = (msr & 0x1fff) * 2;
  uint8_t *b = &msrpm[base + bit / 8];
  unsigned shift = bit % 8;
  *b = (uint8_t)((*b & ~(3u << shift)) | ((intercept_read ? 1u : 0) << shift) | ((intercept_write ? 2u : 0) << shift));
  return 0;
}
