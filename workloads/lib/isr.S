/* Interrupt entry stubs for all 256 vectors.  Each pushes a dummy error
 * code when the CPU does not push one (Intel SDM Vol. 3A 6.13: vectors 8,
 * 10-14, 17, 21, 29, 30 push an error code), then the vector number, and
 * jumps to isr_common, which saves every GPR so the C dispatcher sees a
 * struct wl_frame (see desc.h) and may modify it before IRETQ. */
#include "wl_frame.inc"

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
        WL_ERROR_CODE vec
        pushq   $vec
        jmp     isr_common
        .pushsection .rodata
        .quad   1b
        .popsection
        .set vec, vec + 1
        .endr

isr_common:
        WL_PUSH_GPRS
        cld                             /* the C ABI wants DF = 0 */
        mov     %rsp, %rdi
        /* 64-bit delivery aligns RSP to 16 before pushing the frame
           (SDM Vol. 3A 6.14.2); 22 quadwords keep it aligned here. */
        call    wl_dispatch
        WL_POP_GPRS
        add     $16, %rsp               /* vector and error code */
        iretq
