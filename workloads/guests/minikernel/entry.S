/* SYSCALL entry, context switch, first entry to ring 3, and the divide-by-
 * zero nanobenchmark loop.
 * SYSCALL: RCX = user RIP, R11 = user RFLAGS, RFLAGS &= ~SFMASK, RSP is
 * left alone; SYSRET (64-bit): RIP = RCX, RFLAGS = R11 (Intel SDM Vol. 2B). */
#include "sysframe.inc"

        .text
        .code64
        .globl swtch, proc_trampoline
        .globl nano_divzero_loop, nano_div_insn, nano_div_next

#ifndef MK_PV /* the PV build's are in pv/pv_entry.S */
        .globl syscall_entry, enter_user
/* Builds struct sysframe (proc.c) on the process's kernel stack and calls
 * syscall_dispatch; every register but RAX, RCX and R11 is preserved. */
syscall_entry:
        movq    %rsp, cpu+8(%rip)       /* per-CPU scratch: user RSP */
        movq    cpu(%rip), %rsp         /* per-CPU: this process's kernel stack */
        pushq   cpu+8(%rip)
        SYSFRAME_DISPATCH
        popq    %rsp
        sysretq
#endif

/* void swtch(uint64_t *save_rsp, uint64_t new_rsp) */
swtch:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret

proc_trampoline:
        call    proc_first_run
        ud2

#ifndef MK_PV
/* void enter_user(rip, rsp, a0, a1): SYSRET to rip with RDI = a0, RSI = a1
 * and the other registers cleared, interrupts off (RFLAGS = 0x2). */
enter_user:
        movq    %rdi, %r8
        movq    %rsi, %r9
        movq    %rdx, %rdi
        movq    %rcx, %rsi
        movq    %r8, %rcx
        movq    %r9, %rsp
        movl    $0x2, %r11d
        xorl    %eax, %eax
        xorl    %ebx, %ebx
        xorl    %edx, %edx
        xorl    %ebp, %ebp
        xorl    %r8d, %r8d
        xorl    %r9d, %r9d
        xorl    %r10d, %r10d
        xorl    %r12d, %r12d
        xorl    %r13d, %r13d
        xorl    %r14d, %r14d
        xorl    %r15d, %r15d
        sysretq
#endif

/* uint64_t nano_divzero_loop(uint64_t n): n divisions by zero; the #DE
 * handler resumes at nano_div_next.  Returns RAX of the last one (1). */
nano_divzero_loop:
        xorl    %ecx, %ecx
1:      movl    $1, %eax
        xorl    %edx, %edx
nano_div_insn:
        divq    %rcx
nano_div_next:
        decq    %rdi
        jnz     1b
        ret
