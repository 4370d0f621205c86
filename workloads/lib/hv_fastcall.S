/* ext.fastcall's handler entry (hvsim_ext.h): entered by a guest's FASTCALL
 * in host mode, RSP = the handler stack, interrupts off, the guest's GPRs
 * live.  Calls hv_hypercall(RAX, RBX) and returns its result in RAX with
 * every other register as the guest had it, then FASTRET (0F 0C). */
    .text
    .code64
    .globl hv_fastcall_entry
hv_fastcall_entry:
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %r8
    push %r9
    push %r10
    push %r11
    mov %rax, %rdi
    mov %rbx, %rsi
    call hv_hypercall
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    .byte 0x0f, 0x0c /* FASTRET */
    .section .note.GNU-stack,"",@progbits
