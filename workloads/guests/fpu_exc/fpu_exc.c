/* The SSE/AVX enable rules and exceptions seen by a freestanding kernel
 * (SDM Vol. 3 2.5, 6.15, 13.x; Vol. 1 11.5): #UD without CR4.OSFXSR, #NM
 * with CR0.TS (lazy FPU switch: CLTS and retry), #XM / #UD for an unmasked
 * SIMD exception, #GP(0) for LDMXCSR reserved bits and a misaligned MOVAPS,
 * XSETBV's checks, AVX #UD without XCR0.AVX, FXSAVE/FXRSTOR round trip;
 * x87: #NM with CR0.TS, #MF at the next waiting instruction (CR0.NE = 1)
 * for an unmasked zero divide and for a stack underflow (SDM Vol. 1 8.5-8.6).
 * Built without SSE: every vector instruction is inline assembly. Prints
 * "fpu_exc: N passed, M failed" and exits with M. */
#include "wl.h"

static volatile uint64_t g_vector, g_error, g_count;
static volatile int g_skip;   /* bytes to skip at the faulting instruction; 0: CLTS and retry */

static void on_fault(struct wl_frame *f) {
  g_vector = f->vector;
  g_error = f->error;
  g_count++;
  if (g_skip)
    f->rip += (uint64_t)g_skip;
  else
    __asm__ volatile("clts");
}

static int passed, failed;

static void check(const char *name, int ok) {
  printf("%s: %s\n", name, ok ? "ok" : "FAILED");
  if (ok)
    passed++;
  else
    failed++;
}

static void arm(int skip) {
  g_vector = g_error = g_count = 0;
  g_skip = skip;
}

static uint64_t rd_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static uint64_t rd_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static void wr_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v)); }
static void wr_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v)); }

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR4_OSXSAVE (1ul << 18)

static uint8_t area[1024] __attribute__((aligned(64)));
static uint32_t one_f = 0x3f800000, zero_f = 0, mx;

static void addps(void) { __asm__ volatile("addps %xmm1, %xmm0"); } /* 3 bytes */

#define CR0_NE (1ul << 5)

static uint16_t fsw(void) {
  uint16_t v;
  __asm__ volatile("fnstsw %0" : "=a"(v));
  return v;
}

/* x87 exceptions: an unmasked exception only sets FSW.ES; #MF (vector 16)
 * comes at the next waiting instruction, here FWAIT (1 byte, skipped). */
static void x87_checks(void) {
  wr_cr0(rd_cr0() | CR0_NE | CR0_MP | CR0_TS);
  arm(0);
  __asm__ volatile("fninit");  /* FNINIT is a control instruction: #NM too under TS */
  check("x87 FNINIT with CR0.TS is #NM, then runs after CLTS", g_count == 1 && g_vector == 7);

  static const uint16_t zm_clear = 0x037b, im_clear = 0x037e;
  arm(1);
  __asm__ volatile("fldcw %0\n\tfld1\n\tfldz\n\tfdivrp %%st, %%st(1)" ::"m"(zm_clear));
  const uint16_t sw = fsw();
  check("unmasked x87 zero divide sets ZE and ES, no fault yet", g_count == 0 && (sw & 0x84) == 0x84);
  __asm__ volatile("fwait");
  check("the next FWAIT raises #MF", g_count == 1 && g_vector == 16);
  __asm__ volatile("fnclex\n\tfninit");

  arm(1);
  __asm__ volatile("fldcw %0\n\tfstp %%st(0)" ::"m"(im_clear));
  const uint16_t sw2 = fsw();
  check("x87 stack underflow: IE, SF and ES set, C1 clear",
        g_count == 0 && (sw2 & 0xc1) == 0xc1 && !(sw2 & 0x200));
  __asm__ volatile("fwait");
  check("the stack fault raises #MF at FWAIT", g_count == 1 && g_vector == 16);
  __asm__ volatile("fnclex\n\tfninit");
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  static const unsigned vecs[] = {6, 7, 13, 16, 19};
  for (unsigned i = 0; i < sizeof vecs / sizeof vecs[0]; i++) set_handler(vecs[i], on_fault);
  uint32_t a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  const int has_avx = (c >> 28) & 1, has_xsave = (c >> 26) & 1;

  wr_cr0((rd_cr0() & ~CR0_EM) | CR0_MP);
  wr_cr4(rd_cr4() & ~(CR4_OSFXSR | CR4_OSXMMEXCPT));
  arm(3);
  addps();
  check("addps without CR4.OSFXSR is #UD", g_count == 1 && g_vector == 6);

  wr_cr4(rd_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
  wr_cr0(rd_cr0() | CR0_TS);
  arm(0);
  addps();
  check("addps with CR0.TS is #NM, then runs after CLTS",
        g_count == 1 && g_vector == 7 && !(rd_cr0() & CR0_TS));

  /* divss by zero with ZM clear: #XM, destination unchanged, MXCSR.ZE set. */
  mx = 0x1f80 & ~0x200u;
  uint32_t out = 0;
  arm(4);
  __asm__ volatile(
      "ldmxcsr %1\n\t"
      "movss %2, %%xmm0\n\t"
      "movss %3, %%xmm1\n\t"
      "divss %%xmm1, %%xmm0\n\t" /* f3 0f 5e c1: 4 bytes */
      "movd %%xmm0, %0\n\t"
      "stmxcsr %1"
      : "=r"(out), "+m"(mx)
      : "m"(one_f), "m"(zero_f));
  check("divss by zero unmasked is #XM", g_count == 1 && g_vector == 19);
  check("#XM leaves the destination and sets MXCSR.ZE", out == 0x3f800000 && (mx & 4));

  wr_cr4(rd_cr4() & ~CR4_OSXMMEXCPT);
  mx = 0x1f80 & ~0x200u;
  arm(4);
  __asm__ volatile("ldmxcsr %0\n\tdivss %%xmm1, %%xmm0" ::"m"(mx));
  check("unmasked SIMD exception without CR4.OSXMMEXCPT is #UD", g_count == 1 && g_vector == 6);
  wr_cr4(rd_cr4() | CR4_OSXMMEXCPT);
  mx = 0x1f80;
  __asm__ volatile("ldmxcsr %0" ::"m"(mx));

  mx = 0x10000 | 0x1f80;
  arm(3); /* ldmxcsr (%rax): 0f ae 10 */
  __asm__ volatile("ldmxcsr (%0)" ::"a"(&mx) : "memory");
  check("LDMXCSR with a reserved bit is #GP(0)", g_count == 1 && g_vector == 13 && g_error == 0);

  arm(4); /* movaps 8(%rax), %xmm0: 0f 28 40 08 */
  __asm__ volatile("movaps 8(%0), %%xmm0" ::"a"(area));
  check("misaligned MOVAPS is #GP(0)", g_count == 1 && g_vector == 13 && g_error == 0);
  arm(4);
  __asm__ volatile("movups 8(%0), %%xmm0" ::"a"(area));
  check("misaligned MOVUPS runs", g_count == 0);

  /* FXSAVE / FXRSTOR keep MXCSR and XMM registers. */
  mx = 0x3f80;
  uint32_t back = 0, x = 0;
  __asm__ volatile(
      "ldmxcsr %2\n\t"
      "movd %3, %%xmm5\n\t"
      "fxsave64 (%4)\n\t"
      "pxor %%xmm5, %%xmm5\n\t"
      "movl $0x1f80, %2\n\t"
      "ldmxcsr %2\n\t"
      "fxrstor64 (%4)\n\t"
      "stmxcsr %2\n\t"
      "movd %%xmm5, %0\n\t"
      "movl %2, %1"
      : "=r"(x), "=r"(back), "+m"(mx)
      : "r"(0x12345678), "r"(area)
      : "memory");
  check("FXSAVE/FXRSTOR round trip", x == 0x12345678 && back == 0x3f80 &&
                                         *(uint32_t *)(area + 28) == 0xffff);
  mx = 0x1f80;
  __asm__ volatile("ldmxcsr %0" ::"m"(mx));

  if (has_xsave) {
    wr_cr4(rd_cr4() | CR4_OSXSAVE);
    arm(3);
    __asm__ volatile("xsetbv" ::"c"(0), "a"(5), "d"(0)); /* AVX without SSE */
    check("XSETBV with AVX but not SSE is #GP(0)", g_count == 1 && g_vector == 13);
    arm(3);
    __asm__ volatile("xsetbv" ::"c"(0), "a"(2), "d"(0)); /* x87 bit clear */
    check("XSETBV without x87 is #GP(0)", g_count == 1 && g_vector == 13);
    if (has_avx) {
      arm(4); /* c5 f4 58 c2 */
      __asm__ volatile("xsetbv\n\tvaddps %%ymm2, %%ymm1, %%ymm0" ::"c"(0), "a"(3), "d"(0));
      check("VADDPS with XCR0 = 3 is #UD", g_count == 1 && g_vector == 6);
      arm(4);
      __asm__ volatile("xsetbv\n\tvaddps %%ymm2, %%ymm1, %%ymm0" ::"c"(0), "a"(7), "d"(0));
      check("VADDPS with XCR0 = 7 runs", g_count == 0);
      uint32_t lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      check("XGETBV reads XCR0", lo == 7 && hi == 0);
    }
  }
  x87_checks();
  printf("fpu_exc: %d passed, %d failed\n", passed, failed);
  return failed;
}
