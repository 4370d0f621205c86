/* The AP start-up trampoline (Intel SDM Vol. 3 9.4.4.2 "Typical AP
 * Initialization Sequence", 10.8.5 "Initializing IA-32e Mode"). smp.c
 * copies the bytes between smp_tramp_start and smp_tramp_end to
 * SMP_TRAMPOLINE (0x8000) and fills the slots; a SIPI with vector 0x08
 * starts the AP in real mode at 0800:0000. It enters protected mode with
 * its own GDT, turns on PAE, the BSP's CR3, EFER.LME and paging, then in
 * 64-bit mode loads the BSP's GDT and IDT, its stack, and calls the entry. */
#define T 0x8000
#define A(x) (T + (x) - smp_tramp_start)

        .section .rodata
        .globl smp_tramp_start, smp_tramp_end
        .globl smp_tramp_cr3, smp_tramp_stack, smp_tramp_entry, smp_tramp_gdtr, smp_tramp_idtr
        .code16
smp_tramp_start:
        cli
        cld
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   tgdt_ptr - smp_tramp_start
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmpl   $0x08, $A(pm32)

        .code32
pm32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %cr4, %eax
        or      $0x20, %eax             /* CR4.PAE */
        mov     %eax, %cr4
        mov     A(smp_tramp_cr3), %eax
        mov     %eax, %cr3
        mov     $0xC0000080, %ecx       /* IA32_EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000001, %eax       /* CR0.PG | CR0.PE */
        mov     %eax, %cr0
        ljmp    $0x18, $A(lm64)

        .code64
lm64:
        lgdt    A(smp_tramp_gdtr)
        lidt    A(smp_tramp_idtr)
        mov     $0x10, %eax             /* the kernel's SEL_KDATA */
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs
        mov     A(smp_tramp_stack), %rsp
        pushq   $0x08                   /* the kernel's SEL_KCODE */
        pushq   $A(lm64_cs)
        lretq
lm64_cs:
        mov     A(smp_tramp_entry), %rax
        call    *%rax
1:      cli
        hlt
        jmp     1b

        .align 8
tgdt:   .quad   0
        .quad   0x00CF9A000000FFFF      /* 0x08: 32-bit code */
        .quad   0x00CF92000000FFFF      /* 0x10: data */
        .quad   0x00AF9A000000FFFF      /* 0x18: 64-bit code */
tgdt_ptr:
        .word   tgdt_ptr - tgdt - 1
        .long   A(tgdt)
        .align 8
smp_tramp_cr3:   .quad 0
smp_tramp_stack: .quad 0
smp_tramp_entry: .quad 0
smp_tramp_gdtr:  .skip 16
smp_tramp_idtr:  .skip 16
smp_tramp_end:
