/* Multiprocessor support for the workloads: the local APIC (xAPIC MMIO at
 * 0xfee00000), INIT-SIPI-SIPI start-up of the application processors
 * through a real-mode trampoline (Intel SDM Vol. 3 9.4.4 "MP Initialization
 * Example"), IPIs, and a spin lock. Only for programs that link smp.c and
 * smp_tramp.S. */
#ifndef WL_SMP_H
#define WL_SMP_H

#include <stdint.h>

#define SMP_MAX_CPUS 64
#define SMP_TRAMPOLINE 0x8000 /* SIPI vector 0x08: real mode at 0800:0000 */
/* AP n's 8 KiB stack ends at 0x10000 + (n + 1) * 8 KiB (conventional memory). */
#define LAPIC_BASE 0xfee00000ul

/* Local APIC registers (SDM Vol. 3 Table 11-1). */
#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_LDR 0xd0
#define LAPIC_DFR 0xe0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310

/* ICR low fields (Figure 11-12). */
#define ICR_FIXED 0x000
#define ICR_LOWEST 0x100
#define ICR_NMI 0x400
#define ICR_INIT 0x500
#define ICR_STARTUP 0x600
#define ICR_LOGICAL (1u << 11)
#define ICR_BUSY (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_OTHERS (3u << 18)

static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(LAPIC_BASE + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }
static inline unsigned smp_cpu_id(void) { return lapic_read(LAPIC_ID) >> 24; }
static inline void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* Software-enables this CPU's APIC (SVR bit 8, spurious vector 0xff), TPR 0. */
void lapic_enable(void);
/* Writes ICR high (destination) then low (sends) and waits for the
 * delivery status to clear. */
void lapic_send_ipi(uint8_t dest, uint32_t icr_lo);

/* The number of CPUs fw_cfg reports (NB_CPUS), at least 1. */
unsigned smp_ncpus(void);
/* Starts APs 1..n-1 one at a time with INIT, SIPI, SIPI; each loads the
 * BSP's GDT, IDT and CR3, enables its APIC, counts itself online and calls
 * entry(id) with interrupts disabled; an entry that returns parks the AP in
 * HLT. Returns the number of CPUs online (BSP included). */
typedef void (*smp_entry)(unsigned id);
unsigned smp_start_aps(unsigned n, smp_entry entry);
extern volatile unsigned smp_online;

/* Test-and-test-and-set lock (LOCK XCHG). */
typedef struct { volatile uint32_t v; } spinlock_t;
static inline void spin_lock(spinlock_t *l) {
  while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
    while (l->v) cpu_relax();
}
static inline void spin_unlock(spinlock_t *l) { __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE); }

#endif
