/* hv_svm: a small AMD SVM hypervisor running one multiboot guest kernel
 * (see README.md).  Shared state of main.c, exits.c, guest_mem.c and
 * shadow.c. */
#ifndef HV_SVM_H
#define HV_SVM_H

#include "hv_guest_loader.h"
#include "hv_shadow.h"
#include "svm.h"
#include "wl.h"
#include "hvsim_ext.h"

/* Exit codes of the hypervisor itself (the guest's own status otherwise). */
#define HV_EXIT_SETUP 0x70    /* no SVM, bad arguments, no guest module */
#define HV_EXIT_SHUTDOWN 0x71 /* guest triple fault (VMEXIT_SHUTDOWN) */
#define HV_EXIT_NPF 0x72      /* guest access outside its RAM */
#define HV_EXIT_UNHANDLED 0x73/* an exit or instruction this monitor does not emulate */
#define HV_EXIT_INVALID 0x74  /* VMRUN failed its consistency checks */
#define HV_EXIT_HALTED 0x75   /* guest HLT: nothing can wake it */

#define HV_ASID 1

/* Guest general-purpose registers by their encoding (0 = RAX ... 15 = R15).
 * RAX and RSP live in the VMCB; svm_run moves the others. */
struct hv_gprs {
  uint64_t r[16];
};
enum { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI };

/* run.S: VMSAVE host / VMLOAD guest / VMRUN / VMSAVE guest / VMLOAD host,
 * with CLGI..STGI around it and the guest GPRs swapped in and out. */
void svm_run(uint64_t vmcb_pa, struct hv_gprs *gprs, uint64_t host_save_pa);

extern struct vmcb hv_vmcb;
extern struct hv_gprs hv_regs;
extern struct hv_guest hv_guest;
extern int hv_npt;          /* mmu=npt (1) or mmu=shadow (0) */
extern int hv_nrips;        /* CPUID 8000_000Ah EDX[3]: VMCB next RIP */
extern int hv_flush_by_asid;/* CPUID 8000_000Ah EDX[6] */

/* main.c */
void hv_fatal(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void hv_print_exit_counts(void);
/* Next instruction: the VMCB's NRIP when the CPU saves it, else RIP + len. */
void hv_skip_insn(unsigned len);
void hv_inject_exception(unsigned vector, int has_error, uint32_t error);
void hv_request_tlb_flush(void);

/* exits.c */
void hv_handle_exit(void);

/* smp.c: with more than one CPU (and mmu=npt), starts the APs and runs one
 * vCPU per CPU (does not return then); returns at once on one CPU. */
void hv_smp_start(void);
/* smp_exits.c: exits.c's handlers again, on *hv_smp_vmcb and *hv_smp_regs. */
extern struct vmcb *hv_smp_vmcb;
extern struct hv_gprs *hv_smp_regs;
void hv_smp_handle_exit(void);
void hv_smp_skip_insn(unsigned len);
void hv_smp_fatal(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void hv_smp_print_exit_counts(void);
/* smp_run.S: svm_run with the host's IF set across VMRUN (physical
 * interrupts exit the guest: the INTR intercept, APM 15.21.1). */
void svm_run_smp(uint64_t vmcb_pa, struct hv_gprs *gprs, uint64_t host_save_pa);

/* guest_mem.c: guest registers (hv_get_gpr is lib/hv_decode.h's hook)
 * and the decoding of intercepted CR accesses and INVLPG. */
uint64_t hv_get_gpr(unsigned r);
void hv_set_gpr(unsigned r, uint64_t v);
int hv_guest_long_mode(void); /* 64-bit code segment (EFER.LMA and CS.L) */

struct hv_cr_op {
  unsigned len;
  int kind;          /* HV_OP_* */
  unsigned cr, gpr;  /* MOV CR */
  uint64_t addr;     /* INVLPG: linear address of the operand */
};
enum { HV_OP_UNKNOWN, HV_OP_MOV_TO_CR, HV_OP_MOV_FROM_CR, HV_OP_CLTS, HV_OP_INVLPG };
/* Decodes the guest instruction at CS:RIP (the forms the intercepted
 * CR accesses and INVLPG can take).  Returns 0 or -1. */
int hv_decode_at_rip(struct hv_cr_op *op);

/* shadow.c (mmu=shadow) */
void shadow_init(void);
uint64_t shadow_read_cr(unsigned cr);
void shadow_write_cr(unsigned cr, uint64_t v);
uint64_t shadow_guest_efer(void);
void shadow_write_efer(uint64_t v);
void shadow_invlpg(uint64_t va);
void shadow_page_fault(uint64_t error, uint64_t va);
extern uint64_t shadow_fills, shadow_flushes;

#endif
