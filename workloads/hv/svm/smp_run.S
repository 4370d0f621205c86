/* void svm_run_smp(uint64_t vmcb_pa, struct hv_gprs *gprs, uint64_t host_save_pa)
 *
 * run.S's svm_run for hv/svm/smp.c, with one difference: the host's
 * RFLAGS.IF is 1 across VMRUN (STI after CLGI, CLI before STGI), so that a
 * physical interrupt (another CPU's kick) makes the guest exit and is then
 * taken by the host: the SVM_RUN macro of svm_run.inc with host_if = 1. */
#include "svm_run.inc"

        .text
        .code64
        SVM_RUN svm_run_smp, 1
        .section .note.GNU-stack, "", @progbits
