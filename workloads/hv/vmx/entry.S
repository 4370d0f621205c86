/* VM entry and exit glue.
 *
 *   int vmx_run(struct guest_regs *regs, int launched);
 *
 * Saves the host's callee-saved registers, points VMCS HOST_RSP at the
 * current stack, loads the guest's general-purpose registers from *regs
 * and executes VMLAUNCH (launched == 0) or VMRESUME.  A VM exit lands at
 * vmx_exit_entry (VMCS HOST_RIP) with RSP = HOST_RSP; the guest registers
 * are stored back into *regs and 0 is returned.  When VMLAUNCH/VMRESUME
 * itself fails, 1 (VMfailInvalid, CF) or 2 (VMfailValid, ZF) is returned
 * (SDM Vol. 3C 31.2).  RSP, RIP and RFLAGS of the guest live in the VMCS. */

#define R_RAX 0
#define R_RBX 8
#define R_RCX 16
#define R_RDX 24
#define R_RSI 32
#define R_RDI 40
#define R_RBP 48
#define R_R8 56
#define R_R9 64
#define R_R10 72
#define R_R11 80
#define R_R12 88
#define R_R13 96
#define R_R14 104
#define R_R15 112

        .text
        .code64
        .globl vmx_run
        .globl vmx_exit_entry
vmx_run:
        push    %rbp
        push    %rbx
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        push    %rdi                    /* regs, found again at exit */
        mov     $0x6C14, %eax           /* VMCS_HOST_RSP */
        vmwrite %rsp, %rax
        test    %esi, %esi              /* flags survive the MOVs below */
        mov     R_RAX(%rdi), %rax
        mov     R_RBX(%rdi), %rbx
        mov     R_RCX(%rdi), %rcx
        mov     R_RDX(%rdi), %rdx
        mov     R_RSI(%rdi), %rsi
        mov     R_RBP(%rdi), %rbp
        mov     R_R8(%rdi), %r8
        mov     R_R9(%rdi), %r9
        mov     R_R10(%rdi), %r10
        mov     R_R11(%rdi), %r11
        mov     R_R12(%rdi), %r12
        mov     R_R13(%rdi), %r13
        mov     R_R14(%rdi), %r14
        mov     R_R15(%rdi), %r15
        mov     R_RDI(%rdi), %rdi
        jnz     1f
        vmlaunch
        jmp     2f
1:      vmresume
2:      /* VM entry failed: CF = VMfailInvalid, ZF = VMfailValid. */
        mov     $1, %eax
        jc      3f
        mov     $2, %eax
3:      pop     %rdi
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        ret

vmx_exit_entry:
        push    %rdi                    /* guest RDI */
        mov     8(%rsp), %rdi           /* regs */
        mov     %rax, R_RAX(%rdi)
        mov     %rbx, R_RBX(%rdi)
        mov     %rcx, R_RCX(%rdi)
        mov     %rdx, R_RDX(%rdi)
        mov     %rsi, R_RSI(%rdi)
        mov     %rbp, R_RBP(%rdi)
        mov     %r8, R_R8(%rdi)
        mov     %r9, R_R9(%rdi)
        mov     %r10, R_R10(%rdi)
        mov     %r11, R_R11(%rdi)
        mov     %r12, R_R12(%rdi)
        mov     %r13, R_R13(%rdi)
        mov     %r14, R_R14(%rdi)
        mov     %r15, R_R15(%rdi)
        pop     %rax
        mov     %rax, R_RDI(%rdi)
        pop     %rdi
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbx
        pop     %rbp
        xor     %eax, %eax
        ret
