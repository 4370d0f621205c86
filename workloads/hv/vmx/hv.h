/* The VMX hypervisor workload: shared state between its files.
 *
 *   main.c        command line, guest loading, the end of the run
 *   setup.c       VMXON and the VMCS, in the order of the parts below
 *   vmcs_ctls.c   execution/exit/entry controls from the capability MSRs, MSR bitmap
 *   ept.c         the EPT tables (mmu=ept)
 *   vmcs_host.c   host-state area
 *   vmcs_guest.c  guest-state area (the multiboot entry state)
 *   paging.c      the guest's CR0/CR4/EFER in the VMCS
 *   exits.c       the VM-entry loop, the exit handlers, event injection
 *   shadow.c      shadow paging (mmu=shadow) over lib/hv_shadow.c
 *   ptwrite.c     emulation of guest writes to its write-protected page tables
 *   smp.c         more than one CPU: a vCPU per CPU, virtual x2APIC, IPIs
 */
#ifndef HV_VMX_H
#define HV_VMX_H

#include <stdint.h>

#include "hv_guest_loader.h"
#include "hv_shadow.h"
#include "vmx.h"
#include "wl.h"
#include "hvsim_ext.h"

#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#ifndef EFER_LMA
#define EFER_LMA (1u << 10)
#endif

#define CR0_PE 1ull
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_VMXE (1ull << 13)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)

/* Exit codes of the hypervisor itself (the guest's own status otherwise). */
#define HV_EXIT_SETUP 0x7a        /* missing capability, bad module, ... */
#define HV_EXIT_TRIPLE_FAULT 0x7b
#define HV_EXIT_EPT 0x7c          /* EPT violation / misconfiguration */
#define HV_EXIT_UNHANDLED 0x7d    /* exit reason or instruction not handled */
#define HV_EXIT_HALTED 0x7f       /* HLT with IF = 0 */

struct guest_regs {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

int vmx_run(struct guest_regs *regs, int launched);
void vmx_exit_entry(void);

enum mmu_mode { MMU_EPT, MMU_SHADOW, MMU_AUTO };

struct hv {
  enum mmu_mode mmu;
  uint64_t guest_cr0; /* what the guest believes (read shadow) */
  uint64_t guest_cr3; /* shadow mode: the guest's CR3 */
  uint64_t guest_cr4;
  uint64_t guest_efer;
  uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
  uint64_t cr0_mask, cr4_mask; /* host-owned CR0/CR4 bits (guest/host masks) */
  uint64_t tpr; /* CR8 (tpr=exit; with the TPR shadow it is VTPR) */
  int tpr_exit;   /* tpr=exit: intercept CR8 even when the TPR shadow is offered */
  uint32_t cpu_ctls, cpu_ctls2, entry_ctls;
  uint64_t ept_cap; /* IA32_VMX_EPT_VPID_CAP when EPT or VPID is used */
  int have_mtf;
};

extern struct hv hv;
extern struct hv_guest hv_guest; /* guest RAM: host = hv_guest.ram + guest-physical */
extern struct guest_regs gregs;

/* Host pages after guest RAM (zeroed). */
void *hv_alloc_pages(unsigned n);

static inline void *gpa_to_host(uint64_t gpa) { return hv_guest.ram + gpa; }

/* Guest GPR by instruction encoding number (0 = RAX ... 4 = RSP ... 15);
 * hv_get_gpr is also lib/hv_decode.h's hook. */
uint64_t hv_get_gpr(unsigned n);
void hv_set_gpr(unsigned n, uint64_t v);

/* Event injection for the next VM entry (exits.c). */
void hv_inject(uint32_t vector, uint32_t type, int has_error, uint32_t error, uint32_t instr_len);
void hv_inject_pf(uint64_t addr, uint32_t error);
void hv_inject_gp(void);
void hv_skip_instruction(void);
void hv_run(void) __attribute__((noreturn)); /* the VM-entry loop */
void hv_print_counts(void);
/* smp.c: with more than one CPU (and mmu=ept), starts the APs and runs one
 * vCPU per CPU; does not return then. Returns at once on one CPU. */
void hv_smp_start(void);
/* smp_exits.c: exits.c's handlers for smp.c (renamed copies). */
void hv_smp_handle_exit(uint32_t reason_full);
void hv_smp_use_counts(uint64_t *per_reason); /* where the next exits are counted */
void hv_smp_skip_instruction(void);
void hv_smp_inject(uint32_t vector, uint32_t type, int has_error, uint32_t error, uint32_t instr_len);
void hv_smp_exit(int code) __attribute__((noreturn)); /* smp.c: per-vCPU counts, then the end */
void hv_exit(int code) __attribute__((noreturn));
void hv_dump_guest(const char *why);

/* VMCS set-up (setup.c and the vmcs_*.c, ept.c parts). */
void vmx_setup(uint64_t entry, uint32_t mbi);
void vmcs_setup_controls(void);
uint64_t ept_build(uint64_t cap); /* returns the EPT pointer */
void vmcs_setup_host(void);
void vmcs_setup_guest(uint64_t entry, uint32_t mbi);

/* The guest's control registers (paging.c). */
void hv_update_paging_state(void); /* guest CR0/CR4/EFER to the VMCS (real values and shadows) */
void hv_sync_from_vmcs(void);      /* mmu=ept: what the guest changed without exits */

/* Shadow paging (shadow.c). */
void shadow_init(void);
uint64_t shadow_real_cr3(void);        /* the host-physical root for the current guest mode */
void shadow_flush_all(void);
void shadow_invlpg(uint64_t va);
void shadow_handle_pf(uint64_t addr, uint32_t pfec, uint32_t idt_vec_info);
void shadow_handle_mtf(void);
/* A #DB exit: 1 when it ended a TF single step of shadow.c. */
int shadow_handle_db(void);
/* Ends a single step early: an event is about to be injected, and the
 * instruction will run again after the guest handles it. */
void shadow_cancel_step(void);
extern unsigned long stepped;
/* The guest's paging registers for lib/hv_shadow.c. */
struct hv_guest_paging shadow_guest_paging(void);

/* ptwrite.c: emulates the write at linear addr (guest-physical gpa) by
 * the instruction at RIP.  Returns 0 when done, -1 when it is not one
 * the emulator handles; *changed_present: an entry that was present
 * changed. */
int ptwrite_emulate(uint64_t addr, uint64_t gpa, int *changed_present);

#endif
