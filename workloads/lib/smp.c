/* AP start-up and IPIs (smp.h). */
#include "smp.h"

#include "fw_cfg.h"
#include "wl.h"

extern const uint8_t smp_tramp_start[], smp_tramp_end[];
extern const uint8_t smp_tramp_cr3[], smp_tramp_stack[], smp_tramp_entry[], smp_tramp_gdtr[],
    smp_tramp_idtr[];

/* AP stacks: 8 KiB each in conventional memory from 0x10000 (up to
 * 0x90000 for 64 CPUs, below the EBDA), so the kernel image stays small
 * (programs that run in 2 MiB of RAM link this file). */
#define AP_STACK 8192
#define AP_STACKS 0x10000ul
static smp_entry ap_entry;
volatile unsigned smp_online = 1;

/* A slot of the copied trampoline. */
static void *slot(const uint8_t *sym) {
  return (void *)(uintptr_t)(SMP_TRAMPOLINE + (uintptr_t)(sym - smp_tramp_start));
}

void lapic_enable(void) {
  lapic_write(LAPIC_TPR, 0);
  lapic_write(LAPIC_SVR, 0x1ff);
}

void lapic_send_ipi(uint8_t dest, uint32_t icr_lo) {
  lapic_write(LAPIC_ICR_HI, (uint32_t)dest << 24);
  lapic_write(LAPIC_ICR_LO, icr_lo);
  while (lapic_read(LAPIC_ICR_LO) & ICR_BUSY) cpu_relax();
}

unsigned smp_ncpus(void) {
  unsigned n = fw_cfg_read_u16(FW_CFG_NB_CPUS);
  if (n < 1) n = 1;
  if (n > SMP_MAX_CPUS) n = SMP_MAX_CPUS;
  return n;
}

static void ap_main(void) {
  lapic_enable();
  const unsigned id = smp_cpu_id();
  __atomic_add_fetch(&smp_online, 1, __ATOMIC_SEQ_CST);
  ap_entry(id);
}

static void delay_cycles(uint64_t c) {
  const uint64_t t0 = rdtsc();
  while (rdtsc() - t0 < c) cpu_relax();
}

unsigned smp_start_aps(unsigned n, smp_entry entry) {
  ap_entry = entry;
  memcpy((void *)SMP_TRAMPOLINE, smp_tramp_start, (size_t)(smp_tramp_end - smp_tramp_start));
  *(uint64_t *)slot(smp_tramp_cr3) = read_cr3();
  *(uint64_t *)slot(smp_tramp_entry) = (uint64_t)(uintptr_t)&ap_main;
  __asm__ volatile("sgdt (%0)" ::"r"(slot(smp_tramp_gdtr)) : "memory");
  __asm__ volatile("sidt (%0)" ::"r"(slot(smp_tramp_idtr)) : "memory");
  lapic_enable();
  for (unsigned id = 1; id < n; ++id) {
    const unsigned before = smp_online;
    *(uint64_t *)slot(smp_tramp_stack) = AP_STACKS + (uint64_t)(id + 1) * AP_STACK;
    /* INIT (assert, then de-assert), 10 ms, SIPI, 200 us, SIPI (9.4.4.1);
       the waits are scaled down: the simulated AP needs none of them. */
    lapic_send_ipi((uint8_t)id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
    lapic_send_ipi((uint8_t)id, ICR_INIT | ICR_LEVEL);
    delay_cycles(1000);
    lapic_send_ipi((uint8_t)id, ICR_STARTUP | (SMP_TRAMPOLINE >> 12));
    delay_cycles(1000);
    lapic_send_ipi((uint8_t)id, ICR_STARTUP | (SMP_TRAMPOLINE >> 12));
    const uint64_t t0 = rdtsc();
    while (smp_online == before && rdtsc() - t0 < 100000000ull) cpu_relax();
    if (smp_online == before) break; /* this AP did not come up */
  }
  return smp_online;
}
