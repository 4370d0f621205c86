/* The virtual x2APIC of the bundled hypervisors' multiprocessor parts
 * (hv/vmx/smp.c, hv/svm/smp.c): one per vCPU, vCPU i with APIC ID i. The
 * guest sees x2APIC mode (IA32_APIC_BASE EN and EXTD, SDM Vol. 3 11.12);
 * every x2APIC MSR access exits and is emulated here: ID, version, TPR,
 * SVR, EOI, ICR and SELF IPI. The exit glue (which exit, where the MSR
 * number and value are, skipping the instruction, injecting the vector)
 * stays with each hypervisor. Callers hold their exit-handling lock.
 *
 *  - INIT/SIPI as KVM does: an INIT marks the target wait-for-SIPI, a
 *    STARTUP IPI to a vCPU in that state records the vector and wakes its
 *    CPU, which then enters the guest in real mode at vector << 12; a SIPI
 *    to a running vCPU is ignored (SDM Vol. 3 9.4.4.1 sends two).
 *  - Fixed IPIs set the vector in the target's IRR and kick its physical
 *    CPU (host vector HV_KICK_VECTOR): the CPU exits the guest or wakes
 *    from HLT. EOI clears the highest in-service vector.
 *
 * Linked into the .hv_smp section (lib/linker.ld: an object whose path
 * holds "smp"), after the uniprocessor image. */
#ifndef HV_SMP_VLAPIC_H
#define HV_SMP_VLAPIC_H

#include <stdint.h>

#include "fw_cfg.h"
#include "smp.h"
#include "wl.h"

#define HV_KICK_VECTOR 0xf0
#define VLAPIC_MAX 8
#define MSR_APIC_BASE 0x1b

struct vlapic {
  volatile int running;       /* started by a SIPI (vCPU 0: from the start) */
  volatile int sipi;          /* a STARTUP IPI arrived while waiting */
  volatile uint8_t sipi_vector;
  uint32_t irr[8], isr[8];    /* request / in-service bits, vectors 0-255 */
  uint32_t svr, tpr;
};

/* The vCPUs' APICs; n of them are in use. */
struct vlapic_set {
  unsigned n;
  struct vlapic cpu[VLAPIC_MAX];
};

/* The highest vector set in a 256-bit IRR or ISR, -1 when none. Inline
 * like the two after it: they run at every VM entry. */
static inline int vlapic_highest(const uint32_t *bits) {
  for (int i = 7; i >= 0; i--)
    if (bits[i]) return i * 32 + 31 - __builtin_clz(bits[i]);
  return -1;
}
/* Starts s->n vCPUs' APICs: vCPU 0 running, the others waiting for a
 * STARTUP IPI; installs the host's kick handler. */
void vlapic_init(struct vlapic_set *s);
/* An IA32_APIC_BASE or x2APIC MSR (0x800-0x8ff) access by vCPU self: a
 * write of val, or a read into *out. 0 when msr is neither. */
int vlapic_msr(struct vlapic_set *s, unsigned self, uint32_t msr, int write, uint64_t val, uint64_t *out);
/* The vector to inject now: the highest requested one when it is above
 * the highest in service, else -1. */
static inline int vlapic_pending(const struct vlapic *a) {
  const int vec = vlapic_highest(a->irr);
  return vec >= 0 && vec > vlapic_highest(a->isr) ? vec : -1;
}
/* The vector is being injected: from IRR to ISR. */
static inline void vlapic_accept(struct vlapic *a, int vec) {
  a->irr[vec / 32] &= ~(1u << (vec % 32));
  a->isr[vec / 32] |= 1u << (vec % 32);
}

/* The host CPUs: fw_cfg NB_CPUS when there is a fw_cfg (its "QEMU"
 * signature: hvsim, QEMU), one otherwise (Bochs). Inline: a uniprocessor
 * run executes it (hv_smp_start returns after it), as it did before it
 * was shared. */
static inline unsigned hv_host_cpus(void) {
  char sig[4];
  fw_cfg_read(FW_CFG_SIGNATURE, sig, sizeof sig);
  return memcmp(sig, "QEMU", 4) == 0 ? smp_ncpus() : 1;
}

#endif
