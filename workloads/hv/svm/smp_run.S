/* void svm_run_smp(uint64_t vmcb_pa, struct hv_gprs *gprs, uint64_t host_save_pa)
 *
 * run.S's svm_run for hv/svm/smp.c, with one difference: the host's
 * RFLAGS.IF is 1 across VMRUN (STI after CLGI, CLI before STGI; GIF = 0
 * holds interrupts meanwhile), so that with V_INTR_MASKING a physical
 * interrupt (another CPU's kick) makes the guest exit (INTR intercept,
 * APM Vol. 2 15.21.1) and is then taken by the host after STGI + STI.
 *
 * One guest entry and exit (AMD APM Vol. 2 15.5 VMRUN, 15.5.2 VMSAVE and
 * VMLOAD, 15.17 GIF).  VMRUN saves and restores only part of the host
 * state (CS, SS, DS, ES, GDTR, IDTR, EFER, CR0, CR3, CR4, RFLAGS, RIP,
 * RSP, RAX) in the VM_HSAVE_PA area; FS, GS, TR, LDTR and the SYSCALL /
 * SYSENTER MSRs are swapped with VMSAVE / VMLOAD, and the guest GPRs other
 * than RAX and RSP (which live in the VMCB) are swapped here. */
        .text
        .code64
        .globl svm_run_smp
svm_run_smp:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdx                    /* 16(%rsp): host save area */
        push    %rdi                    /*  8(%rsp): guest VMCB */
        push    %rsi                    /*  0(%rsp): guest GPRs */
        clgi
        sti
        mov     %rdx, %rax
        vmsave  %rax
        mov     8(%rsp), %rax
        vmload  %rax
        mov     (%rsp), %rax
        mov     8(%rax), %rcx
        mov     16(%rax), %rdx
        mov     24(%rax), %rbx
        mov     40(%rax), %rbp
        mov     48(%rax), %rsi
        mov     56(%rax), %rdi
        mov     64(%rax), %r8
        mov     72(%rax), %r9
        mov     80(%rax), %r10
        mov     88(%rax), %r11
        mov     96(%rax), %r12
        mov     104(%rax), %r13
        mov     112(%rax), %r14
        mov     120(%rax), %r15
        mov     8(%rsp), %rax
        vmrun   %rax
        /* #VMEXIT: RAX and RSP are the host's again (the VMCB address and
           this stack); every other GPR still holds the guest's value. */
        push    %rax
        mov     8(%rsp), %rax
        mov     %rcx, 8(%rax)
        mov     %rdx, 16(%rax)
        mov     %rbx, 24(%rax)
        mov     %rbp, 40(%rax)
        mov     %rsi, 48(%rax)
        mov     %rdi, 56(%rax)
        mov     %r8, 64(%rax)
        mov     %r9, 72(%rax)
        mov     %r10, 80(%rax)
        mov     %r11, 88(%rax)
        mov     %r12, 96(%rax)
        mov     %r13, 104(%rax)
        mov     %r14, 112(%rax)
        mov     %r15, 120(%rax)
        pop     %rax
        vmsave  %rax
        mov     16(%rsp), %rax
        vmload  %rax
        cli
        stgi
        add     $24, %rsp
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret
        .section .note.GNU-stack, "", @progbits
