/* SYSCALL entry (hypercalls and guest system calls) and the first entry
 * into the guest.  SYSCALL leaves RSP alone (Intel SDM Vol. 2B SYSCALL):
 * the guest's RSP is parked while the hypervisor stack is loaded.  The
 * frame built here is a struct wl_frame (lib/desc.h), like an exception's,
 * and the return is an IRETQ from it in both cases. */
#include "wl_frame.inc"
        .text
        .code64
        .globl hv_syscall_entry, hv_enter_guest, hv_stack_top

hv_syscall_entry:
        movq    %rsp, hv_guest_rsp(%rip)
        movq    hv_stack_top(%rip), %rsp
        pushq   $0x23                   /* ss: PV_USER_SS */
        pushq   hv_guest_rsp(%rip)      /* rsp */
        pushq   %r11                    /* rflags */
        pushq   $0                      /* cs: hv_syscall sets it from the mode */
        pushq   %rcx                    /* rip */
        pushq   $0                      /* error */
        pushq   $0x100                  /* vector: HV_VEC_SYSCALL */
        WL_PUSH_GPRS
        cld
        movq    %rsp, %rdi
        call    hv_syscall
        WL_POP_GPRS
        addq    $16, %rsp
        iretq

/* hv_enter_guest(rip, rsp, rsi): guest kernel mode, RSI = start_info. */
hv_enter_guest:
        movq    hv_stack_top(%rip), %rsp
        pushq   $0x23                   /* ss */
        pushq   %rsi                    /* rsp */
        pushq   $0x202                  /* rflags: IF */
        pushq   $0x43                   /* cs: PV_KERNEL_CS */
        pushq   %rdi                    /* rip */
        movq    %rdx, %rsi
        xorl    %eax, %eax
        xorl    %ebx, %ebx
        xorl    %ecx, %ecx
        xorl    %edx, %edx
        xorl    %edi, %edi
        xorl    %ebp, %ebp
        xorl    %r8d, %r8d
        xorl    %r9d, %r9d
        xorl    %r10d, %r10d
        xorl    %r11d, %r11d
        xorl    %r12d, %r12d
        xorl    %r13d, %r13d
        xorl    %r14d, %r14d
        xorl    %r15d, %r15d
        iretq

        .data
        .align 8
hv_guest_rsp:   .quad 0
hv_stack_top:   .quad hv_stack + 16384
        .bss
        .align 16
hv_stack:       .skip 16384
