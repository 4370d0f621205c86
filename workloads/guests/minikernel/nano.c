/* The kernel-mode nanobenchmarks of Adams & Agesen (ASPLOS 2006): in,
 * cr8wr, call/ret, divzero, pgfault and ptemod, each a tight loop timed
 * with RDTSC and bracketed by hvsim ROI operations.  (syscall is the
 * user-mode u_syscall, run by main.c.)  hypercall, added here, is a null
 * hypercall round trip to the hypervisor: FASTCALL when CPUID offers
 * ext.fastcall, else VMCALL (Intel) or VMMCALL (AMD); skipped natively. */
#include "hvsim_ext.h"
#include "mk.h"

extern uint64_t nano_pf_frame, nano_pf_count;
extern uint64_t *nano_pt;
static uint64_t div_count;

static void on_divide_error(struct wl_frame *f) {
  if (f->rip == (uint64_t)nano_div_insn && !(f->cs & 3)) {
    f->rip = (uint64_t)nano_div_next; /* skip the faulting DIV */
    div_count++;
    return;
  }
  printf("FATAL: #DE at rip 0x%lx cs 0x%lx\n", f->rip, f->cs);
  exit(WL_EXIT_FATAL);
}

static __attribute__((noinline)) uint64_t callee(uint64_t x) {
  __asm__ volatile("");
  return x + 3;
}

#ifndef MK_PV /* the PV build has a virtual TPR (pv/pv_mk.h) */
static inline void write_cr8(uint64_t v) { __asm__ volatile("mov %0, %%cr8" ::"r"(v) : "memory"); }
static inline uint64_t read_cr8(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr8, %0" : "=r"(v));
  return v;
}
#endif

void print_rate(const char *name, uint64_t cycles, uint64_t iters) {
  uint64_t x10 = iters ? (cycles * 10 + iters / 2) / iters : 0;
  printf("timing: %s %lu.%lu cycles/iter\n", name, x10 / 10, x10 % 10);
}

static int check(const char *name, int ok) {
  if (!ok) printf("minikernel: FAIL %s\n", name);
  return !ok;
}

static int is_amd(void) {
  return cpuid(0, 0).ebx == 0x68747541u; /* "Auth"enticAMD */
}

/* hypercall: HVSIM_HC_NOP returns its argument + 1 (hvsim_ext.h). */
static int nano_hypercall(uint64_t n) {
#ifdef MK_PV
  return pv_nano_hypercall(n);
#endif
  if (!hvsim_under_hypervisor()) {
    printf("info: nano.hypercall: skipped (no bundled hypervisor: CPUID 4000_0000h)\n");
    return 0;
  }
  const int fast = (hvsim_ext_features() & HVSIM_EXT_FASTCALL) != 0, amd = is_amd();
  const char *via = fast ? "fastcall" : amd ? "vmmcall" : "vmcall";
  uint64_t sum = 0, t0 = rdtsc();
  hvsim_roi_begin(16);
  if (fast) {
    for (uint64_t i = 0; i < n; i++) sum += hvsim_fastcall(HVSIM_HC_NOP, i);
  } else if (amd) {
    for (uint64_t i = 0; i < n; i++) sum += hvsim_vmmcall(HVSIM_HC_NOP, i);
  } else {
    for (uint64_t i = 0; i < n; i++) sum += hvsim_vmcall(HVSIM_HC_NOP, i);
  }
  hvsim_roi_end(16);
  uint64_t t1 = rdtsc();
  print_rate("nano.hypercall", t1 - t0, n);
  /* info: the functional output stays the same natively and under any
   * hypervisor (the golden files); the sum is checked here. */
  printf("info: nano.hypercall: %lu iterations via %s, checksum %lu\n", n, via, sum);
  return check("nano.hypercall sum", sum == n * (n + 1) / 2);
}

int run_nano(uint64_t n) {
  int fails = 0;
  uint64_t t0, t1, sum;

  /* in: a read of I/O port 0x80 (the value is not compared). */
  t0 = rdtsc();
  hvsim_roi_begin(10);
  for (uint64_t i = 0; i < n; i++) (void)inb(0x80);
  hvsim_roi_end(10);
  t1 = rdtsc();
  print_rate("nano.in", t1 - t0, n);
  printf("nano.in: %lu iterations\n", n);

  /* cr8wr: a write of the task-priority register. */
  t0 = rdtsc();
  hvsim_roi_begin(11);
  for (uint64_t i = 0; i < n; i++) write_cr8(i & 15);
  hvsim_roi_end(11);
  t1 = rdtsc();
  uint64_t cr8 = read_cr8();
  write_cr8(0);
  print_rate("nano.cr8wr", t1 - t0, n);
  printf("nano.cr8wr: %lu iterations, cr8 %lu\n", n, cr8);
  fails += check("nano.cr8wr readback", cr8 == ((n - 1) & 15));

  fails += nano_hypercall(n);

  /* call/ret */
  sum = 0;
  t0 = rdtsc();
  hvsim_roi_begin(12);
  for (uint64_t i = 0; i < n; i++) sum = callee(sum);
  hvsim_roi_end(12);
  t1 = rdtsc();
  print_rate("nano.callret", t1 - t0, n);
  printf("nano.callret: %lu iterations, checksum %lu\n", n, sum);
  fails += check("nano.callret sum", sum == 3 * n);

  /* divzero: #DE delivered to the kernel's handler, which skips the DIV. */
  set_handler(0, on_divide_error);
  div_count = 0;
  t0 = rdtsc();
  hvsim_roi_begin(13);
  nano_divzero_loop(n);
  hvsim_roi_end(13);
  t1 = rdtsc();
  print_rate("nano.divzero", t1 - t0, n);
  printf("nano.divzero: %lu iterations, faults %lu\n", n, div_count);
  fails += check("nano.divzero count", div_count == n);

  /* A kernel-only window of 512 pages with its own page table. */
  uint64_t free0 = pages_free();
  uint64_t *pdpt = mk_pt_alloc(3), *pd = mk_pt_alloc(2), *pt = mk_pt_alloc(1), *frame = page_alloc();
  if (!pdpt || !pd || !pt || !frame) {
    printf("minikernel: FAIL nano: out of memory\n");
    return fails + 1;
  }
  frame[0] = 0x1234;
  mk_set_pte(&boot_pml4[NANO_VA >> 39 & 511], (uint64_t)pdpt | PTE_P | PTE_W);
  mk_set_pte(&pdpt[NANO_VA >> 30 & 511], (uint64_t)pd | PTE_P | PTE_W);
  mk_set_pte(&pd[NANO_VA >> 21 & 511], (uint64_t)pt | PTE_P | PTE_W);
  nano_pf_frame = (uint64_t)frame;
  nano_pt = pt;
  write_cr3(read_cr3());

  /* pgfault: each access hits a not-present page; the handler maps it.
   * Every 512 accesses the window is emptied again (and the TLB flushed). */
  nano_pf_count = 0;
  sum = 0;
  t0 = rdtsc();
  hvsim_roi_begin(14);
  for (uint64_t i = 0; i < n; i++) {
    if ((i & 511) == 0) {
      mk_lazy_begin();
      for (int k = 0; k < 512; k++) mk_set_pte(&pt[k], 0);
      mk_lazy_end();
      write_cr3(read_cr3());
    }
    sum += *(volatile uint64_t *)(NANO_VA + (i & 511) * PAGE_4K);
  }
  hvsim_roi_end(14);
  t1 = rdtsc();
  print_rate("nano.pgfault", t1 - t0, n);
  printf("nano.pgfault: %lu iterations, faults %lu, checksum %lu\n", n, nano_pf_count, sum);
  fails += check("nano.pgfault count", nano_pf_count == n && sum == 0x1234 * n);

  /* ptemod: rewrite a PTE with its own value, INVLPG, then use it. */
  volatile uint64_t *pte = &pt[0];
  mk_set_pte(&pt[0], (uint64_t)frame | PTE_P | PTE_W);
  invlpg(NANO_VA);
  sum = 0;
  t0 = rdtsc();
  hvsim_roi_begin(15);
  for (uint64_t i = 0; i < n; i++) {
    mk_set_pte(&pt[0], *pte);
    invlpg(NANO_VA);
    sum += *(volatile uint64_t *)NANO_VA;
  }
  hvsim_roi_end(15);
  t1 = rdtsc();
  print_rate("nano.ptemod", t1 - t0, n);
  printf("nano.ptemod: %lu iterations, checksum %lu\n", n, sum);
  fails += check("nano.ptemod sum", sum == 0x1234 * n);

  nano_pt = 0;
  mk_set_pte(&boot_pml4[NANO_VA >> 39 & 511], 0);
  write_cr3(read_cr3());
  page_free(frame);
  mk_pt_free(pt, 1);
  mk_pt_free(pd, 2);
  mk_pt_free(pdpt, 3);
  fails += check("nano pages freed", pages_free() == free0);
  return fails;
}
