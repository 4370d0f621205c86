/* Shared declarations of the selftest program. */
#ifndef SELFTEST_H
#define SELFTEST_H

#include <stdint.h>

#include "wl.h"

void check(const char *name, int ok);
/* PASS when got == want, else FAIL with both values. */
void check_eq(const char *name, uint64_t got, uint64_t want);

/* Fault recording (faults.c).  A test arms a fixup, runs the faulting
 * instruction, then inspects g_fault. */
/* FIX_NONE: no fault expected (one is fatal); FIX_TRAP: record, return to
 * the next instruction; FIX_RESUME: continue at g_fault_next; FIX_RET: the
 * fault hit a called page, return to the caller; FIX_MAP: map the page at
 * CR2 and retry. */
enum fixup { FIX_NONE, FIX_TRAP, FIX_RESUME, FIX_RET, FIX_MAP };
struct fault_rec {
  uint64_t count, vector, error, rip, cr2, cs;
};
extern volatile struct fault_rec g_fault;
extern volatile uint64_t g_fault_at, g_fault_next; /* set by FAULT_ASM */
extern volatile int g_fixup;
void faults_install(void);
void fault_arm(int fixup);

/* Inline-asm prologue: records the addresses of INSN and of the
 * instruction after it, so the handler can check RIP and resume there.
 * Clobbers r11. */
#define FAULT_ASM(insn)                              \
  "leaq 8001f(%%rip), %%r11\n\t"                     \
  "movq %%r11, g_fault_at(%%rip)\n\t"                \
  "leaq 8002f(%%rip), %%r11\n\t"                     \
  "movq %%r11, g_fault_next(%%rip)\n"                \
  "8001:\n\t" insn "\n"                              \
  "8002:\n\t"

void test_platform(void);
void test_faults(void);
void test_paging(void);
void test_user(void);
void test_intops(void);
void test_strings(void);

#endif
