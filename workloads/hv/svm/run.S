/* void svm_run(uint64_t vmcb_pa, struct hv_gprs *gprs, uint64_t host_save_pa)
 *
 * One guest entry and exit with the host's interrupts as they are (off):
 * the SVM_RUN macro of svm_run.inc, shared with smp_run.S. */
#include "svm_run.inc"

        .text
        .code64
        SVM_RUN svm_run, 0
        .section .note.GNU-stack, "", @progbits
