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
 *   div_chain   dependent 32-bit DIVs: the divider's latency each
 *   load2       independent L1D loads: 2 per cycle
 *   chase_l1    pointer chase in L1D: load-to-use latency (4-5 cycles)
 *   chase_dram  pointer chase over 32 MiB: a DRAM miss per load
 *   dram8       eight independent chases: misses overlap (MSHRs)
 *   stlf        store then load of the same address, chained: forwarding
 *   br_random   a branch on a random bit, known early (BT on a register):
 *               half mispredicted, so (br_random - br_fixed) cycles over
 *               BR_ITERS / 2 is the mispredict penalty
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

static void div_chain(void) {
  uint64_t n = ITERS / 4, t0 = rdtsc();
  /* EAX = EAX / 1 (EDX = 0): a chain through EAX, EDX cleared each time. */
  __asm__ volatile("mov $1, %%r9d\n mov $12345, %%eax\n 1:\n .rept 8\n xor %%edx, %%edx\n div %%r9d\n .endr\n"
                   " dec %0\n jnz 1b\n"
                   : "+c"(n)::"rax", "rdx", "r9", "cc");
  report("div_chain", ITERS / 4 * 18ull, rdtsc() - t0);
}

/* Store a register, load it back, store the result, ...: each load is
 * served from the store queue (store-to-load forwarding) and feeds the next
 * store, so a pair costs the forwarding latency. */
static void stlf(void) {
  uint64_t n = ITERS, t0 = rdtsc();
  __asm__ volatile("1:\n .rept 8\n mov %%r8, (%1)\n mov (%1), %%r8\n .endr\n dec %0\n jnz 1b\n"
                   : "+c"(n)
                   : "S"(l1_data)
                   : "r8", "cc", "memory");
  report("stlf", ITERS * 18ull, rdtsc() - t0);
}

/* Branches on the bits of precomputed words (BT on a register: the
 * condition is ready as soon as the branch is renamed, so a mispredict
 * costs the pipeline's refill, not a dependence chain). br_bits holds
 * xorshift output (taken at random) or all ones (always taken). */
#define BR_WORDS 320
#define BR_ITERS (BR_WORDS * 64)
static uint64_t br_bits[BR_WORDS];

static void branches(const char *name, int random) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < BR_WORDS; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    br_bits[i] = random ? x : ~0ull;
  }
  uint64_t n = BR_WORDS, *p = br_bits, t0 = rdtsc();
  __asm__ volatile(
      "0:\n mov (%1), %%rbx\n add $8, %1\n mov $64, %%ecx\n"
      "1:\n bt %%rcx, %%rbx\n jc 2f\n add $1, %%rdx\n"
      "2:\n dec %%ecx\n jnz 1b\n"
      " dec %0\n jnz 0b\n"
      : "+r"(n), "+r"(p)::"rbx", "rcx", "rdx", "cc", "memory");
  /* 4 instructions per taken iteration, 5 per fall-through, 5 per word:
   * counted as 5 per iteration (the CPI is a lower bound). */
  report(name, BR_ITERS * 5ull + BR_WORDS * 5ull, rdtsc() - t0);
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  alu4();
  add_chain();
  imul_chain();
  div_chain();
  load2();
  chase_l1();
  build_dram_list();
  chase_dram();
  dram8();
  stlf();
  branches("br_random", 1);
  branches("br_fixed", 0);
  printf("uarch done\n");
  return 0;
}
