/* hv_svm on a multiprocessor (platform.cpus = N > 1, mmu=npt): one vCPU
 * per physical CPU, each with its own VMCB, host save area and
 * VM_HSAVE_PA page, all sharing guest RAM, the nested page table and the
 * permission maps. The uniprocessor loop (main.c) is unchanged; this is
 * the SVM counterpart of hv/vmx/smp.c, and the guest sees the same thing:
 *
 *  - a virtual x2APIC (IA32_APIC_BASE EN + EXTD; ID, version, TPR, SVR,
 *    EOI, ICR, SELF IPI emulated on the MSR intercept by the vLAPIC both
 *    hypervisors share, hv/common/smp_vlapic.c);
 *  - INIT/SIPI emulated: the AP's vCPU waits until a STARTUP IPI, then
 *    starts in real mode at CS = vector << 8, IP = 0 (paged real mode
 *    under nested paging, APM Vol. 2 15.25); a SIPI to a running vCPU is
 *    ignored;
 *  - fixed IPIs: the target's virtual IRR plus a physical IPI (host vector
 *    0xf0) to its CPU, which exits the guest (INTR intercept; VMRUN runs
 *    with the host's IF = 1, smp_run.S) or wakes it from HLT; the highest
 *    pending vector is injected by EVENTINJ when the guest can take it
 *    (RFLAGS.IF = 1, no interrupt shadow), else a virtual interrupt window
 *    is requested (V_IRQ with the VINTR intercept, APM 15.21.4);
 *  - guest HLT with IF = 1 and nothing pending halts the CPU.
 * One lock serializes exit handling (smp_exits.c's handlers use the
 * pointers hv_smp_vmcb / hv_smp_regs of the handling vCPU). */
#include <stdarg.h>

#include "hv.h"
#include "smp.h"
#include "../common/smp_vlapic.h"

#ifndef VMEXIT_VINTR
#define VMEXIT_VINTR 0x064
#endif
#define V_IRQ (1ull << 8)
#define V_IGN_TPR (1ull << 20)
#define V_INTR_PRIO_MAX (15ull << 16)

struct vcpu {
  struct vmcb *vmcb;
  struct hv_gprs *regs;
  void *host_save, *hsave;
  uint64_t counts[256], other;
};

static struct vcpu vcpus[VLAPIC_MAX];
static struct vmcb ap_vmcbs[VLAPIC_MAX - 1];
static struct hv_gprs ap_regs[VLAPIC_MAX - 1];
static struct vlapic_set apics = {.n = 1};
static spinlock_t big_lock;

static struct vlapic *apic(struct vcpu *v) { return &apics.cpu[v - vcpus]; }

static void *page(void) {
  void *p = alloc_page(); /* lib/paging.c: zeroed, identity mapped */
  memset(p, 0, 4096);
  return p;
}

static void use(struct vcpu *v) {
  hv_smp_vmcb = v->vmcb;
  hv_smp_regs = v->regs;
}

/* x2APIC MSRs and IA32_APIC_BASE (EXITINFO1: 0 read, 1 write); 0 for
 * any other MSR. */
static int apic_msr(struct vcpu *v) {
  struct vmcb *m = v->vmcb;
  const uint32_t msr = (uint32_t)v->regs->r[R_RCX];
  const int write = m->control.exitinfo1 & 1;
  const uint64_t val = (m->save.rax & 0xffffffffu) | (v->regs->r[R_RDX] << 32);
  uint64_t r = 0;
  if (!vlapic_msr(&apics, (unsigned)(v - vcpus), msr, write, val, &r)) return 0;
  if (!write) {
    m->save.rax = (uint32_t)r;
    v->regs->r[R_RDX] = r >> 32;
  }
  hv_smp_skip_insn(2);
  return 1;
}

/* Before VMRUN: inject the highest pending vector when the guest can take
 * it, else request a virtual interrupt window. */
static void deliver(struct vcpu *v) {
  struct vmcb_control *c = &v->vmcb->control;
  const int vec = vlapic_pending(apic(v));
  int window = 0;
  if (vec >= 0) {
    if ((c->eventinj & SVM_EVENT_VALID) || !(v->vmcb->save.rflags & (1u << 9)) || (c->interrupt_shadow & 1)) {
      window = 1;
    } else {
      vlapic_accept(apic(v), vec);
      c->eventinj = SVM_EVENT_VALID | ((uint64_t)SVM_EVENT_TYPE_INTR << 8) | (uint64_t)vec;
    }
  }
  if (window) {
    c->vintr |= V_IRQ | V_IGN_TPR | V_INTR_PRIO_MAX;
    c->intercept_misc1 |= SVM_INTERCEPT1_VINTR;
  } else {
    c->vintr &= ~(V_IRQ | V_IGN_TPR | V_INTR_PRIO_MAX);
    c->intercept_misc1 &= ~SVM_INTERCEPT1_VINTR;
  }
}

static int smp_exit(struct vcpu *v, uint64_t code) {
  struct vmcb *m = v->vmcb;
  switch (code) {
    case VMEXIT_INTR: /* the kick: the host takes it now */
      __asm__ volatile("sti; nop; cli" ::: "memory");
      return 1;
    case VMEXIT_VINTR:
      return 1; /* deliver() injects */
    case VMEXIT_HLT:
      if (!(m->save.rflags & (1u << 9))) return 0; /* nothing can wake it: the end */
      hv_smp_skip_insn(1);
      if (vlapic_highest(apic(v)->irr) < 0) {
        spin_unlock(&big_lock);
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        spin_lock(&big_lock);
        use(v);
      }
      return 1;
    case VMEXIT_MSR:
      return apic_msr(v);
    default:
      return 0;
  }
}

static void __attribute__((noreturn)) run_vcpu(struct vcpu *v) {
  spin_lock(&big_lock);
  for (;;) {
    deliver(v);
    v->vmcb->control.vmcb_clean = 0;
    spin_unlock(&big_lock);
    svm_run_smp((uint64_t)(uintptr_t)v->vmcb, v->regs, (uint64_t)(uintptr_t)v->host_save);
    spin_lock(&big_lock);
    use(v);
    struct vmcb_control *c = &v->vmcb->control;
    c->tlb_control = SVM_TLB_DO_NOTHING;
    const uint64_t code = c->exitcode;
    if (code < 256) v->counts[code]++;
    else v->other++;
    /* An event being delivered at the exit is injected again (as exits.c). */
    const uint64_t e = c->exitintinfo;
    c->eventinj = 0;
    if (smp_exit(v, code)) {
      if ((e & SVM_EVENT_VALID) && SVM_EVENT_TYPE(e) != SVM_EVENT_TYPE_SOFT_INT) c->eventinj = e;
    } else {
      hv_smp_handle_exit();
    }
  }
}

/* The INIT state at a STARTUP IPI: real mode at vector << 12 (APM Vol. 2
 * 14.1.3 / SDM Vol. 3 9.4.2). */
static void enter_at_sipi(struct vcpu *v, uint8_t vector) {
  struct vmcb_save *s = &v->vmcb->save;
  const struct vmcb_seg data = {0, 0x93, 0xffff, 0};
  s->es = s->ss = s->ds = s->fs = s->gs = data;
  s->cs = data;
  s->cs.selector = (uint16_t)(vector << 8);
  s->cs.base = (uint64_t)vector << 12;
  s->cs.attrib = 0x9b;
  s->gdtr.base = 0;
  s->gdtr.limit = 0xffff;
  s->idtr.base = 0;
  s->idtr.limit = 0xffff;
  s->tr.attrib = 0x8b;
  s->tr.limit = 0xffff;
  s->ldtr.attrib = 0x82;
  s->ldtr.limit = 0xffff;
  s->cpl = 0;
  s->rflags = 0x2;
  s->rip = 0;
  s->rsp = 0;
  s->rax = 0;
  s->cr0 = 0x10; /* ET: protection and paging off */
  s->cr3 = 0;
  s->cr4 = 0;
  s->efer = EFER_SVME; /* the guest sees 0 */
  s->dr6 = 0xffff0ff0u;
  s->dr7 = 0x400;
  s->g_pat = 0x0007040600070406ull;
  memset(v->regs, 0, sizeof *v->regs);
  v->vmcb->control.tlb_control = SVM_TLB_FLUSH_ALL;
  v->vmcb->control.eventinj = 0;
}

static void ap_entry(unsigned id) {
  spin_lock(&big_lock);
  struct vcpu *v = &vcpus[id];
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME); /* per core (APM 15.4) */
  wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)v->hsave);
  spin_unlock(&big_lock);
  while (!apic(v)->sipi) __asm__ volatile("sti; hlt; cli" ::: "memory");
  spin_lock(&big_lock);
  enter_at_sipi(v, apic(v)->sipi_vector);
  apic(v)->running = 1;
  printf("hv: vcpu %u started at SIPI vector 0x%x\n", id, apic(v)->sipi_vector);
  spin_unlock(&big_lock);
  run_vcpu(v);
}

static void print_counts(const uint64_t *c, uint64_t other) {
  int done[256] = {0};
  for (;;) {
    int best = -1;
    for (int r = 0; r < 256; r++)
      if (!done[r] && c[r] && (best < 0 || c[r] > c[best])) best = r;
    if (best < 0) break;
    done[best] = 1;
    const char *name = svm_exit_name((uint64_t)best);
    if (name) printf("hv:   %s %lu\n", name, c[best]);
    else printf("hv:   VMEXIT_0x%x %lu\n", best, c[best]);
  }
  if (other) printf("hv:   (other) %lu\n", other);
}

/* The exits of all vCPUs by reason as on a uniprocessor, then each vCPU's. */
void hv_smp_print_exit_counts(void) {
  static uint64_t total[256], other;
  for (unsigned i = 0; i < apics.n; i++) {
    for (int r = 0; r < 256; r++) total[r] += vcpus[i].counts[r];
    other += vcpus[i].other;
  }
  printf("hv: exits by reason:\n");
  print_counts(total, other);
  for (unsigned i = 0; i < apics.n; i++) {
    printf("hv: vcpu %u exits by reason:\n", i);
    print_counts(vcpus[i].counts, vcpus[i].other);
  }
}

void hv_smp_fatal(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("hv: ");
  vprintf(fmt, ap);
  va_end(ap);
  const struct vmcb_save *s = &hv_smp_vmcb->save;
  printf("hv: guest rip 0x%lx cs 0x%x cpl %u cr0 0x%lx efer 0x%lx exitcode 0x%lx info1 0x%lx info2 0x%lx\n",
         s->rip, s->cs.selector, s->cpl, s->cr0, s->efer, hv_smp_vmcb->control.exitcode,
         hv_smp_vmcb->control.exitinfo1, hv_smp_vmcb->control.exitinfo2);
  hv_smp_print_exit_counts();
  exit(code);
}

void hv_smp_start(void) {
  const unsigned n = hv_host_cpus();
  if (n < 2) return;
  if (!hv_npt) {
    printf("hv: %u CPUs: mmu=shadow runs one vCPU\n", n);
    return;
  }
  apics.n = n > VLAPIC_MAX ? VLAPIC_MAX : n;
  hv_vmcb.control.intercept_misc1 |= SVM_INTERCEPT1_INTR;
  for (unsigned i = 0; i < apics.n; i++) {
    struct vcpu *v = &vcpus[i];
    v->vmcb = i ? &ap_vmcbs[i - 1] : &hv_vmcb;
    v->regs = i ? &ap_regs[i - 1] : &hv_regs;
    v->host_save = page();
    v->hsave = page();
    if (i) *v->vmcb = hv_vmcb; /* the same intercepts, maps and nested table */
  }
  vlapic_init(&apics);
  const unsigned online = smp_start_aps(apics.n, ap_entry);
  printf("hv: %u CPUs online, %u vCPUs\n", online, apics.n);
  if (online != apics.n) hv_smp_fatal(HV_EXIT_SETUP, "not every CPU came online\n");
  run_vcpu(&vcpus[0]);
}
