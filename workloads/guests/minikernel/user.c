/* Ring-3 programs.  They are linked into the kernel image, in the .user
 * section that every address space maps user-accessible and read-only, so
 * they must not touch anything outside it: no string literals (constants go
 * to .user.data), no calls to kernel functions, no jump tables.  All their
 * writable state is on their stack or in regions from SYS_MMAP. */
#include "mk.h"

#define USER __attribute__((section(".user.text"), noinline))
#define UINL static inline __attribute__((always_inline))
#define UCONST __attribute__((section(".user.data")))

UINL long sc(long nr, long a, long b) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
  return r;
}
UINL long u_getpid(void) { return sc(SYS_GETPID, 0, 0); }
UINL long u_param(long i) { return sc(SYS_PARAM, i, 0); }
UINL void u_report(long slot, long v) { sc(SYS_REPORT, slot, v); }
UINL long u_spawn(long (*fn)(uint64_t), uint64_t arg) { return sc(SYS_SPAWN, (long)fn, (long)arg); }
UINL long u_wait(long pid) { return sc(SYS_WAIT, pid, 0); }
UINL long u_mmap(uint64_t len) { return sc(SYS_MMAP, (long)len, 0); }
UINL long u_munmap(uint64_t a, uint64_t len) { return sc(SYS_MUNMAP, (long)a, (long)len); }
UINL uint64_t u_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
/* Order RDTSC against the loads around it without a serializing fence the
 * simulator or TCG might model differently: a compiler barrier is enough
 * for an in-order core. */
#define UBARRIER() __asm__ volatile("" ::: "memory")

USER long u_start(long (*fn)(uint64_t), uint64_t arg) {
  long st = fn(arg);
  sc(SYS_EXIT, st, 0);
  for (;;) {
  }
}

static const char hello_msg[] UCONST = "user: hello from ring 3\n";

USER long u_hello(uint64_t arg) {
  long n = sc(SYS_WRITE, (long)hello_msg, sizeof hello_msg - 1);
  /* Write from a demand-zero stack page too (the kernel reads it). */
  /* "user: N\n" as one immediate (a char array initialiser could be
   * copied from kernel .rodata, which ring 3 cannot read). */
  volatile uint64_t buf = 0x0a00203a72657375ull | (uint64_t)('0' + arg % 10) << 48;
  long m = sc(SYS_WRITE, (long)&buf, 8);
  long bad = sc(SYS_WRITE, 0x1000, 4); /* kernel memory: refused */
  return (n == (long)sizeof hello_msg - 1 && m == 8 && bad == -1) ? (long)(40 + arg) : 1;
}

/* Children that must be killed: arg selects the bad access. */
USER long u_bad(uint64_t arg) {
  volatile uint64_t *p;
  if (arg == 0) p = (volatile uint64_t *)(USER_BASE + 0x100000000ull); /* outside every region */
  else if (arg == 1) p = (volatile uint64_t *)0x100000;                 /* kernel image */
  else if (arg == 2) p = (volatile uint64_t *)(uint64_t)hello_msg;     /* read-only user page */
  else if (arg == 4) {
    __asm__ volatile("hlt"); /* privileged at CPL 3: #GP */
    return 4;
  } else {
    /* A region, used, then unmapped: the next access faults. */
    long a = u_mmap(3 * 4096);
    p = (volatile uint64_t *)a;
    p[0] = 1;
    p[1024] = 2;
    if (u_munmap((uint64_t)a, 3 * 4096) != 0) return 3;
    return (long)p[1024];
  }
  if (arg == 0) return (long)*p;
  *p = 1;
  return 2;
}

USER long u_child(uint64_t arg) { return (long)(arg & 0x7f); }

/* Exits without waiting for its child, which the kernel then reaps. */
USER long u_orphaner(uint64_t arg) {
  u_spawn(u_child, arg);
  return 12;
}

/* Creates children in several ways and checks what comes back.  Reports:
 * slot 0 = checks passed, slot 1 = checks run, slot 2 = a checksum. */
USER long u_check(uint64_t arg) {
  (void)arg;
  long pass = 0, run = 0, sum = 0;
  long me = u_getpid();
  long c = u_spawn(u_hello, 7);
  run++, pass += c > me;
  long st = u_wait(c);
  run++, pass += st == 47;
  sum = sum * 31 + st;
  for (uint64_t k = 0; k < 5; k++) {
    long b = u_spawn(u_bad, k);
    st = u_wait(b);
    run++, pass += st == STATUS_KILLED;
    sum = sum * 31 + st;
  }
  run++, pass += u_wait(-1) == -1; /* no children left */
  /* Three children at once, reaped in reverse order, then any order. */
  long k1 = u_spawn(u_hello, 1), k2 = u_spawn(u_hello, 2), k3 = u_spawn(u_hello, 3);
  run++, pass += u_wait(k3) == 43 && u_wait(k2) == 42 && u_wait(k1) == 41;
  run++, pass += u_spawn((long (*)(uint64_t))0x100000, 0) == -1; /* entry outside the user code */
  long o = u_spawn(u_orphaner, 5);
  run++, pass += u_wait(o) == 12;
  sc(SYS_YIELD, 0, 0); /* the orphan runs and exits */
  sc(SYS_YIELD, 0, 0);
  /* Fill the process table, then reap every child with wait(-1). */
  long made = 0, reaped = 0, stsum = 0;
  while (made < 64 && u_spawn(u_child, (uint64_t)made) > 0) made++;
  for (long w; (w = u_wait(-1)) >= 0; reaped++) stsum += w;
  run++, pass += made == NPROC - 1 && reaped == made && stsum == made * (made - 1) / 2;
  /* The stack grows on demand: touch 40 KiB of it. */
  volatile char deep[40960];
  for (int i = 0; i < (int)sizeof deep; i += 4096) deep[i] = (char)i;
  long s2 = 0;
  for (int i = 0; i < (int)sizeof deep; i += 4096) s2 += deep[i];
  run++, pass += s2 == 0; /* (char)i is 0 for multiples of 4096 */
  /* A region's pages read as zero, keep what was written, and two
   * regions do not overlap. */
  uint64_t *r1 = (uint64_t *)u_mmap(8192), *r2 = (uint64_t *)u_mmap(4096);
  run++, pass += r1[0] == 0 && r1[1023] == 0 && r2[511] == 0;
  r1[0] = 5, r1[512] = 6, r2[0] = 7;
  run++, pass += r1[0] == 5 && r1[512] == 6 && r2[0] == 7 && (uint64_t)r2 >= (uint64_t)r1 + 8192;
  sum = sum * 31 + (long)(r1[0] + r1[512] + r2[0]);
  u_report(0, pass);
  u_report(1, run);
  u_report(2, sum);
  return pass == run ? 0 : 1;
}

/* TLB stress: strided reads over a working set of ws pages. */
USER long u_tlb(uint64_t arg) {
  (void)arg;
  uint64_t ws = u_param(P_WS), stride = u_param(P_STRIDE), passes = u_param(P_PASSES);
  uint64_t bytes = ws * 4096;
  long a = u_mmap(bytes);
  if (a < 0) return 1;
  uint8_t *base = (uint8_t *)a;
  for (uint64_t off = 0; off < bytes; off += stride)
    *(volatile uint64_t *)(base + off) = (off * 0x9E3779B97F4A7C15ull) ^ (off >> 9);
  uint64_t sum = 0, n = 0;
  uint64_t t0 = u_rdtsc();
  HVSIM_MAGIC(HVSIM_OP_ROI_BEGIN, 1);
  UBARRIER();
  for (uint64_t p = 0; p < passes; p++)
    for (uint64_t off = 0; off < bytes; off += stride) {
      sum += *(volatile uint64_t *)(base + off);
      n++;
    }
  UBARRIER();
  HVSIM_MAGIC(HVSIM_OP_ROI_END, 1);
  uint64_t t1 = u_rdtsc();
  u_report(0, (long)(t1 - t0));
  u_report(1, (long)n);
  u_report(2, (long)sum);
  return 0;
}

/* Demand paging: every first touch of a fresh region's page faults. */
USER long u_pgfault(uint64_t arg) {
  (void)arg;
  uint64_t k = u_param(P_FAULTS);
  long a = u_mmap(k * 4096);
  if (a < 0) return 1;
  volatile uint64_t *base = (volatile uint64_t *)a;
  uint64_t t0 = u_rdtsc();
  HVSIM_MAGIC(HVSIM_OP_ROI_BEGIN, 2);
  for (uint64_t i = 0; i < k; i++) base[i * 512 + (i & 511)] = i * 3 + 1;
  HVSIM_MAGIC(HVSIM_OP_ROI_END, 2);
  uint64_t t1 = u_rdtsc();
  uint64_t sum = 0;
  for (uint64_t i = 0; i < k; i++) sum = sum * 7 + base[i * 512 + (i & 511)] + base[i * 512 + ((i + 1) & 511)];
  if (u_munmap((uint64_t)a, k * 4096) != 0) return 2;
  u_report(0, (long)(t1 - t0));
  u_report(1, (long)k);
  u_report(2, (long)sum);
  return 0;
}

/* Null system call round trips. */
USER long u_syscall(uint64_t arg) {
  uint64_t n = u_param(arg ? P_NANO : P_SYSCALLS), sum = 0;
  uint64_t t0 = u_rdtsc();
  HVSIM_MAGIC(HVSIM_OP_ROI_BEGIN, 3);
  for (uint64_t i = 0; i < n; i++) sum += (uint64_t)u_getpid();
  HVSIM_MAGIC(HVSIM_OP_ROI_END, 3);
  uint64_t t1 = u_rdtsc();
  u_report(0, (long)(t1 - t0));
  u_report(1, (long)n);
  u_report(2, (long)sum);
  return 0;
}

/* forkwait: create a child that exits at once, wait for it, n times. */
USER long u_fork(uint64_t arg) {
  (void)arg;
  uint64_t n = u_param(P_FORKS), sum = 0, bad = 0;
  long free0 = sc(SYS_FREEPAGES, 0, 0);
  uint64_t t0 = u_rdtsc();
  HVSIM_MAGIC(HVSIM_OP_ROI_BEGIN, 4);
  for (uint64_t i = 0; i < n; i++) {
    long pid = u_spawn(u_child, i);
    long st = u_wait(pid);
    bad += pid < 0 || st != (long)(i & 0x7f);
    sum = sum * 3 + (uint64_t)st + (uint64_t)pid;
  }
  HVSIM_MAGIC(HVSIM_OP_ROI_END, 4);
  uint64_t t1 = u_rdtsc();
  long free1 = sc(SYS_FREEPAGES, 0, 0);
  u_report(0, (long)(t1 - t0));
  u_report(1, (long)n);
  u_report(2, (long)sum);
  u_report(3, free0 - free1);
  u_report(4, (long)bad);
  return 0;
}
