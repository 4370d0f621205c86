/* 64-bit GDT, TSS, IDT and the exception dispatcher. */
#ifndef WL_DESC_H
#define WL_DESC_H

#include <stdint.h>

/* GDT selectors.  The order KDATA..UCODE64 is what SYSCALL/SYSRET need
 * (Intel SDM Vol. 2B SYSRET: CS = STAR[63:48]+16, SS = STAR[63:48]+8). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18 /* placeholder, never loaded */
#define SEL_UDATA 0x20
#define SEL_UCODE 0x28
#define SEL_TSS 0x30

/* What isr_common pushes, lowest address first. */
struct wl_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error;
  uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* A handler returns normally to resume at frame->rip (IRETQ). */
typedef void (*wl_handler)(struct wl_frame *f);

void desc_init(void);
void set_handler(unsigned vector, wl_handler h);
/* Gate DPL for a vector (3 lets ring 3 use INT n on it). */
void set_gate_dpl(unsigned vector, unsigned dpl);
void set_rsp0(uint64_t rsp0);

#endif
