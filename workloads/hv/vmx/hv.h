/* The VMX hypervisor workload: shared state between its files. */
#ifndef HV_VMX_H
#define HV_VMX_H

#include <stdint.h>

#include "vmx.h"
#include "wl.h"

#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#ifndef EFER_LMA
#define EFER_LMA (1u << 10)
#endif

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
  uint64_t ram_host;  /* host-physical address of guest-physical 0 */
  uint64_t ram_size;  /* bytes of guest RAM */
  uint64_t guest_cr0; /* what the guest believes (read shadow) */
  uint64_t guest_cr3; /* shadow mode: the guest's CR3 */
  uint64_t guest_cr4;
  uint64_t guest_efer;
  uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
  uint64_t tpr; /* CR8 */
  uint32_t cpu_ctls, cpu_ctls2, entry_ctls;
  int have_mtf;
  uint64_t pending_cr2; /* written to CR2 before the next entry */
  int set_cr2;
};

extern struct hv hv;
extern struct guest_regs gregs;

/* Host pages outside the image (zeroed). */
void *hv_alloc_pages(unsigned n);

static inline void *gpa_to_host(uint64_t gpa) { return (void *)(uintptr_t)(hv.ram_host + gpa); }

/* Guest GPR by instruction encoding number (0 = RAX ... 4 = RSP ... 15). */
uint64_t hv_get_gpr(unsigned n);
void hv_set_gpr(unsigned n, uint64_t v);

/* Event injection for the next VM entry. */
void hv_inject(uint32_t vector, uint32_t type, int has_error, uint32_t error, uint32_t instr_len);
void hv_inject_pf(uint64_t addr, uint32_t error);
void hv_exit(int code) __attribute__((noreturn));

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
/* Guest virtual to guest physical (no permission checks, no A/D updates);
 * returns -1 when not mapped. */
int64_t guest_translate(uint64_t va);

/* Applies the guest's CR0/CR4/EFER to the VMCS (real values and shadows). */
void hv_update_paging_state(void);

#endif
