/* The PV guest's entry points: start, the hypercall page, the exception
 * and event-upcall stubs for hv_pv's bounce frame (pv_abi.h: rcx, r11,
 * [error], rip, cs, rflags, rsp, ss), the system-call entry, and the first
 * entry to a process.  Returns to guest kernel mode use IRETQ directly
 * (ring 3 to ring 3 is allowed, SDM Vol. 2A IRET); returns to user mode use
 * the iret hypercall, which switches the hypervisor's notion of the mode. */
#define PV_KERNEL_CS 0x43
#define PV_USER_CS 0x2b
#define PV_USER_SS 0x23
#define SEL_KCODE 0x08
#define HC_IRET (hypercall_page + 23 * 32)
#define VGCF_in_syscall 0x100
#include "wl_frame.inc"
#include "../sysframe.inc"

        .section .note.Xen, "a", @note
        .balign 4
        .long   4, 8, 2                 /* XEN_ELFNOTE_HYPERCALL_PAGE */
        .asciz  "Xen"
        .balign 4
        .quad   hypercall_page

        .section .text.boot, "ax"
        .code64
        .globl _start
_start:                                 /* RSI = start_info */
        leaq    pv_boot_stack_top(%rip), %rsp
        movq    %rsi, %rdi
        call    pv_start
        ud2

        .text
        .balign 4096
        .globl hypercall_page
hypercall_page:
        .fill   4096, 1, 0xcc           /* written by the hypervisor */

        .globl pv_exc_table, pv_upcall_entry, syscall_entry, enter_user

/* Exception stubs, vectors 0-31 (error code as the CPU pushes one). */
        .set vec, 0
        .section .rodata
        .balign 8
pv_exc_table:
        .text
        .rept 32
        .balign 16
1:      popq    %rcx
        popq    %r11
        WL_ERROR_CODE vec
        pushq   $vec
        jmp     pv_exc_common
        .pushsection .rodata
        .quad   1b
        .popsection
        .set vec, vec + 1
        .endr

/* Event upcall: dispatched as vector 256. */
pv_upcall_entry:
        popq    %rcx
        popq    %r11
        pushq   $0
        pushq   $256
        jmp     pv_exc_common

/* A struct wl_frame as lib/isr.S builds it; the guest kernel's CS shows as
 * SEL_KCODE there, so the kernel's handlers tell kernel from user mode by
 * the CS RPL as they do natively. */
pv_exc_common:
        WL_PUSH_GPRS
        cld
        cmpq    $PV_KERNEL_CS, 18*8(%rsp)
        jne     1f
        movq    $SEL_KCODE, 18*8(%rsp)
1:      movq    %rsp, %rdi
        call    pv_dispatch
        WL_POP_GPRS
        addq    $16, %rsp
        cmpq    $SEL_KCODE, 8(%rsp)
        jne     2f
        movq    $PV_KERNEL_CS, 8(%rsp)
        iretq
2:      pushq   $0                      /* iret_context.flags */
        jmp     HC_IRET

/* System call from a process (the syscall callback): builds the native
 * entry's struct sysframe (proc.c) and calls syscall_dispatch. */
syscall_entry:
        popq    %rcx
        popq    %r11
        subq    $8, %rsp                /* keeps the call 16-byte aligned */
        pushq   32(%rsp)                /* the process's RSP, from the frame */
        SYSFRAME_DISPATCH
        addq    $16, %rsp               /* RSP copy and the pad */
        pushq   $VGCF_in_syscall
        jmp     HC_IRET

/* void enter_user(rip, rsp, a0, a1): iret to ring 3 with RDI = a0, RSI =
 * a1 and the other registers cleared, events enabled. */
enter_user:
        pushq   $PV_USER_SS
        pushq   %rsi
        pushq   $0x202
        pushq   $PV_USER_CS
        pushq   %rdi
        pushq   $0
        movq    %rdx, %rdi
        movq    %rcx, %rsi
        xorl    %eax, %eax
        xorl    %ebx, %ebx
        xorl    %ecx, %ecx
        xorl    %edx, %edx
        xorl    %ebp, %ebp
        xorl    %r8d, %r8d
        xorl    %r9d, %r9d
        xorl    %r10d, %r10d
        xorl    %r11d, %r11d
        xorl    %r12d, %r12d
        xorl    %r13d, %r13d
        xorl    %r14d, %r14d
        xorl    %r15d, %r15d
        jmp     HC_IRET

        .bss
        .balign 16
pv_boot_stack:  .skip 65536
pv_boot_stack_top:
