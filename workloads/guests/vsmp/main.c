/* vsmp: a two-vCPU guest for the bundled hypervisors (hv_vmx, hv_svm on
 * platform.cpus = 2). It uses only what a thin hypervisor virtualizes: the
 * x2APIC MSRs (IA32_APIC_BASE, ID, EOI, SVR, ICR; SDM Vol. 3 11.12), the
 * AP start-up by INIT-SIPI-SIPI to APIC ID 1 through the real-mode
 * trampoline of lib/smp_tramp.S (SDM Vol. 3 9.4.4), fixed IPIs, HLT and
 * the serial port. It runs a parallel piece of work on both vCPUs and an
 * IPI ping-pong between them. Every line but the "timing:" ones is
 * deterministic. Command line: "par=N" (iterations per vCPU). Also runs
 * natively (platform.cpus = 2, the real x2APIC). */
#include "smp.h"
#include "wl.h"

extern const uint8_t smp_tramp_start[], smp_tramp_end[];
extern const uint8_t smp_tramp_cr3[], smp_tramp_stack[], smp_tramp_entry[], smp_tramp_gdtr[],
    smp_tramp_idtr[];

#define MSR_APIC_BASE 0x1b
#define X2APIC_ID 0x802
#define X2APIC_EOI 0x80b
#define X2APIC_SVR 0x80f
#define X2APIC_ICR 0x830

#define V_COUNT 0x40 /* counted by the receiver */
#define V_WORK 0x41 /* wake vCPU 1 for the posted work */
#define V_PING 0x43 /* vCPU 1 answers with V_PONG */
#define V_PONG 0x44
#define PINGS 100
#define AP_STACK_TOP 0x14000ul /* conventional memory, as lib/smp.c */

static volatile unsigned online = 1, pongs, pings, work_gen, work_acks, counted;
static volatile unsigned release, held_while_masked, after_sti;
static void (*volatile work_fn)(unsigned);
static volatile uint64_t partial[2];
static unsigned par_iters = 500000;

static void x2apic_enable(void) {
  wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11) | (1u << 10)); /* EN, EXTD */
  wrmsr(X2APIC_SVR, 0x1ff);
}
static unsigned apic_id(void) { return (unsigned)rdmsr(X2APIC_ID); }
static void eoi(void) { wrmsr(X2APIC_EOI, 0); }
static void send_ipi(unsigned dest, uint32_t lo) { wrmsr(X2APIC_ICR, ((uint64_t)dest << 32) | lo); }

static void on_ping(struct wl_frame *f) {
  (void)f;
  ++pings;
  eoi();
  send_ipi(0, ICR_FIXED | V_PONG);
}
static void on_pong(struct wl_frame *f) {
  (void)f;
  ++pongs;
  eoi();
}
static void on_count(struct wl_frame *f) {
  (void)f;
  ++counted;
  eoi();
}
static void on_work(struct wl_frame *f) {
  (void)f;
  eoi();
}

static uint64_t par_work(unsigned id) {
  uint64_t x = 0x9e3779b97f4a7c15ull * (id + 1), s = 0;
  for (unsigned i = 0; i < par_iters; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    s += x >> 33;
  }
  return s;
}

/* vCPU 1 after the trampoline: x2APIC on, count itself online, then run
 * each posted work item once and otherwise sleep in HLT. */
static void ap_main(void) {
  x2apic_enable();
  const unsigned id = apic_id();
  __atomic_add_fetch(&online, 1, __ATOMIC_SEQ_CST);
  unsigned seen = 0;
  for (;;) {
    if (seen != work_gen) {
      seen = work_gen;
      work_fn(id);
      __atomic_add_fetch(&work_acks, 1, __ATOMIC_SEQ_CST);
    }
    __asm__ volatile("sti; hlt; cli" ::: "memory");
  }
}

static void par_item(unsigned id) { partial[id & 1] = par_work(id); }

/* With interrupts disabled, wait until vCPU 0 says an IPI was sent, then
 * look: it must still be pending (held by IF = 0), and taken by STI. */
static void masked_item(unsigned id) {
  (void)id;
  while (!release) cpu_relax();
  held_while_masked = counted;
  __asm__ volatile("sti; nop; cli" ::: "memory");
  after_sti = counted;
}

/* Runs fn on vCPU 1 (woken by an IPI) and waits for it. */
static void post(void (*fn)(unsigned), int wait) {
  work_fn = fn;
  work_acks = 0;
  __atomic_add_fetch(&work_gen, 1, __ATOMIC_SEQ_CST);
  send_ipi(1, ICR_FIXED | V_WORK);
  while (wait && work_acks != 1) cpu_relax();
}

static void *slot(const uint8_t *sym) {
  return (void *)(uintptr_t)(SMP_TRAMPOLINE + (uintptr_t)(sym - smp_tramp_start));
}

/* INIT, SIPI, SIPI to APIC ID 1 (SDM Vol. 3 9.4.4.1; the delays are scaled
 * down). True when vCPU 1 came online. */
static int start_ap(void) {
  memcpy((void *)SMP_TRAMPOLINE, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
  *(uint64_t *)slot(smp_tramp_cr3) = read_cr3();
  *(uint64_t *)slot(smp_tramp_entry) = (uint64_t)(uintptr_t)&ap_main;
  *(uint64_t *)slot(smp_tramp_stack) = AP_STACK_TOP;
  __asm__ volatile("sgdt (%0)" ::"r"(slot(smp_tramp_gdtr)) : "memory");
  __asm__ volatile("sidt (%0)" ::"r"(slot(smp_tramp_idtr)) : "memory");
  send_ipi(1, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
  send_ipi(1, ICR_INIT | ICR_LEVEL);
  send_ipi(1, ICR_STARTUP | (SMP_TRAMPOLINE >> 12));
  send_ipi(1, ICR_STARTUP | (SMP_TRAMPOLINE >> 12)); /* ignored: already started */
  const uint64_t t0 = rdtsc();
  while (online < 2 && rdtsc() - t0 < 100000000ull) cpu_relax();
  return online == 2;
}

static void parse_args(const char *a) {
  for (; a && *a; ++a)
    if (memcmp(a, "par=", 4) == 0) {
      unsigned v = 0;
      for (a += 4; *a >= '0' && *a <= '9'; ++a) v = v * 10 + (unsigned)(*a - '0');
      if (v) par_iters = v;
      if (!*a) return;
    }
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  parse_args(wl_mbi.args);
  if (!(cpuid(1, 0).ecx & (1u << 21))) {
    printf("vsmp: no x2APIC\n");
    return 1;
  }
  set_handler(V_COUNT, on_count);
  set_handler(V_WORK, on_work);
  set_handler(V_PING, on_ping);
  set_handler(V_PONG, on_pong);
  x2apic_enable();
  printf("vsmp: vcpu %u, x2apic\n", apic_id());
  if (!start_ap()) {
    printf("vsmp: vcpu 1 did not come online\n");
    return 2;
  }
  printf("vsmp: 2 of 2 vcpus online\n");

  /* Parallel work: vCPU 1 is woken by an IPI, both compute, then the
     result is checked against the same work done serially. */
  uint64_t t0 = rdtsc();
  post(par_item, 0);
  partial[0] = par_work(0);
  while (work_acks != 1) cpu_relax();
  uint64_t t1 = rdtsc();
  const uint64_t sum = partial[0] ^ partial[1], serial = par_work(0) ^ par_work(1);
  printf("vsmp: parallel 2 x %u iterations, checksum %016lx (%s)\n", par_iters,
         (unsigned long)sum, sum == serial ? "matches serial" : "MISMATCH");
  printf("timing: parallel %lu cycles\n", (unsigned long)(t1 - t0));

  /* IPI ping-pong: vCPU 0 waits in HLT for each answer. */
  t0 = rdtsc();
  for (unsigned i = 0; i < PINGS; ++i) {
    send_ipi(1, ICR_FIXED | V_PING);
    while (pongs == i) __asm__ volatile("sti; hlt; cli" ::: "memory");
  }
  t1 = rdtsc();
  printf("vsmp: ping-pong %u round trips, %u pings taken\n", pongs, pings);
  printf("timing: ipi round trip %lu cycles\n", (unsigned long)((t1 - t0) / PINGS));
  /* An IPI to a vCPU running with interrupts disabled waits for its STI
     (under a hypervisor: an interrupt-window exit, then the injection). */
  post(masked_item, 0);
  t0 = rdtsc();
  while (rdtsc() - t0 < 20000) cpu_relax(); /* vCPU 1 is in its masked loop */
  send_ipi(1, ICR_FIXED | V_COUNT);
  t0 = rdtsc();
  while (rdtsc() - t0 < 20000) cpu_relax();
  release = 1;
  while (work_acks != 1) cpu_relax();
  printf("vsmp: ipi to a masked vcpu: %u taken while masked, %u after sti\n", held_while_masked,
         after_sti);
  const int bad = (sum != serial) + (pongs != PINGS) + (held_while_masked != 0) + (after_sti != 1);
  printf("vsmp: %d failures\n", bad);
  return bad;
}
