/* Multiprocessor checks and benchmarks (smp_tests.h): AP start-up, every
 * IPI kind, atomicity under contention, TLB shootdown, IPI ping-pong
 * latency and a parallel benchmark. The BSP drives; the APs idle in
 * STI;HLT and run the work the BSP posts, woken by an IPI. Every line but
 * the `timing:` ones is deterministic. */
#include "smp_tests.h"

#include "smp.h"
#include "wl.h"

#define V_WORK 0x41   /* wake an AP to run the posted work */
#define V_COUNT 0x40  /* counts hits[cpu] */
#define V_SHOOT 0x42  /* TLB shootdown: INVLPG shoot_va, ack */
#define V_PING 0x43   /* ping-pong: the AP answers with V_PONG */
#define V_PONG 0x44

static unsigned ncpu;
static volatile unsigned hits[SMP_MAX_CPUS], nmi_hits[SMP_MAX_CPUS];
static void (*volatile work_fn)(unsigned);
static volatile unsigned work_gen, work_acks;
static volatile uint64_t shoot_va;
static volatile unsigned shoot_acks, pongs;
static unsigned failures;

static void check(const char *what, uint64_t got, uint64_t want) {
  if (got == want) return;
  printf("FAIL %s: got %lu want %lu\n", what, (unsigned long)got, (unsigned long)want);
  ++failures;
}

/* ------------------------------------------------------------ handlers */

static void on_count(struct wl_frame *f) {
  (void)f;
  __atomic_add_fetch(&hits[smp_cpu_id()], 1, __ATOMIC_SEQ_CST);
  lapic_eoi();
}
static void on_nmi(struct wl_frame *f) {
  (void)f;
  __atomic_add_fetch(&nmi_hits[smp_cpu_id()], 1, __ATOMIC_SEQ_CST);
}
static void on_work(struct wl_frame *f) {
  (void)f;
  lapic_eoi();
}
static void on_shoot(struct wl_frame *f) {
  (void)f;
  invlpg(shoot_va);
  __atomic_add_fetch(&shoot_acks, 1, __ATOMIC_SEQ_CST);
  lapic_eoi();
}
static void on_ping(struct wl_frame *f) {
  (void)f;
  lapic_eoi();
  lapic_send_ipi(0, ICR_FIXED | V_PONG);
}
static void on_pong(struct wl_frame *f) {
  (void)f;
  ++pongs;
  lapic_eoi();
}

/* An AP's life after start-up: run each posted work item once, else sleep. */
static void ap_idle(unsigned id) {
  unsigned seen = work_gen;
  (void)id;
  for (;;) {
    if (seen != work_gen) {
      seen = work_gen;
      work_fn(smp_cpu_id());
      __atomic_add_fetch(&work_acks, 1, __ATOMIC_SEQ_CST);
    }
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  }
}

/* Runs fn on every AP (woken by an IPI to all others) and, when `bsp`, on
 * the BSP too; returns when all are done. */
static void run_everywhere(void (*fn)(unsigned), int bsp) {
  work_fn = fn;
  work_acks = 0;
  __atomic_add_fetch(&work_gen, 1, __ATOMIC_SEQ_CST);
  lapic_send_ipi(0, ICR_OTHERS | ICR_FIXED | V_WORK);
  if (bsp) fn(0);
  while (work_acks != ncpu - 1) cpu_relax();
}

static void clear_hits(void) {
  for (unsigned i = 0; i < ncpu; ++i) hits[i] = nmi_hits[i] = 0;
}
/* Waits until `total` hits have arrived (IPIs to sleeping APs land when
 * those run), then prints them as "name: h0 h1 ...". */
static void show_hits(const char *name, unsigned total) {
  for (;;) {
    unsigned t = 0;
    for (unsigned i = 0; i < ncpu; ++i) t += hits[i];
    if (t >= total) break;
    __asm__ volatile("sti; pause; cli");
  }
  printf("%s:", name);
  for (unsigned i = 0; i < ncpu; ++i) printf(" %u", hits[i]);
  printf("\n");
  clear_hits();
}

/* ------------------------------------------------------------ IPI kinds */

static void set_flat(unsigned id) {  /* flat model: one bit per CPU (IDs 0-7) */
  lapic_write(LAPIC_DFR, 0xffffffff);
  lapic_write(LAPIC_LDR, id < 8 ? 1u << (24 + id) : 0);
}
static void set_cluster(unsigned id) {  /* cluster model: 4 CPUs per cluster */
  lapic_write(LAPIC_DFR, 0x0fffffff);
  lapic_write(LAPIC_LDR, ((id / 4) << 28) | (1u << (24 + id % 4)));
}
static void raise_tpr1(unsigned id) { lapic_write(LAPIC_TPR, id == 1 ? 0x20 : 0); }
static void lower_tpr(unsigned id) { (void)id; lapic_write(LAPIC_TPR, 0); }

static void ipi_kinds(void) {
  clear_hits();
  for (unsigned id = 1; id < ncpu; ++id) lapic_send_ipi((uint8_t)id, ICR_FIXED | V_COUNT);
  show_hits("ipi fixed physical", ncpu - 1);
  lapic_send_ipi(0, ICR_SELF | ICR_FIXED | V_COUNT);
  __asm__ volatile("sti; nop; cli");
  show_hits("ipi self", 1);
  lapic_send_ipi(0, ICR_ALL | ICR_FIXED | V_COUNT);
  __asm__ volatile("sti; nop; cli");
  show_hits("ipi all including self", ncpu);
  lapic_send_ipi(0, ICR_OTHERS | ICR_FIXED | V_COUNT);
  show_hits("ipi all excluding self", ncpu - 1);
  /* Logical destinations: each APIC programs its own LDR/DFR. */
  set_flat(0);
  run_everywhere(set_flat, 0);
  lapic_send_ipi(0x0a, ICR_LOGICAL | ICR_FIXED | V_COUNT);  /* CPUs 1 and 3 */
  show_hits("ipi logical flat 0x0a", (ncpu > 1) + (ncpu > 3));
  lapic_send_ipi(0x0e, ICR_LOGICAL | ICR_LOWEST | V_COUNT);  /* one of 1-3 */
  show_hits("ipi lowest priority 0x0e", ncpu > 1);
  run_everywhere(raise_tpr1, 0);
  lapic_send_ipi(0x0e, ICR_LOGICAL | ICR_LOWEST | V_COUNT);  /* CPU 1 has TPR 0x20 */
  show_hits("ipi lowest priority 0x0e, cpu1 tpr 0x20", ncpu > 1);
  run_everywhere(lower_tpr, 0);
  set_cluster(0);
  run_everywhere(set_cluster, 0);
  lapic_send_ipi(0x0a, ICR_LOGICAL | ICR_FIXED | V_COUNT);  /* cluster 0: CPUs 1, 3 */
  show_hits("ipi logical cluster 0x0a", (ncpu > 1) + (ncpu > 3));
  lapic_send_ipi(0x13, ICR_LOGICAL | ICR_FIXED | V_COUNT);  /* cluster 1: CPUs 4, 5 */
  show_hits("ipi logical cluster 0x13", (ncpu > 4) + (ncpu > 5));
  /* NMI to the last CPU. */
  lapic_send_ipi((uint8_t)(ncpu - 1), ICR_NMI);
  while (nmi_hits[ncpu - 1] == 0) cpu_relax();
  printf("ipi nmi:");
  for (unsigned i = 0; i < ncpu; ++i) printf(" %u", nmi_hits[i]);
  printf("\n");
  clear_hits();
}

/* INIT then SIPI again to the last AP: it starts over through the trampoline. */
static void restart_ap(void) {
  if (ncpu < 2) return;
  const unsigned id = ncpu - 1, before = smp_online;
  lapic_send_ipi((uint8_t)id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
  lapic_send_ipi((uint8_t)id, ICR_INIT | ICR_LEVEL);
  lapic_send_ipi((uint8_t)id, ICR_STARTUP | (SMP_TRAMPOLINE >> 12));
  while (smp_online == before) cpu_relax();
  printf("init-sipi restart: cpu%u online again (%u starts)\n", id, smp_online);
}

/* x2APIC: the BSP switches to x2APIC mode and sends through the ICR MSR. */
static void x2apic_ipi(void) {
  if (ncpu < 2 || !(cpuid(1, 0).ecx & (1u << 21))) return;
  wrmsr(0x1b, rdmsr(0x1b) | (1u << 10));
  const unsigned id = ncpu > 2 ? 2 : 1;
  wrmsr(0x830, ((uint64_t)id << 32) | ICR_FIXED | V_COUNT);
  show_hits("ipi x2apic physical", 1);
  printf("x2apic id: %u\n", (unsigned)rdmsr(0x802));
}

/* ------------------------------------------------------------ atomicity */

#define ITERS 20000
static volatile uint64_t lock_counter, plain_counter, xchg_counter;
static spinlock_t lock;
static unsigned __int128 wide_counter __attribute__((aligned(16)));

static void contend(unsigned id) {
  (void)id;
  for (unsigned i = 0; i < ITERS; ++i) {
    __asm__ volatile("lock incq %0" : "+m"(lock_counter));
    spin_lock(&lock);
    plain_counter = plain_counter + 1;
    spin_unlock(&lock);
    uint64_t old = xchg_counter, seen;
    do {  /* LOCK CMPXCHG loop */
      seen = __sync_val_compare_and_swap(&xchg_counter, old, old + 1);
      if (seen == old) break;
      old = seen;
    } while (1);
    /* CMPXCHG16B: the low half counts, the high half must stay 0x5a. */
    uint64_t lo = (uint64_t)wide_counter, hi = (uint64_t)(wide_counter >> 64);
    for (;;) {
      uint8_t ok;
      uint64_t nlo = lo + 1, nhi = 0x5a;
      __asm__ volatile("lock cmpxchg16b %1; sete %0"
                       : "=q"(ok), "+m"(wide_counter), "+a"(lo), "+d"(hi)
                       : "b"(nlo), "c"(nhi)
                       : "memory");
      if (ok) break;
    }
  }
}

static void atomicity(void) {
  wide_counter = (unsigned __int128)0x5a << 64;
  run_everywhere(contend, 1);
  const uint64_t want = (uint64_t)ncpu * ITERS;
  printf("atomic: lock inc %lu, spinlock %lu, cmpxchg %lu, cmpxchg16b %lu (want %lu)\n",
         (unsigned long)lock_counter, (unsigned long)plain_counter, (unsigned long)xchg_counter,
         (unsigned long)(uint64_t)wide_counter, (unsigned long)want);
  check("lock inc", lock_counter, want);
  check("spinlock", plain_counter, want);
  check("cmpxchg", xchg_counter, want);
  check("cmpxchg16b", (uint64_t)wide_counter, want);
  check("cmpxchg16b high", (uint64_t)(wide_counter >> 64), 0x5a);
}

/* ------------------------------------------------------------ TLB shootdown */

#define SHOOT_VA 0x8000000000ull  /* 512 GiB: PML4 entry 1, 4 KiB pages */
static volatile uint64_t seen_value[SMP_MAX_CPUS];
static void read_shoot(unsigned id) { seen_value[id] = *(volatile uint64_t *)SHOOT_VA; }

static void shootdown(void) {
  uint64_t *a = alloc_page(), *b = alloc_page();
  *a = 0xaaaa;
  *b = 0xbbbb;
  map_page(SHOOT_VA, (uint64_t)(uintptr_t)a, PTE_W, PAGE_4K);
  run_everywhere(read_shoot, 1);  /* every TLB now holds SHOOT_VA -> a */
  unsigned old = 0;
  for (unsigned i = 0; i < ncpu; ++i) old += seen_value[i] == 0xaaaa;
  /* Without a shootdown the others keep the stale translation (SDM Vol. 3
     4.10.5: software must invalidate on every processor). */
  uint64_t *c = alloc_page();
  *c = 0xcccc;
  map_page(SHOOT_VA, (uint64_t)(uintptr_t)c, PTE_W, PAGE_4K);
  run_everywhere(read_shoot, 1);
  unsigned stale = 0;
  for (unsigned i = 0; i < ncpu; ++i) stale += seen_value[i] == 0xaaaa;
  printf("shootdown: without IPIs %u cpus still saw the old page\n", stale);
  check("stale without shootdown", stale, ncpu - 1);
  /* Change the mapping, INVLPG here, then shoot it down on the others. */
  const uint64_t t0 = rdtsc();
  map_page(SHOOT_VA, (uint64_t)(uintptr_t)b, PTE_W, PAGE_4K);
  shoot_va = SHOOT_VA;
  shoot_acks = 0;
  lapic_send_ipi(0, ICR_OTHERS | ICR_FIXED | V_SHOOT);
  while (shoot_acks != ncpu - 1) cpu_relax();
  const uint64_t t1 = rdtsc();
  run_everywhere(read_shoot, 1);
  unsigned fresh = 0;
  for (unsigned i = 0; i < ncpu; ++i) fresh += seen_value[i] == 0xbbbb;
  printf("shootdown: %u cpus saw the old page, %u acks, %u saw the new page\n", old,
         shoot_acks, fresh);
  printf("timing: shootdown %lu cycles\n", (unsigned long)(t1 - t0));
  check("shootdown fresh", fresh, ncpu);
}

/* ------------------------------------------------------------ ping-pong */

#define PINGS 100
static void pingpong(void) {
  if (ncpu < 2) return;
  pongs = 0;
  const uint64_t t0 = rdtsc();
  for (unsigned i = 0; i < PINGS; ++i) {
    lapic_send_ipi(1, ICR_FIXED | V_PING);
    while (pongs == i) __asm__ volatile("sti; hlt; cli" ::: "memory");
  }
  const uint64_t t1 = rdtsc();
  printf("ping-pong: %u round trips\n", pongs);
  printf("timing: ipi ping-pong %lu cycles/round trip\n", (unsigned long)((t1 - t0) / PINGS));
}

/* ------------------------------------------------------------ parallel */

static unsigned par_iters = 2000000u;  /* `par=N` on the command line */
static volatile uint64_t partial[SMP_MAX_CPUS];
static void par_work(unsigned id) {
  uint64_t x = 0x9e3779b97f4a7c15ull * (id + 1), s = 0;
  for (unsigned i = 0; i < par_iters; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    s += x >> 33;
  }
  partial[id] = s;
}

static void parallel(void) {
  const uint64_t t0 = rdtsc();
  run_everywhere(par_work, 1);
  const uint64_t t1 = rdtsc();
  uint64_t sum = 0;
  for (unsigned i = 0; i < ncpu; ++i) sum ^= partial[i];
  printf("parallel: %u cpus x %u iterations, checksum %016lx\n", ncpu, par_iters,
         (unsigned long)sum);
  printf("timing: parallel %lu cycles\n", (unsigned long)(t1 - t0));
}

/* The cross-core checks (MONITOR/MWAIT, cross-modifying code) are built
 * into the smp guest only (SMP_CROSS_CORE_TESTS, workloads/CMakeLists.txt):
 * the mini kernel's image, and so its benchmark figures, stay as they were. */
#ifdef SMP_CROSS_CORE_TESTS
/* ------------------------------------------------------------ MONITOR/MWAIT */

/* CPU 1 arms the monitor on a flag and MWAITs with interrupts disabled
 * (ECX = 0): only a store into the monitored line can wake it. CPU 0 waits
 * ~200,000 cycles, then stores the flag. CPU 1 must have slept (one MWAIT,
 * a handful of instructions retired while waiting: IA32_FIXED_CTR0) and
 * woken at the store (SDM Vol. 2B MWAIT). */
static volatile uint32_t mwait_flag __attribute__((aligned(64)));
static volatile uint64_t mwait_stored_at, mwait_woke_at, mwait_insns;
static volatile unsigned mwait_count;
static void mwait_wait(unsigned id) {
  if (id == 0) {
    const uint64_t t = rdtsc();
    while (rdtsc() - t < 200000) cpu_relax();
    mwait_stored_at = rdtsc();
    mwait_flag = 1;
    return;
  }
  if (id != 1) return;
  wrmsr(0x38d, 0x3);          /* IA32_FIXED_CTR_CTRL: CTR0 (instructions) at every CPL */
  wrmsr(0x38f, 1ull << 32);   /* IA32_PERF_GLOBAL_CTRL: CTR0 */
  const uint64_t i0 = rdmsr(0x309);
  unsigned n = 0;
  while (!mwait_flag) {
    __asm__ volatile("monitor" ::"a"(&mwait_flag), "c"(0), "d"(0));
    if (mwait_flag) break;
    __asm__ volatile("mwait" ::"a"(0), "c"(0) : "memory");
    ++n;
  }
  mwait_woke_at = rdtsc();
  mwait_insns = rdmsr(0x309) - i0;
  mwait_count = n;
}

/* The same, but CPU 0 sends an IPI instead of storing: with IF = 1 the
 * interrupt ends the MWAIT (its handler runs first), the flag stays 0. */
static volatile unsigned mwait_by_ipi_hits;
static void mwait_ipi_wait(unsigned id) {
  if (id == 0) {
    const uint64_t t = rdtsc();
    while (rdtsc() - t < 200000) cpu_relax();
    lapic_send_ipi(1, ICR_FIXED | V_COUNT);
    return;
  }
  if (id != 1) return;
  const unsigned before = hits[1];
  __asm__ volatile("monitor" ::"a"(&mwait_flag), "c"(0), "d"(0));
  __asm__ volatile("sti; mwait; cli" ::"a"(0), "c"(0) : "memory");
  mwait_by_ipi_hits = hits[1] - before;
}

static void mwait_wake(void) {
  if (ncpu < 2 || !(cpuid(1, 0).ecx & (1u << 3))) return;
  mwait_flag = 0;
  run_everywhere(mwait_wait, 1);
  printf("mwait: cpu1 woke after %u mwait, %s 100 instructions retired while waiting\n",
         mwait_count, mwait_insns < 100 ? "under" : "OVER");
  printf("timing: mwait wake %ld cycles after the store\n",
         (long)(mwait_woke_at - mwait_stored_at));
  check("mwait count", mwait_count, 1);
  check("mwait no spin", mwait_insns < 100, 1);
  mwait_flag = 0;
  run_everywhere(mwait_ipi_wait, 1);
  printf("mwait: woken by an interrupt: %u handled, flag %u\n", mwait_by_ipi_hits, mwait_flag);
  check("mwait interrupt", mwait_by_ipi_hits, 1);
  clear_hits();
}

/* ------------------------------------------------------------ cross-modifying code */

/* CPU 1 runs a function ("mov eax, imm32; ret") that CPU 0 writes, then
 * patches (SDM Vol. 3A 8.1.3: the executing processor needs no more than a
 * serializing event; here the IPI and IRET before each call). CPU 0 never
 * executes it, so only a cross-core invalidation makes CPU 1 see the patch. */
static uint8_t xmc_code[4096] __attribute__((aligned(4096)));
static volatile uint32_t xmc_got[3];
static void xmc_call(unsigned id) {
  if (id == 1) xmc_got[xmc_got[2]] = ((uint32_t(*)(void))(uintptr_t)xmc_code)();
}
static void xmc_write(uint32_t v) {
  xmc_code[0] = 0xb8;  /* mov eax, imm32 */
  for (unsigned i = 0; i < 4; ++i) xmc_code[1 + i] = (uint8_t)(v >> (8 * i));
  xmc_code[5] = 0xc3;  /* ret */
}

static void cross_modifying_code(void) {
  if (ncpu < 2) return;
  xmc_write(0x1111);
  xmc_got[2] = 0;
  run_everywhere(xmc_call, 0);
  xmc_write(0x2222);  /* CPU 1 has decoded the page */
  xmc_got[2] = 1;
  run_everywhere(xmc_call, 0);
  printf("cross-modifying code: cpu1 ran %x then %x\n", xmc_got[0], xmc_got[1]);
  check("cross-modifying code", xmc_got[1], 0x2222);
}
#endif /* SMP_CROSS_CORE_TESTS */

/* ------------------------------------------------------------ VMX per core */

/* Each core enters VMX operation with its own VMXON region, makes its own
 * VMCS current and writes its guest RIP field; then every core reads the
 * field back through VMREAD: each must see its own value (per-core VMX
 * state and VMCS cache, SDM Vol. 3 24.1). */
#define VMX_CPUS 4
static uint8_t vmx_pages[VMX_CPUS][2][4096] __attribute__((aligned(4096)));
static volatile unsigned vmx_ok;

static int vmx_op(const char *insn_is_vmxon, uint64_t pa) {
  uint8_t bad;
  if (insn_is_vmxon[0] == 'o')
    __asm__ volatile("vmxon %1; setna %0" : "=q"(bad) : "m"(pa) : "cc", "memory");
  else if (insn_is_vmxon[0] == 'c')
    __asm__ volatile("vmclear %1; setna %0" : "=q"(bad) : "m"(pa) : "cc", "memory");
  else
    __asm__ volatile("vmptrld %1; setna %0" : "=q"(bad) : "m"(pa) : "cc", "memory");
  return bad;
}

static void vmx_enter(unsigned id) {
  if (id >= VMX_CPUS) return;
  const uint32_t rev = (uint32_t)rdmsr(0x480) & 0x7fffffff;  /* IA32_VMX_BASIC */
  if (!(rdmsr(0x3a) & 1)) wrmsr(0x3a, 0x5);  /* IA32_FEATURE_CONTROL: lock, VMXON outside SMX */
  write_cr0((read_cr0() | rdmsr(0x486)) & rdmsr(0x487));
  write_cr4(((read_cr4() | (1u << 13)) | rdmsr(0x488)) & rdmsr(0x489));
  *(uint32_t *)vmx_pages[id][0] = rev;
  *(uint32_t *)vmx_pages[id][1] = rev;
  const uint64_t on = (uint64_t)(uintptr_t)vmx_pages[id][0], vmcs = (uint64_t)(uintptr_t)vmx_pages[id][1];
  if (vmx_op("on", on) || vmx_op("clear", vmcs) || vmx_op("ptrld", vmcs)) return;
  const uint64_t field = 0x681e, value = 0x1000 + id;  /* guest RIP */
  __asm__ volatile("vmwrite %0, %1" ::"r"(value), "r"(field) : "cc");
}

static void vmx_check(unsigned id) {
  if (id >= VMX_CPUS) return;
  uint64_t v = 0;
  const uint64_t field = 0x681e;
  __asm__ volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
  if (v == 0x1000 + id) __atomic_add_fetch(&vmx_ok, 1, __ATOMIC_SEQ_CST);
  __asm__ volatile("vmxoff" ::: "cc");
}

static void vmx_per_core(void) {
  if (!(cpuid(1, 0).ecx & (1u << 5))) return;  /* no VMX */
  const unsigned n = ncpu < VMX_CPUS ? ncpu : VMX_CPUS;
  vmx_ok = 0;
  run_everywhere(vmx_enter, 1);
  run_everywhere(vmx_check, 1);
  printf("vmx per core: %u of %u cores kept their own VMCS\n", vmx_ok, n);
  check("vmx per core", vmx_ok, n);
}

/* The MP floating pointer in the BIOS area (MP spec 1.4, 4.1): count the
 * processor entries of its configuration table. */
static void mp_table(void) {
  for (uintptr_t a = 0xf0000; a < 0x100000; a += 16) {
    const uint8_t *f = (const uint8_t *)a;
    if (memcmp(f, "_MP_", 4) != 0) continue;
    uint8_t sum = 0;
    for (unsigned i = 0; i < 16; ++i) sum = (uint8_t)(sum + f[i]);
    const uint8_t *c = (const uint8_t *)(uintptr_t)(*(const uint32_t *)(f + 4));
    const uint16_t len = *(const uint16_t *)(c + 4);
    for (unsigned i = 0; i < len; ++i) sum = (uint8_t)(sum + c[i]);
    unsigned cpus = 0;
    for (const uint8_t *e = c + 44; e < c + len; e += e[0] == 0 ? 20 : 8) cpus += e[0] == 0;
    printf("mp table: %u processors, checksums %s\n", cpus, sum == 0 ? "ok" : "bad");
    check("mp table processors", cpus, ncpu);
    return;
  }
  printf("mp table: none\n");
  ++failures;
}

/* "par=N" in args sets the parallel benchmark's iterations per CPU. */
static void parse_args(const char *a) {
  for (; a && *a; ++a) {
    if (memcmp(a, "par=", 4) == 0) {
      unsigned v = 0;
      for (a += 4; *a >= '0' && *a <= '9'; ++a) v = v * 10 + (unsigned)(*a - '0');
      if (v) par_iters = v;
      if (!*a) return;
    }
  }
}

int smp_tests_run(const char *args) {
  parse_args(args);
  failures = 0;
  set_handler(V_COUNT, on_count);
  set_handler(V_WORK, on_work);
  set_handler(V_SHOOT, on_shoot);
  set_handler(V_PING, on_ping);
  set_handler(V_PONG, on_pong);
  set_handler(2, on_nmi);
  ncpu = smp_ncpus();
  mp_table();
  const unsigned online = smp_start_aps(ncpu, ap_idle);
  printf("smp: %u of %u cpus online\n", online, ncpu);
  check("online", online, ncpu);
  if (online != ncpu) return (int)failures;
  ipi_kinds();
  atomicity();
  shootdown();
  pingpong();
  parallel();
#ifdef SMP_CROSS_CORE_TESTS
  mwait_wake();
  cross_modifying_code();
#endif
  vmx_per_core();
  restart_ap();
  x2apic_ipi();
  printf("smp: %u failures\n", failures);
  return (int)failures;
}
