/* AMD SVM definitions shared by hypervisor workloads: the VMCB layout
 * (AMD64 APM Vol. 2, Appendix B, Table B-1 "VMCB Layout, Control Area"
 * and Table B-2 "VMCB Layout, State Save Area"), intercept bits (15.9 to
 * 15.14), #VMEXIT codes (Appendix C "SVM Intercept Exit Codes"), and the
 * instructions (15.5 VMRUN, 15.5.2 VMSAVE/VMLOAD, 15.17 CLGI/STGI,
 * 15.16.3 INVLPGA).  Offsets are pinned by _Static_assert. */
#ifndef WL_SVM_H
#define WL_SVM_H

#include <stddef.h>
#include <stdint.h>

/* MSRs and CPUID (APM Vol. 2 15.4, 15.30; Vol. 3 E.4.9). */
#define MSR_VM_CR 0xC0010114u
#define MSR_VM_HSAVE_PA 0xC0010117u
#define VM_CR_SVMDIS (1u << 4)
#define EFER_LMA (1u << 10)
#define EFER_SVME (1u << 12)
#define CPUID_8000_0001_ECX_SVM (1u << 2)
#define CPUID_8000_000A_EDX_NP (1u << 0)
#define CPUID_8000_000A_EDX_NRIPS (1u << 3)
#define CPUID_8000_000A_EDX_FLUSH_BY_ASID (1u << 6)
#define CPUID_8000_000A_EDX_DECODE_ASSISTS (1u << 7)

struct vmcb_seg {
  uint16_t selector;
  uint16_t attrib; /* descriptor bits 47:40 in 7:0, bits 55:52 in 11:8 */
  uint32_t limit;
  uint64_t base;
} __attribute__((packed));

struct vmcb_control {
  uint32_t intercept_cr;        /* 000h: 15:0 reads of CR0-15, 31:16 writes */
  uint32_t intercept_dr;        /* 004h: 15:0 reads of DR0-15, 31:16 writes */
  uint32_t intercept_exceptions;/* 008h: bit n = exception vector n */
  uint32_t intercept_misc1;     /* 00Ch: SVM_INTERCEPT1_* */
  uint32_t intercept_misc2;     /* 010h: SVM_INTERCEPT2_* */
  uint32_t intercept_misc3;     /* 014h */
  uint8_t reserved_018[0x03c - 0x018];
  uint16_t pause_filter_threshold; /* 03Ch */
  uint16_t pause_filter_count;     /* 03Eh */
  uint64_t iopm_base_pa;        /* 040h */
  uint64_t msrpm_base_pa;       /* 048h */
  uint64_t tsc_offset;          /* 050h */
  uint32_t guest_asid;          /* 058h */
  uint8_t tlb_control;          /* 05Ch: SVM_TLB_* */
  uint8_t reserved_05d[3];
  uint64_t vintr;               /* 060h: V_TPR 7:0, V_IRQ 8, V_INTR_MASKING 24, V_INTR_VECTOR 39:32 */
  uint64_t interrupt_shadow;    /* 068h: bit 0 interrupt shadow, bit 1 guest interrupt mask */
  uint64_t exitcode;            /* 070h */
  uint64_t exitinfo1;           /* 078h */
  uint64_t exitinfo2;           /* 080h */
  uint64_t exitintinfo;         /* 088h: EVENTINJ format */
  uint64_t np_control;          /* 090h: bit 0 NP_ENABLE */
  uint64_t avic_apic_bar;       /* 098h */
  uint64_t ghcb_pa;             /* 0A0h */
  uint64_t eventinj;            /* 0A8h: SVM_EVENT_* */
  uint64_t n_cr3;               /* 0B0h: nested page table root */
  uint64_t lbr_virt;            /* 0B8h */
  uint32_t vmcb_clean;          /* 0C0h */
  uint32_t reserved_0c4;
  uint64_t nrip;                /* 0C8h: next RIP (NRIP save) */
  uint8_t guest_insn_len;       /* 0D0h: bytes fetched (decode assists) */
  uint8_t guest_insn_bytes[15]; /* 0D1h */
  uint8_t reserved_0e0[0x400 - 0x0e0];
} __attribute__((packed));

struct vmcb_save {
  struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 400h..49Fh */
  uint8_t reserved_4a0[0x4cb - 0x4a0];
  uint8_t cpl;                  /* 4CBh */
  uint32_t reserved_4cc;
  uint64_t efer;                /* 4D0h */
  uint8_t reserved_4d8[0x548 - 0x4d8];
  uint64_t cr4;                 /* 548h */
  uint64_t cr3;                 /* 550h */
  uint64_t cr0;                 /* 558h */
  uint64_t dr7;                 /* 560h */
  uint64_t dr6;                 /* 568h */
  uint64_t rflags;              /* 570h */
  uint64_t rip;                 /* 578h */
  uint8_t reserved_580[0x5d8 - 0x580];
  uint64_t rsp;                 /* 5D8h */
  uint64_t s_cet, ssp, isst_addr; /* 5E0h */
  uint64_t rax;                 /* 5F8h */
  uint64_t star;                /* 600h */
  uint64_t lstar;               /* 608h */
  uint64_t cstar;               /* 610h */
  uint64_t sfmask;              /* 618h */
  uint64_t kernel_gs_base;      /* 620h */
  uint64_t sysenter_cs;         /* 628h */
  uint64_t sysenter_esp;        /* 630h */
  uint64_t sysenter_eip;        /* 638h */
  uint64_t cr2;                 /* 640h */
  uint8_t reserved_648[0x668 - 0x648];
  uint64_t g_pat;               /* 668h: guest PAT, used with nested paging */
  uint64_t dbgctl;              /* 670h */
  uint64_t br_from, br_to;      /* 678h */
  uint64_t last_excp_from, last_excp_to; /* 688h */
  uint8_t reserved_698[0x1000 - 0x698];
} __attribute__((packed));

struct vmcb {
  struct vmcb_control control; /* 000h */
  struct vmcb_save save;       /* 400h */
} __attribute__((packed, aligned(4096)));

#define SVM_CTL_OFF(f) offsetof(struct vmcb, control.f)
#define SVM_SAVE_OFF(f) offsetof(struct vmcb, save.f)
_Static_assert(SVM_CTL_OFF(intercept_exceptions) == 0x008, "VMCB 008h");
_Static_assert(SVM_CTL_OFF(intercept_misc1) == 0x00c, "VMCB 00Ch");
_Static_assert(SVM_CTL_OFF(intercept_misc2) == 0x010, "VMCB 010h");
_Static_assert(SVM_CTL_OFF(pause_filter_threshold) == 0x03c, "VMCB 03Ch");
_Static_assert(SVM_CTL_OFF(iopm_base_pa) == 0x040, "VMCB 040h");
_Static_assert(SVM_CTL_OFF(msrpm_base_pa) == 0x048, "VMCB 048h");
_Static_assert(SVM_CTL_OFF(tsc_offset) == 0x050, "VMCB 050h");
_Static_assert(SVM_CTL_OFF(guest_asid) == 0x058, "VMCB 058h");
_Static_assert(SVM_CTL_OFF(tlb_control) == 0x05c, "VMCB 05Ch");
_Static_assert(SVM_CTL_OFF(vintr) == 0x060, "VMCB 060h");
_Static_assert(SVM_CTL_OFF(interrupt_shadow) == 0x068, "VMCB 068h");
_Static_assert(SVM_CTL_OFF(exitcode) == 0x070, "VMCB 070h");
_Static_assert(SVM_CTL_OFF(exitinfo1) == 0x078, "VMCB 078h");
_Static_assert(SVM_CTL_OFF(exitinfo2) == 0x080, "VMCB 080h");
_Static_assert(SVM_CTL_OFF(exitintinfo) == 0x088, "VMCB 088h");
_Static_assert(SVM_CTL_OFF(np_control) == 0x090, "VMCB 090h");
_Static_assert(SVM_CTL_OFF(eventinj) == 0x0a8, "VMCB 0A8h");
_Static_assert(SVM_CTL_OFF(n_cr3) == 0x0b0, "VMCB 0B0h");
_Static_assert(SVM_CTL_OFF(vmcb_clean) == 0x0c0, "VMCB 0C0h");
_Static_assert(SVM_CTL_OFF(nrip) == 0x0c8, "VMCB 0C8h");
_Static_assert(SVM_CTL_OFF(guest_insn_len) == 0x0d0, "VMCB 0D0h");
_Static_assert(SVM_SAVE_OFF(es) == 0x400, "VMCB 400h");
_Static_assert(SVM_SAVE_OFF(cs) == 0x410, "VMCB 410h");
_Static_assert(SVM_SAVE_OFF(gdtr) == 0x460, "VMCB 460h");
_Static_assert(SVM_SAVE_OFF(tr) == 0x490, "VMCB 490h");
_Static_assert(SVM_SAVE_OFF(cpl) == 0x4cb, "VMCB 4CBh");
_Static_assert(SVM_SAVE_OFF(efer) == 0x4d0, "VMCB 4D0h");
_Static_assert(SVM_SAVE_OFF(cr4) == 0x548, "VMCB 548h");
_Static_assert(SVM_SAVE_OFF(cr3) == 0x550, "VMCB 550h");
_Static_assert(SVM_SAVE_OFF(cr0) == 0x558, "VMCB 558h");
_Static_assert(SVM_SAVE_OFF(dr7) == 0x560, "VMCB 560h");
_Static_assert(SVM_SAVE_OFF(rflags) == 0x570, "VMCB 570h");
_Static_assert(SVM_SAVE_OFF(rip) == 0x578, "VMCB 578h");
_Static_assert(SVM_SAVE_OFF(rsp) == 0x5d8, "VMCB 5D8h");
_Static_assert(SVM_SAVE_OFF(rax) == 0x5f8, "VMCB 5F8h");
_Static_assert(SVM_SAVE_OFF(star) == 0x600, "VMCB 600h");
_Static_assert(SVM_SAVE_OFF(sfmask) == 0x618, "VMCB 618h");
_Static_assert(SVM_SAVE_OFF(kernel_gs_base) == 0x620, "VMCB 620h");
_Static_assert(SVM_SAVE_OFF(sysenter_eip) == 0x638, "VMCB 638h");
_Static_assert(SVM_SAVE_OFF(cr2) == 0x640, "VMCB 640h");
_Static_assert(SVM_SAVE_OFF(g_pat) == 0x668, "VMCB 668h");
_Static_assert(SVM_SAVE_OFF(last_excp_to) == 0x690, "VMCB 690h");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one 4 KiB page");

/* intercept_cr / intercept_dr */
#define SVM_INTERCEPT_CR_READ(n) (1u << (n))
#define SVM_INTERCEPT_CR_WRITE(n) (1u << (16 + (n)))

/* intercept_misc1 (VMCB 00Ch) */
#define SVM_INTERCEPT1_INTR (1u << 0)
#define SVM_INTERCEPT1_NMI (1u << 1)
#define SVM_INTERCEPT1_SMI (1u << 2)
#define SVM_INTERCEPT1_INIT (1u << 3)
#define SVM_INTERCEPT1_VINTR (1u << 4)
#define SVM_INTERCEPT1_CR0_SEL_WRITE (1u << 5)
#define SVM_INTERCEPT1_RDTSC (1u << 14)
#define SVM_INTERCEPT1_RDPMC (1u << 15)
#define SVM_INTERCEPT1_CPUID (1u << 18)
#define SVM_INTERCEPT1_RSM (1u << 19)
#define SVM_INTERCEPT1_IRET (1u << 20)
#define SVM_INTERCEPT1_INTN (1u << 21)
#define SVM_INTERCEPT1_INVD (1u << 22)
#define SVM_INTERCEPT1_PAUSE (1u << 23)
#define SVM_INTERCEPT1_HLT (1u << 24)
#define SVM_INTERCEPT1_INVLPG (1u << 25)
#define SVM_INTERCEPT1_INVLPGA (1u << 26)
#define SVM_INTERCEPT1_IOIO_PROT (1u << 27)
#define SVM_INTERCEPT1_MSR_PROT (1u << 28)
#define SVM_INTERCEPT1_TASK_SWITCH (1u << 29)
#define SVM_INTERCEPT1_FERR_FREEZE (1u << 30)
#define SVM_INTERCEPT1_SHUTDOWN (1u << 31)

/* intercept_misc2 (VMCB 010h) */
#define SVM_INTERCEPT2_VMRUN (1u << 0) /* must be set, or VMRUN fails */
#define SVM_INTERCEPT2_VMMCALL (1u << 1)
#define SVM_INTERCEPT2_VMLOAD (1u << 2)
#define SVM_INTERCEPT2_VMSAVE (1u << 3)
#define SVM_INTERCEPT2_STGI (1u << 4)
#define SVM_INTERCEPT2_CLGI (1u << 5)
#define SVM_INTERCEPT2_SKINIT (1u << 6)
#define SVM_INTERCEPT2_RDTSCP (1u << 7)
#define SVM_INTERCEPT2_ICEBP (1u << 8)
#define SVM_INTERCEPT2_WBINVD (1u << 9)
#define SVM_INTERCEPT2_MONITOR (1u << 10)
#define SVM_INTERCEPT2_MWAIT (1u << 11)
#define SVM_INTERCEPT2_XSETBV (1u << 13)

/* tlb_control (VMCB 05Ch, APM 15.16.1) */
#define SVM_TLB_DO_NOTHING 0
#define SVM_TLB_FLUSH_ALL 1
#define SVM_TLB_FLUSH_ASID 3
#define SVM_TLB_FLUSH_ASID_NONGLOBAL 7

#define SVM_VINTR_MASKING (1ull << 24)
#define SVM_NP_ENABLE (1ull << 0)

/* EVENTINJ / EXITINTINFO (APM 15.20) */
#define SVM_EVENT_VECTOR(e) ((e) & 0xff)
#define SVM_EVENT_TYPE(e) (((e) >> 8) & 7)
#define SVM_EVENT_TYPE_INTR 0
#define SVM_EVENT_TYPE_NMI 2
#define SVM_EVENT_TYPE_EXCEPTION 3
#define SVM_EVENT_TYPE_SOFT_INT 4
#define SVM_EVENT_EV (1ull << 11) /* error code valid */
#define SVM_EVENT_VALID (1ull << 31)
#define SVM_EVENT_ERROR(e) ((uint32_t)((e) >> 32))

/* EXITINFO1 of VMEXIT_IOIO (APM 15.10.2, Figure 15-2) */
#define SVM_IOIO_IN (1u << 0)
#define SVM_IOIO_STR (1u << 2)
#define SVM_IOIO_REP (1u << 3)
#define SVM_IOIO_SZ8 (1u << 4)
#define SVM_IOIO_SZ16 (1u << 5)
#define SVM_IOIO_SZ32 (1u << 6)
#define SVM_IOIO_PORT(info) ((uint16_t)((info) >> 16))

/* EXITINFO1 of VMEXIT_NPF (APM 15.25.6) */
#define SVM_NPF_P (1ull << 0)
#define SVM_NPF_W (1ull << 1)
#define SVM_NPF_U (1ull << 2)
#define SVM_NPF_RSV (1ull << 3)
#define SVM_NPF_ID (1ull << 4)
#define SVM_NPF_FINAL (1ull << 32)
#define SVM_NPF_TABLE (1ull << 33)

/* Permission-map sizes (APM 15.10.1, 15.11) */
#define SVM_IOPM_SIZE (12 * 1024)
#define SVM_MSRPM_SIZE (8 * 1024)

/* #VMEXIT codes (APM Vol. 2 Appendix C, Table C-1) */
#define VMEXIT_CR0_READ 0x000
#define VMEXIT_CR3_READ 0x003
#define VMEXIT_CR4_READ 0x004
#define VMEXIT_CR0_WRITE 0x010
#define VMEXIT_CR3_WRITE 0x013
#define VMEXIT_CR4_WRITE 0x014
#define VMEXIT_EXCP_BASE 0x040 /* + vector */
#define VMEXIT_EXCP_PF 0x04e
#define VMEXIT_INTR 0x060
#define VMEXIT_NMI 0x061
#define VMEXIT_RDTSC 0x06e
#define VMEXIT_CPUID 0x072
#define VMEXIT_HLT 0x078
#define VMEXIT_INVLPG 0x079
#define VMEXIT_INVLPGA 0x07a
#define VMEXIT_IOIO 0x07b
#define VMEXIT_MSR 0x07c
#define VMEXIT_SHUTDOWN 0x07f
#define VMEXIT_VMRUN 0x080
#define VMEXIT_VMMCALL 0x081
#define VMEXIT_VMLOAD 0x082
#define VMEXIT_VMSAVE 0x083
#define VMEXIT_STGI 0x084
#define VMEXIT_CLGI 0x085
#define VMEXIT_SKINIT 0x086
#define VMEXIT_RDTSCP 0x087
#define VMEXIT_XSETBV 0x08d
#define VMEXIT_NPF 0x400
#define VMEXIT_INVALID 0xffffffffffffffffull

/* "VMEXIT_CPUID" etc. for a code, or 0 when it has no name here. */
const char *svm_exit_name(uint64_t code);

/* Permission maps: every port / MSR intercepted, then holes opened. */
void svm_iopm_set(uint8_t *iopm, uint16_t port, int intercept);
/* Returns -1 for an MSR outside the three ranges of the map. */
int svm_msrpm_set(uint8_t *msrpm, uint32_t msr, int intercept_read, int intercept_write);

/* Segment attribute from a GDT descriptor (VMCB attrib format). */
static inline uint16_t svm_seg_attrib(uint64_t desc) {
  return (uint16_t)(((desc >> 40) & 0xff) | (((desc >> 52) & 0xf) << 8));
}

static inline void svm_clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void svm_stgi(void) { __asm__ volatile("stgi" ::: "memory"); }
/* INVLPGA: invalidate the TLB entry for (va, asid) (APM 15.16.3). */
static inline void svm_invlpga(uint64_t va, uint32_t asid) {
  __asm__ volatile("invlpga %%rax, %%ecx" ::"a"(va), "c"(asid) : "memory");
}

#endif
