/* Multiboot v1 header and 32-bit entry: switch to 64-bit long mode with the
 * first 4 GiB identity mapped by 2 MiB pages, then call wl_init and kmain.
 * Long-mode activation order follows Intel SDM Vol. 3A 10.8.5 (Initializing
 * IA-32e Mode): CR4.PAE, CR3, EFER.LME, then CR0.PG. */

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* bit 0: page-align modules, bit 1: memory info */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

        .section .text.boot, "ax"
        .code32
        .globl _start
_start:
        cli
        cld
        mov     %eax, %ebp              /* multiboot magic (0x2BADB002) */
        mov     %ebx, %esi              /* multiboot information address */

        /* Zero .bss (page tables and stacks live there); the linker
           script aligns both ends to 16 bytes. */
        mov     $__bss_start, %edi
        mov     $__bss_end, %ecx
        sub     %edi, %ecx
        shr     $2, %ecx
        xor     %eax, %eax
        rep stosl

        mov     $boot_stack_top, %esp

        /* PML4[0] -> PDPT; PDPT[0..3] -> four PDs; PD entries: 2 MiB pages. */
        mov     $boot_pdpt, %eax
        or      $0x3, %eax              /* present, writable */
        mov     %eax, boot_pml4
        mov     $boot_pd, %eax
        or      $0x3, %eax
        xor     %ecx, %ecx
1:      mov     %eax, boot_pdpt(,%ecx,8)
        add     $0x1000, %eax
        inc     %ecx
        cmp     $4, %ecx
        jb      1b
        mov     $0x83, %eax             /* present, writable, PS */
        xor     %ecx, %ecx
2:      mov     %eax, boot_pd(,%ecx,8)
        add     $0x200000, %eax
        inc     %ecx
        cmp     $2048, %ecx
        jb      2b

        mov     %cr4, %eax
        or      $0x20, %eax             /* CR4.PAE */
        mov     %eax, %cr4
        mov     $boot_pml4, %eax
        mov     %eax, %cr3
        mov     $0xC0000080, %ecx       /* IA32_EFER */
        rdmsr
        or      $0x100, %eax            /* EFER.LME */
        wrmsr
        mov     %cr0, %eax
        or      $0x80000001, %eax       /* CR0.PG | CR0.PE */
        mov     %eax, %cr0

        lgdt    boot_gdt_ptr
        ljmp    $0x08, $long_entry

        .code64
long_entry:
        mov     $0x10, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %eax, %fs
        mov     %eax, %gs
        mov     $boot_stack_top, %rsp
        mov     %ebp, %edi
        mov     %esi, %esi              /* zero-extend */
        push    %rdi
        push    %rsi
        call    wl_init
        pop     %rsi
        pop     %rdi
        call    kmain
        mov     %eax, %edi
        call    exit
3:      cli
        hlt
        jmp     3b

        .section .rodata
        .align 8
boot_gdt:
        .quad   0
        .quad   0x00AF9A000000FFFF      /* 0x08: 64-bit code, DPL 0 */
        .quad   0x00CF92000000FFFF      /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
        .word   boot_gdt_end - boot_gdt - 1
        .quad   boot_gdt

        .section .bss
        .align 4096
        .globl boot_pml4
boot_pml4:      .skip 4096
boot_pdpt:      .skip 4096
boot_pd:        .skip 4 * 4096
        .align 16
        .globl boot_stack_top
boot_stack:     .skip 65536
boot_stack_top:
