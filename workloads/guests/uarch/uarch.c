/* uarch: microbenchmarks of the core timing model (docs/timing.md).
 *
 * Each kernel is a loop of known instructions, timed with RDTSC (hvsim's
 * cycle count). One line per kernel:
 *
 *     timing: uarch NAME insns=N cycles=C cpi_x100=P
 *
 * What a kernel shows under timing.model = ooo (Skylake-class defaults) and
 * under simple (IPC <= 1, misses never overlap):
 *   alu4        4 independent ADD chains: 4 ADDs per cycle
 *   add_chain   one dependent ADD chain: 1 cycle each
 *   imul_chain  dependent IMULs: 3 cycles each
 *   load2       independent L1D loads: 2 per cycle
 *   chase_l1    pointer chase in L1D: load-to-use latency (4-5 cycles)
 *   chase_dram  pointer chase over 32 MiB: a DRAM miss per load
 *   dram8       eight independent chases: misses overlap (MSHRs)
 *   br_random   a branch on a random bit: the mispredict penalty
 *   br_fixed    the same loop with an always-taken branch
 * Lines start with "timing:": they differ between machines and models. */
#include "wl.h"

#define ITERS 20000

static uint64_t l1_list[64 * 8] __attribute__((aligned(4096))); /* 64 lines */
static uint64_t l1_data[32] __attribute__((aligned(64)));

/* 32 MiB at physical 32 MiB, identity mapped by the boot code (first 4 GiB). */
#define DRAM_BASE ((uint64_t *)(32ull << 20))
#define DRAM_LINES ((32ull << 20) / 64)
#define DRAM_STEPS (256 * 1024) /* 16 MiB of distinct lines: twice the LLC */

static void report(const char *name, uint64_t insns, uint64_t cycles) {
  printf("timing: uarch %s insns=%lu cycles=%lu cpi_x100=%lu\n", name, insns, cycles,
         cycles * 100 / insns);
}

static void alu4(void) {
  uint64_t n = ITERS, t0 = rdtsc();
  __asm__ volatile(
      "1:\n"
      ".rept 8\n add $1, %%r8\n add $1, %%r9\n add $1, %%r10\n add $1, %%r11\n .endr\n"
      "dec %0\n jnz 1b\n"
      : "+c"(n)::"r8", "r9", "r10", "r11", "cc");
  report("alu4", ITERS * 34ull, rdtsc() - t0);
}

static void add_chain(void) {
  uint64_t n = ITERS, t0 = rdtsc();
  __asm__ volatile("1:\n .rept 32\n add %%r9, %%r8\n .endr\n dec %0\n jnz 1b\n"
                   : "+c"(n)::"r8", "r9", "cc");
  report("add_chain", ITERS * 34ull, rdtsc() - t0);
}

static void imul_chain(void) {
  uint64_t n = ITERS, t0 = rdtsc();
  __asm__ volatile("mov $3, %%r9\n 1:\n .rept 16\n imul %%r9, %%r8\n .endr\n dec %0\n jnz 1b\n"
                   : "+c"(n)::"r8", "r9", "cc");
  report("imul_chain", ITERS * 18ull, rdtsc() - t0);
}

static void load2(void) {
  uint64_t n = ITERS, t0 = rdtsc();
  __asm__ volatile(
      "1:\n"
      " mov 0(%1), %%r8\n mov 8(%1), %%r9\n mov 16(%1), %%r10\n mov 24(%1), %%r11\n"
      " mov 32(%1), %%r8\n mov 40(%1), %%r9\n mov 48(%1), %%r10\n mov 56(%1), %%r11\n"
      " mov 64(%1), %%r8\n mov 72(%1), %%r9\n mov 80(%1), %%r10\n mov 88(%1), %%r11\n"
      " mov 96(%1), %%r8\n mov 104(%1), %%r9\n mov 112(%1), %%r10\n mov 120(%1), %%r11\n"
      " dec %0\n jnz 1b\n"
      : "+c"(n)
      : "S"(l1_data)
      : "r8", "r9", "r10", "r11", "cc", "memory");
  report("load2", ITERS * 18ull, rdtsc() - t0);
}

static void chase_l1(void) {
  for (int i = 0; i < 64; i++) l1_list[i * 8] = (uint64_t)&l1_list[((i + 1) % 64) * 8];
  uint64_t n = ITERS, p = (uint64_t)l1_list, t0 = rdtsc();
  __asm__ volatile("1:\n .rept 16\n mov (%1), %1\n .endr\n dec %0\n jnz 1b\n"
                   : "+c"(n), "+r"(p)::"cc", "memory");
  report("chase_l1", ITERS * 18ull, rdtsc() - t0);
}

/* A cyclic list through DRAM_STEPS lines spread over 32 MiB (a stride of
 * 129 lines, coprime with the 512 Ki lines of the region, so all distinct).
 * Walked in the order it was built, with twice the LLC's capacity, every
 * load misses every cache level (LRU). */
static uint64_t *dram_node(uint64_t i) {
  return DRAM_BASE + (i * 129 % DRAM_LINES) * 8;
}

static void build_dram_list(void) {
  for (uint64_t i = 0; i < DRAM_STEPS; i++)
    *dram_node(i) = (uint64_t)dram_node((i + 1) % DRAM_STEPS);
}

static void chase_dram(void) {
  uint64_t n = DRAM_STEPS / 8, p = (uint64_t)dram_node(0), t0 = rdtsc();
  __asm__ volatile("1:\n .rept 8\n mov (%1), %1\n .endr\n dec %0\n jnz 1b\n"
                   : "+c"(n), "+r"(p)::"cc", "memory");
  report("chase_dram", DRAM_STEPS / 8 * 10ull, rdtsc() - t0);
}

/* Eight chases, each starting an eighth of the list further: the same
 * number of loads as chase_dram, but eight independent misses at a time. */
static void dram8(void) {
  uint64_t n = DRAM_STEPS / 64, t0;
  register uint64_t a __asm__("r8") = (uint64_t)dram_node(0);
  register uint64_t b __asm__("r9") = (uint64_t)dram_node(DRAM_STEPS / 8);
  register uint64_t c __asm__("r10") = (uint64_t)dram_node(2 * DRAM_STEPS / 8);
  register uint64_t d __asm__("r11") = (uint64_t)dram_node(3 * DRAM_STEPS / 8);
  register uint64_t e __asm__("r12") = (uint64_t)dram_node(4 * DRAM_STEPS / 8);
  register uint64_t f __asm__("r13") = (uint64_t)dram_node(5 * DRAM_STEPS / 8);
  register uint64_t g __asm__("r14") = (uint64_t)dram_node(6 * DRAM_STEPS / 8);
  register uint64_t h __asm__("r15") = (uint64_t)dram_node(7 * DRAM_STEPS / 8);
  t0 = rdtsc();
  __asm__ volatile(
      "1:\n .rept 8\n"
      " mov (%%r8), %%r8\n mov (%%r9), %%r9\n mov (%%r10), %%r10\n mov (%%r11), %%r11\n"
      " mov (%%r12), %%r12\n mov (%%r13), %%r13\n mov (%%r14), %%r14\n mov (%%r15), %%r15\n"
      " .endr\n dec %0\n jnz 1b\n"
      : "+c"(n), "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f), "+r"(g), "+r"(h)::"cc",
        "memory");
  report("dram8", DRAM_STEPS / 64 * 66ull, rdtsc() - t0);
}

/* A xorshift step, then a branch on one of its bits: taken at random
 * (br_random) or always (br_fixed, the bit of a constant). */
static void branches(const char *name, uint64_t mask) {
  uint64_t n = ITERS, x = 0x9E3779B97F4A7C15ull, t0 = rdtsc();
  __asm__ volatile(
      "1:\n"
      " mov %1, %%rax\n shl $13, %%rax\n xor %%rax, %1\n"
      " mov %1, %%rax\n shr $7, %%rax\n xor %%rax, %1\n"
      " mov %1, %%rax\n and %2, %%rax\n or $1, %%rdx\n"
      " test %%rax, %%rax\n jz 2f\n add $1, %%rdx\n"
      "2:\n dec %0\n jnz 1b\n"
      : "+c"(n), "+r"(x)
      : "r"(mask)
      : "rax", "rdx", "cc");
  /* 14 instructions when the branch falls through, 13 when it is taken;
   * counted as 14 (the CPI is an upper bound by at most 1/14). */
  report(name, ITERS * 14ull, rdtsc() - t0);
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  alu4();
  add_chain();
  imul_chain();
  load2();
  chase_l1();
  build_dram_list();
  chase_dram();
  dram8();
  branches("br_random", 1ull << 20);
  branches("br_fixed", 0);
  printf("uarch done\n");
  return 0;
}
