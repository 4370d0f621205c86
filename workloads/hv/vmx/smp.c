/* hv_vmx on a multiprocessor (platform.cpus = N > 1, mmu=ept): one vCPU
 * per physical CPU, each with its own VMCS on its own core, all sharing
 * the guest's RAM and EPT. Nothing here runs on one CPU: the uniprocessor
 * entry loop (exits.c hv_run) is unchanged.
 *
 *  - Start-up. The BSP sets up VMX and vCPU 0 as on a uniprocessor, then
 *    starts its physical APs (lib/smp.c, INIT-SIPI-SIPI). Each AP enters
 *    VMX operation with its own VMXON region and VMCS, its own GDT copy
 *    and TR (a VMCS host TR selector must be non-null, SDM Vol. 3C 26.2.3),
 *    the shared EPT, and waits in HLT: its vCPU is in wait-for-SIPI.
 *  - Virtual x2APIC. The guest sees x2APIC mode (IA32_APIC_BASE EN and
 *    EXTD, SDM Vol. 3 11.12); every x2APIC MSR access exits (MSR bitmap)
 *    and is emulated by the vLAPIC both hypervisors share
 *    (hv/common/smp_vlapic.c): ID (= vCPU = physical APIC ID), version,
 *    TPR, SVR, EOI, ICR and SELF IPI. No xAPIC page is mapped in the EPT.
 *  - INIT/SIPI are emulated as KVM does: an INIT marks the target
 *    wait-for-SIPI, a STARTUP IPI to a vCPU in that state sets its VMCS to
 *    real mode at CS = vector << 8, IP = 0 (unrestricted guest) and lets
 *    its CPU enter it; a SIPI to a running vCPU is ignored (9.4.4.1 sends
 *    two).
 *  - Fixed IPIs: the sender sets the vector in the target's virtual IRR
 *    and sends a physical IPI (host vector 0xf0) to the target's CPU. That
 *    CPU is either in the guest (external-interrupt exit: the host takes
 *    the interrupt with STI and EOIs it) or in host HLT (it wakes). Before
 *    each VM entry the highest pending vector is injected when the guest
 *    can take it (RFLAGS.IF = 1, no STI/MOV SS blocking), else
 *    interrupt-window exiting is set (SDM Vol. 3C 25.6.2, 26.6.5). EOI
 *    clears the highest in-service vector.
 *  - A guest HLT with IF = 1 and nothing pending halts the physical CPU
 *    until the next physical IPI.
 *  - One lock serializes exit handling: the uniprocessor handlers keep
 *    their globals (gregs, the guest CR/EFER mirrors in hv), which hold the
 *    handling vCPU's values while the lock is held (load/save below). The
 *    guest registers of a vCPU in VM entry/exit live in its own struct. */
#include "hv.h"
#include "smp.h"
#include "../common/smp_vlapic.h"

struct vcpu {
  struct guest_regs regs;
  uint64_t cr0, cr3, cr4, efer, tpr;
  uint32_t entry_ctls;
  int launched, window;
  uint64_t counts[VMX_EXIT_REASONS]; /* exits by basic reason */
};

static struct vcpu vcpus[VLAPIC_MAX];
static struct vlapic_set apics = {.n = 1};
static spinlock_t big_lock;

static struct vlapic *apic(struct vcpu *v) { return &apics.cpu[v - vcpus]; }
static uint64_t eptp;

static void load(struct vcpu *v) {
  hv_smp_use_counts(v->counts);
  gregs = v->regs;
  hv.guest_cr0 = v->cr0;
  hv.guest_cr3 = v->cr3;
  hv.guest_cr4 = v->cr4;
  hv.guest_efer = v->efer;
  hv.tpr = v->tpr;
  hv.entry_ctls = v->entry_ctls;
}
static void save(struct vcpu *v) {
  v->regs = gregs;
  v->cr0 = hv.guest_cr0;
  v->cr3 = hv.guest_cr3;
  v->cr4 = hv.guest_cr4;
  v->efer = hv.guest_efer;
  v->tpr = hv.tpr;
  v->entry_ctls = hv.entry_ctls;
}

/* An x2APIC MSR or IA32_APIC_BASE access; 0 when msr is neither. */
static int apic_msr(struct vcpu *v, int write) {
  const uint32_t msr = (uint32_t)gregs.rcx;
  const uint64_t val = (gregs.rdx << 32) | (uint32_t)gregs.rax;
  uint64_t r = 0;
  if (!vlapic_msr(&apics, (unsigned)(v - vcpus), msr, write, val, &r)) return 0;
  if (!write) {
    gregs.rax = (uint32_t)r;
    gregs.rdx = r >> 32;
  }
  hv_smp_skip_instruction();
  return 1;
}

/* Before a VM entry (lock held): inject the highest pending vector if the
 * guest can take it now, else ask for an interrupt-window exit. */
static void deliver(struct vcpu *v) {
  const int vec = vlapic_pending(apic(v));
  int want_window = 0;
  if (vec >= 0) {
    const int blocked = (vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID) ||
                        !(vmread(VMCS_GUEST_RFLAGS) & (1u << 9)) ||
                        (vmread(VMCS_GUEST_INTERRUPTIBILITY) & 3);
    if (blocked) {
      want_window = 1;
    } else {
      vlapic_accept(apic(v), vec);
      vmwrite(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INT | (uint32_t)vec);
    }
  }
  if (want_window != v->window) {
    v->window = want_window;
    vmwrite(VMCS_CPU_CTLS, hv.cpu_ctls | (want_window ? CPU_INTR_WINDOW : 0));
  }
}

/* The exits this layer handles itself; 0: the uniprocessor handler's. */
static int smp_exit(struct vcpu *v, uint32_t reason) {
  switch (reason) {
    case EXIT_EXTERNAL_INTERRUPT: /* the kick: let the host take and EOI it */
      __asm__ volatile("sti; nop; cli" ::: "memory");
      return 1;
    case EXIT_INTERRUPT_WINDOW:
      return 1; /* deliver() injects before the next entry */
    case EXIT_HLT:
      if (!(vmread(VMCS_GUEST_RFLAGS) & (1u << 9))) return 0; /* the end of the run */
      hv_smp_skip_instruction();
      if (vlapic_highest(apic(v)->irr) < 0) { /* sleep until the next physical IPI */
        save(v);                 /* the globals are another vCPU's meanwhile */
        spin_unlock(&big_lock);
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        spin_lock(&big_lock);
        load(v);
      }
      return 1;
    case EXIT_RDMSR:
    case EXIT_WRMSR:
      return apic_msr(v, reason == EXIT_WRMSR);
    default:
      return 0;
  }
}

/* vCPU v's entry loop on its own CPU. */
static void __attribute__((noreturn)) run_vcpu(struct vcpu *v) {
  spin_lock(&big_lock);
  for (;;) {
    deliver(v);
    spin_unlock(&big_lock);
    const int st = vmx_run(&v->regs, v->launched);
    spin_lock(&big_lock);
    if (st) {
      printf("hv: vcpu %u: %s failed: %s\n", (unsigned)(v - vcpus), v->launched ? "VMRESUME" : "VMLAUNCH",
             st == 1 ? "VMfailInvalid" : vmx_instr_error_name((unsigned)vmread(VMCS_INSTR_ERROR)));
      hv_smp_exit(HV_EXIT_SETUP);
    }
    v->launched = 1;
    const uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
    load(v);
    if (smp_exit(v, reason & 0xffff)) {
      v->counts[reason & 0xffff]++;
      /* An exit during event delivery: deliver the event again (28.2.4). */
      const uint32_t vec = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
      if ((vec & INTR_INFO_VALID) && !(vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID))
        hv_smp_inject(vec & 0xff, vec & 0x700, (vec & INTR_INFO_ERROR_VALID) != 0,
                  (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR), (uint32_t)vmread(VMCS_EXIT_INSTR_LEN));
    } else {
      hv_smp_handle_exit(reason);
    }
    save(v);
  }
}

/* A STARTUP IPI: the INIT state, executing in real mode at vector << 12
 * (SDM Vol. 3 9.4.2, Table 10-1); unrestricted guest runs it as is. */
static void enter_at_sipi(uint8_t vector) {
  for (unsigned i = 0; i < 6; i++) {
    const uint32_t f = 2 * i; /* ES, CS, SS, DS, FS, GS */
    const int cs = i == 1;
    vmwrite(VMCS_GUEST_ES_SEL + f, cs ? (uint32_t)vector << 8 : 0);
    vmwrite(VMCS_GUEST_ES_BASE + f, cs ? (uint64_t)vector << 12 : 0);
    vmwrite(VMCS_GUEST_ES_LIMIT + f, 0xffff);
    vmwrite(VMCS_GUEST_ES_AR + f, cs ? 0x9b : 0x93);
  }
  vmwrite(VMCS_GUEST_GDTR_LIMIT, 0xffff);
  vmwrite(VMCS_GUEST_IDTR_LIMIT, 0xffff);
  vmwrite(VMCS_GUEST_RIP, 0);
  vmwrite(VMCS_GUEST_RSP, 0);
  vmwrite(VMCS_GUEST_RFLAGS, 0x2);
  hv.guest_cr0 = 0x10; /* ET; paging and protection off */
  hv.guest_cr3 = 0;
  hv.guest_cr4 = 0;
  hv.guest_efer = 0;
  hv_update_paging_state();
  struct guest_regs zero = {0};
  gregs = zero;
}

/* This AP's own GDT copy with the TSS descriptor marked available, so
 * that LTR (and the VMCS host TR selector) work on every CPU. */
static void own_gdt_and_tr(void) {
  struct {
    uint16_t limit;
    uint64_t base;
  } __attribute__((packed)) g;
  __asm__ volatile("sgdt %0" : "=m"(g));
  uint64_t *copy = hv_alloc_pages(1);
  memcpy(copy, (void *)(uintptr_t)g.base, (size_t)g.limit + 1);
  copy[SEL_TSS >> 3] &= ~(1ull << 41); /* busy 64-bit TSS -> available */
  g.base = (uint64_t)(uintptr_t)copy;
  __asm__ volatile("lgdt %0; ltr %w1" ::"m"(g), "r"(SEL_TSS) : "memory");
}

/* An AP (lib/smp.c entry, interrupts off): VMX operation, its VMCS, then
 * its vCPU waits for the guest's STARTUP IPI. */
static void ap_entry(unsigned id) {
  spin_lock(&big_lock);
  struct vcpu *v = &vcpus[id];
  own_gdt_and_tr();
  const uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL); /* per core (SDM Vol. 3C 24.7) */
  if (!(fc & FEATURE_CONTROL_LOCK))
    wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
  write_cr4(read_cr4() | CR4_VMXE);
  write_cr0((read_cr0() | hv.cr0_fixed0) & hv.cr0_fixed1);
  write_cr4((read_cr4() | hv.cr4_fixed0) & hv.cr4_fixed1);
  const uint32_t rev = (uint32_t)rdmsr(MSR_IA32_VMX_BASIC) & 0x7fffffff;
  uint32_t *vmxon = hv_alloc_pages(1), *vmcs = hv_alloc_pages(1);
  vmxon[0] = rev;
  vmcs[0] = rev;
  if (vmx_vmxon((uint64_t)(uintptr_t)vmxon) || vmx_vmclear((uint64_t)(uintptr_t)vmcs) ||
      vmx_vmptrld((uint64_t)(uintptr_t)vmcs)) {
    printf("hv: cpu %u: VMXON/VMPTRLD failed\n", id);
    hv_smp_exit(HV_EXIT_SETUP);
  }
  vmcs_setup_controls();
  vmwrite(VMCS_EPT_POINTER, eptp);
  if (hv.cpu_ctls2 & CPU2_VPID) vmwrite(VMCS_VPID, 1);
  if (hv.cpu_ctls & CPU_TPR_SHADOW) vmwrite(VMCS_VIRTUAL_APIC_ADDR, (uint64_t)(uintptr_t)hv_alloc_pages(1));
  vmcs_setup_host();
  vmcs_setup_guest(0, 0);
  save(v);
  spin_unlock(&big_lock);
  while (!apic(v)->sipi) __asm__ volatile("sti; hlt; cli" ::: "memory");
  spin_lock(&big_lock);
  load(v);
  enter_at_sipi(apic(v)->sipi_vector);
  save(v);
  apic(v)->running = 1;
  printf("hv: vcpu %u started at SIPI vector 0x%x\n", id, apic(v)->sipi_vector);
  spin_unlock(&big_lock);
  run_vcpu(v);
}

/* Prints "hv: NAME COUNT" lines, most frequent first. */
static void print_counts(const uint64_t *c, const char *indent) {
  int done[VMX_EXIT_REASONS] = {0};
  for (;;) {
    int best = -1;
    for (int r = 0; r < VMX_EXIT_REASONS; r++)
      if (!done[r] && c[r] && (best < 0 || c[r] > c[best])) best = r;
    if (best < 0) return;
    done[best] = 1;
    printf("hv: %s%s %lu\n", indent, vmx_exit_reason_name((unsigned)best), c[best]);
  }
}

/* The end of a multiprocessor run (exits.c's hv_exit in smp_exits.c): the
 * exits of all vCPUs by reason as on a uniprocessor, then each vCPU's. */
void hv_smp_exit(int code) {
  static uint64_t total[VMX_EXIT_REASONS];
  for (unsigned i = 0; i < apics.n; i++)
    for (int r = 0; r < VMX_EXIT_REASONS; r++) total[r] += vcpus[i].counts[r];
  printf("hv: exits by reason:\n");
  print_counts(total, "  ");
  for (unsigned i = 0; i < apics.n; i++) {
    printf("hv: vcpu %u exits by reason:\n", i);
    print_counts(vcpus[i].counts, "  ");
  }
  printf("hv: exit %d\n", code);
  while (!(inb(0x3fd) & 0x40)) /* LSR.TEMT: the last byte has left the UART */
    ;
  outb(0xf4, (uint8_t)code);
  for (;;) __asm__ volatile("cli; hlt");
}

void hv_smp_start(void) {
  const unsigned n = hv_host_cpus();
  if (n < 2) return;
  if (hv.mmu != MMU_EPT) {
    printf("hv: %u CPUs: mmu=shadow runs one vCPU\n", n);
    return;
  }
  apics.n = n > VLAPIC_MAX ? VLAPIC_MAX : n;
  eptp = vmread(VMCS_EPT_POINTER);
  save(&vcpus[0]);
  vlapic_init(&apics);
  const unsigned online = smp_start_aps(apics.n, ap_entry);
  printf("hv: %u CPUs online, %u vCPUs\n", online, apics.n);
  if (online != apics.n) hv_smp_exit(HV_EXIT_SETUP);
  run_vcpu(&vcpus[0]);
}
