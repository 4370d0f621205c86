/* Interrupt entry stubs for all 256 vectors.  Each pushes a dummy error
 * code when the CPU does not push one (Intel SDM Vol. 3A 6.13: vectors 8,
 * 10-14, 17, 21, 29, 30 push an error code), then the vector number, and
 * jumps to isr_common, which saves every GPR so the C dispatcher sees a
 * struct wl_frame (see desc.h) and may modify it before IRETQ. */

        .text
        .code64
        .globl isr_stub_table

        .set vec, 0
        .section .rodata
        .align 8
isr_stub_table:
        .text
        .rept 256
        .align 16
1:
        .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        .else
        pushq   $0
        .endif
        pushq   $vec
        jmp     isr_common
        .pushsection .rodata
        .quad   1b
        .popsection
        .set vec, vec + 1
        .endr

isr_common:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %rbp
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        cld                             /* the C ABI wants DF = 0 */
        mov     %rsp, %rdi
        /* 64-bit delivery aligns RSP to 16 before pushing the frame
           (SDM Vol. 3A 6.14.2); 22 quadwords keep it aligned here. */
        call    wl_dispatch
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rbp
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        add     $16, %rsp               /* vector and error code */
        iretq
