/* Entry of demo_v3, the demo built with -O2 -march=x86-64-v3 (SSE..AVX2,
 * FMA, BMI): this file is compiled without SSE and enables the vector
 * state before any vector code runs (SDM Vol. 3 13.1: CR4.OSFXSR,
 * CR4.OSXMMEXCPT, CR4.OSXSAVE, then XSETBV with x87|SSE|AVX), then runs the
 * demo's kmain (renamed demo_main for this build). */
#undef kmain
#include <stdint.h>

int demo_main(uint32_t magic, uint32_t mbi);

int kmain(uint32_t magic, uint32_t mbi) {
  unsigned long cr0, cr4;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  cr0 = (cr0 & ~(1ul << 2)) | (1ul << 1) | (1ul << 5); /* EM off, MP and NE on */
  __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  cr4 |= (1ul << 9) | (1ul << 10) | (1ul << 18); /* OSFXSR OSXMMEXCPT OSXSAVE */
  __asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
  __asm__ volatile("xsetbv" ::"c"(0), "a"(7), "d"(0)); /* x87 | SSE | AVX */
  return demo_main(magic, mbi);
}
