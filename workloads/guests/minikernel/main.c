/* minikernel: boots, builds the process machinery, then runs the
 * benchmarks selected on the multiboot command line:
 *
 *   bench=all | bench=check,syscall,pgfault,tlb,fork,nano | bench=smp
 *   ws=PAGES stride=BYTES passes=N   TLB stress working set and access pattern
 *   faults=N                          demand faults in the pgfault benchmark
 *   syscalls=N forks=N nano=N         iterations (iters=N sets all three)
 *
 * Each benchmark prints "timing: NAME X cycles/iter" (machine dependent)
 * and a line "NAME: ..." that must be the same on every correct x86-64.
 * bench=smp (not part of all; run with platform.cpus = N) starts the APs
 * with INIT-SIPI-SIPI and runs the multiprocessor checks and benchmarks of
 * guests/smp: IPI kinds, atomics, TLB shootdown, ping-pong, parallel loop.
 * Exit code: the number of failed self-checks (0 = success). */
#include "mk.h"
#ifndef MK_PV
#include "../smp/smp_tests.h"
#endif

uint64_t params[P_COUNT];
uint64_t results[NRESULTS];

enum { B_CHECK = 1, B_SYSCALL = 2, B_PGFAULT = 4, B_TLB = 8, B_FORK = 16, B_NANO = 32, B_ALL = 63,
       B_SMP = 64 };
static const struct { const char *name; unsigned bit; } bench_names[] = {
    {"check", B_CHECK}, {"syscall", B_SYSCALL}, {"pgfault", B_PGFAULT}, {"tlb", B_TLB},
    {"fork", B_FORK},   {"nano", B_NANO},
#ifndef MK_PV
    {"smp", B_SMP}, /* native only: the PV build has no APs to start */
#endif
    {"all", B_ALL}};
static const char *const param_names[P_COUNT] = {"ws", "stride", "passes", "faults", "syscalls", "forks", "nano"};

static int failures;

static int word_eq(const char *s, size_t n, const char *w) { return strlen(w) == n && memcmp(s, w, n) == 0; }

static int parse_u64(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (!n) return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return 0;
}

/* Returns the selected benchmarks, or 0 on a bad command line. */
static unsigned parse_args(const char *s) {
  unsigned sel = B_ALL;
  while (*s) {
    while (*s == ' ') s++;
    if (!*s) break;
    const char *w = s;
    while (*s && *s != ' ') s++;
    size_t n = (size_t)(s - w);
    const char *eq = w;
    while (eq < s && *eq != '=') eq++;
    if (eq == s) goto bad;
    size_t kn = (size_t)(eq - w);
    const char *v = eq + 1;
    size_t vn = n - kn - 1;
    if (word_eq(w, kn, "bench")) {
      sel = 0;
      while (vn) {
        size_t ln = 0;
        while (ln < vn && v[ln] != ',') ln++;
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof bench_names / sizeof bench_names[0]; i++)
          if (word_eq(v, ln, bench_names[i].name)) bit = bench_names[i].bit;
        if (!bit) goto bad;
        sel |= bit;
        v += ln;
        vn -= ln;
        if (vn) v++, vn--;
      }
      if (!sel) goto bad;
      continue;
    }
    uint64_t x;
    if (parse_u64(v, vn, &x) || x == 0) goto bad;
    if (word_eq(w, kn, "iters")) {
      params[P_SYSCALLS] = params[P_FORKS] = params[P_NANO] = x;
      continue;
    }
    int found = 0;
    for (int i = 0; i < P_COUNT; i++)
      if (word_eq(w, kn, param_names[i])) {
        params[i] = x;
        found = 1;
      }
    if (!found) goto bad;
    continue;
  bad:
    printf("minikernel: bad argument \"");
    for (size_t i = 0; i < n; i++) serial_putc(w[i]);
    printf("\"\n");
    return 0;
  }
  return sel;
}

static void fail(const char *what) {
  printf("minikernel: FAIL %s\n", what);
  failures++;
}

/* Runs fn(arg) as a top-level process until everything it created has
 * exited; checks that every page it used came back.  Returns its status. */
static long run_proc(const char *name, long (*fn)(uint64_t), uint64_t arg) {
  for (int i = 0; i < NRESULTS; i++) results[i] = 0;
  uint64_t free0 = pages_free();
  struct proc *p = proc_spawn_top((uint64_t)fn, arg);
  if (!p) {
    printf("minikernel: FAIL %s: cannot create the process\n", name);
    failures++;
    return -1;
  }
  int alive = sched_run();
  if (alive || p->state != P_ZOMBIE) {
    printf("minikernel: FAIL %s: %d processes blocked\n", name, alive);
    failures++;
    exit(failures);
  }
  long st = proc_reap(p);
  uint64_t free1 = pages_free();
  if (free1 != free0) {
    printf("minikernel: FAIL %s: %ld pages not reclaimed\n", name, (long)(free0 - free1));
    failures++;
  }
  if (procs_in_use()) {
    printf("minikernel: FAIL %s: %d process slots not freed\n", name, procs_in_use());
    failures++;
  }
  if (st != 0) {
    printf("minikernel: FAIL %s: exit status %ld\n", name, st);
    failures++;
  }
  return st;
}

static int ws_ok(void) {
  uint64_t stride = params[P_STRIDE];
  /* the region must fit in free memory with its page tables and a margin */
  uint64_t need = params[P_WS] + params[P_WS] / 512 + 64;
  if (stride % 8 || params[P_WS] > (1ull << 24) || need > pages_free()) return 0;
  return 1;
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  params[P_WS] = 4096; /* 16 MiB: beyond a 64-entry L1 DTLB and a 1536-entry L2 TLB */
  params[P_STRIDE] = 4096;
  params[P_PASSES] = 16;
  params[P_FAULTS] = 2048;
  params[P_SYSCALLS] = 20000;
  params[P_FORKS] = 4000;
  params[P_NANO] = 10000;
  printf("info: cmdline \"%s\"\n", wl_mbi.cmdline);
  unsigned sel = parse_args(wl_mbi.args); /* before the allocator reuses loader memory */
  if (!sel) return 2;
  printf("minikernel: bench=");
  int first = 1;
  for (size_t i = 0; i + 1 < sizeof bench_names / sizeof bench_names[0]; i++)
    if (sel & bench_names[i].bit) {
      printf("%s%s", first ? "" : ",", bench_names[i].name);
      first = 0;
    }
  for (int i = 0; i < P_COUNT; i++) printf(" %s=%lu", param_names[i], params[i]);
  printf("\n");

  /* Before the allocator takes low memory (the AP trampoline is at 0x8000)
     and while the boot page tables are the ones in use. */
#ifndef MK_PV
  if (sel & B_SMP) failures += smp_tests_run("");
#endif

  pmem_init();
  proc_init();
  uint64_t free_start = pages_free();
  printf("info: memory %lu free pages of %lu\n", free_start, pages_total());
  if (!ws_ok()) {
    printf("minikernel: bad ws/stride (stride must be a multiple of 8; ws must fit in memory)\n");
    return 2;
  }

  if (sel & B_CHECK) {
    run_proc("check", u_check, 0);
    printf("check: %lu/%lu checks passed, checksum %016lx\n", results[0], results[1], results[2]);
    if (results[0] != results[1] || results[1] == 0) fail("check");
  }
  if (sel & B_SYSCALL) {
    run_proc("syscall", u_syscall, 0);
    print_rate("syscall", results[0], results[1]);
    printf("syscall: %lu iterations, checksum %lu\n", results[1], results[2]);
    if (results[1] != params[P_SYSCALLS]) fail("syscall count");
  }
  if (sel & B_PGFAULT) {
    uint64_t f0 = demand_faults;
    run_proc("pgfault", u_pgfault, 0);
    uint64_t nf = demand_faults - f0;
    print_rate("pgfault", results[0], results[1]);
    printf("pgfault: %lu iterations, faults %lu, checksum %016lx\n", results[1], nf, results[2]);
    if (results[1] != params[P_FAULTS] || nf < params[P_FAULTS]) fail("pgfault count");
  }
  if (sel & B_TLB) {
    uint64_t f0 = demand_faults;
    run_proc("tlb", u_tlb, 0);
    print_rate("tlb", results[0], results[1]);
    printf("tlb: %lu iterations, ws %lu pages, stride %lu, faults %lu, checksum %016lx\n", results[1],
           params[P_WS], params[P_STRIDE], demand_faults - f0, results[2]);
    uint64_t per_pass = (params[P_WS] * 4096 + params[P_STRIDE] - 1) / params[P_STRIDE];
    if (results[1] != per_pass * params[P_PASSES]) fail("tlb count");
  }
  if (sel & B_FORK) {
    run_proc("fork", u_fork, 0);
    print_rate("fork", results[0], results[1]);
    printf("fork: %lu iterations, checksum %016lx, bad %lu, pages leaked %ld\n", results[1], results[2],
           results[4], (long)results[3]);
    if (results[1] != params[P_FORKS] || results[3] || results[4]) fail("fork");
  }
  if (sel & B_NANO) {
    run_proc("nano.syscall", u_syscall, 1);
    print_rate("nano.syscall", results[0], results[1]);
    printf("nano.syscall: %lu iterations, checksum %lu\n", results[1], results[2]);
    if (results[1] != params[P_NANO]) fail("nano.syscall count");
    failures += run_nano(params[P_NANO]);
  }
  printf("minikernel: demand faults %lu, processes killed %lu\n", demand_faults, kills);
  if (pages_free() != free_start) fail("pages not reclaimed");
  printf("minikernel: %d failures\n", failures);
  return failures > 0x7d ? 0x7d : failures;
}
