/* Ring-3 code for the SYSCALL/SYSRET test, and the kernel side of it.
 * SYSCALL: RCX = user RIP, R11 = user RFLAGS, CS/SS from STAR[47:32],
 * RFLAGS &= ~SFMASK, RSP unchanged.  SYSRET (64-bit): CS = STAR[63:48]+16,
 * SS = STAR[63:48]+8, RIP = RCX, RFLAGS = R11 (SDM Vol. 2B). */

        .section .user.text, "ax"
        .globl user_main, user_pf_insn, user_pf_next, user_gp_insn, user_gp_next
user_main:
        movq    %cs, %rdi
        movl    $1, %eax                /* report CS */
        syscall
        std
        movl    $2, %eax                /* report RFLAGS seen by the kernel */
        syscall
        cld
        movq    user_probe(%rip), %rbx
user_pf_insn:
        movq    (%rbx), %rax            /* supervisor page: #PF, U=1 */
user_pf_next:
user_gp_insn:
        hlt                             /* privileged at CPL 3: #GP(0) */
user_gp_next:
        movl    $0x600d, %edi
        xorl    %eax, %eax              /* leave ring 3 */
        syscall
        ud2

        .section .user.data, "aw"
        .align 8
        .globl user_probe
user_probe:
        .quad   0
        .align 16
        .globl user_stack_top
user_stack:
        .skip   1024
user_stack_top:

        .text
        .globl enter_user, syscall_entry
/* uint64_t enter_user(uint64_t rip, uint64_t rsp): runs user code at CPL 3
 * until it makes syscall 0; returns that call's RDI. */
enter_user:
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        movq    %rsp, kernel_rsp(%rip)
        movq    %rdi, %rcx
        movq    %rsi, %rsp
        movq    $0x2, %r11              /* RFLAGS: IF = 0 */
        sysretq

syscall_entry:
        movq    %rsp, user_rsp(%rip)
        movq    kernel_rsp(%rip), %rsp
        testq   %rax, %rax
        jz      1f
        push    %rcx
        push    %r11
        sub     $8, %rsp                /* 16-byte alignment for the call */
        movq    %rdi, %rsi              /* syscall_handler(nr, arg, user_rflags, kernel_rflags, cs) */
        movq    %rax, %rdi
        movq    %r11, %rdx
        pushfq
        popq    %rcx
        movq    %cs, %r8
        call    syscall_handler
        add     $8, %rsp
        pop     %r11
        pop     %rcx
        movq    user_rsp(%rip), %rsp
        sysretq
1:      movq    %rdi, %rax
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        ret

        .bss
        .align 8
kernel_rsp:     .quad 0
user_rsp:       .quad 0
