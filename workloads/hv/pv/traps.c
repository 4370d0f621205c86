/* Hypercalls, exceptions bounced to the guest kernel, system-call
 * delivery, event channels, and the I/O emulation of a guest kernel with a
 * virtual IOPL. */
#include "hv.h"

#define RFLAGS_IF (1ull << 9)
#define RFLAGS_SAFE 0x3FFDD7ull /* CF PF AF ZF SF TF IF DF OF AC ID...: no IOPL, NT, RF, VM */

static const uint32_t has_error = (1u << 8) | (0x7Cu << 8) | (1u << 17) | (1u << 21) | (1u << 29) | (1u << 30);

void pv_shutdown(uint32_t code) {
  printf("hv: shutdown, exit %u\n", code);
  printf("hv: hypercalls:");
  static const char *const names[PV_NR_HYPERCALLS] = {
      [__HYPERVISOR_set_trap_table] = "set_trap_table", [__HYPERVISOR_mmu_update] = "mmu_update",
      [__HYPERVISOR_stack_switch] = "stack_switch",     [__HYPERVISOR_set_callbacks] = "set_callbacks",
      [__HYPERVISOR_multicall] = "multicall",           [__HYPERVISOR_update_va_mapping] = "update_va_mapping",
      [__HYPERVISOR_set_timer_op] = "set_timer_op",     [__HYPERVISOR_xen_version] = "xen_version",
      [__HYPERVISOR_console_io] = "console_io",         [__HYPERVISOR_iret] = "iret",
      [__HYPERVISOR_mmuext_op] = "mmuext_op",           [__HYPERVISOR_sched_op] = "sched_op",
      [__HYPERVISOR_callback_op] = "callback_op",       [__HYPERVISOR_event_channel_op] = "event_channel_op",
      [__HYPERVISOR_physdev_op] = "physdev_op"};
  for (int i = 0; i < PV_NR_HYPERCALLS; i++)
    if (dom.hypercalls[i]) printf(" %s %lu", names[i] ? names[i] : "?", dom.hypercalls[i]);
  printf("\nhv: page-table entries updated %lu, multicall entries %lu, refused %lu\n", dom.mmu_entries,
         dom.multicall_entries, dom.refused);
  printf("hv: system calls bounced %lu, upcalls %lu, I/O emulated %lu, exceptions bounced:", dom.syscalls,
         dom.upcalls, dom.emulated_io);
  for (int v = 0; v < 32; v++)
    if (dom.bounces[v]) printf(" %d:%lu", v, dom.bounces[v]);
  printf("\n");
  exit((int)code);
}

static void crash(const char *why, const struct wl_frame *f) {
  printf("hv: guest crashed: %s (rip 0x%lx cs 0x%lx rsp 0x%lx)\n", why, f->rip, f->cs, f->rsp);
  pv_shutdown(HV_EXIT_CRASH);
}

/* Builds the bounce frame (pv_abi.h) on the guest kernel stack and points
 * the return to handler, in guest kernel mode. */
static void bounce(struct wl_frame *f, uint64_t handler, int with_error, uint64_t error, int mask_events) {
  if (!handler) crash("no handler for a bounced event", f);
  uint64_t sp;
  if (vcpu.kernel_mode) {
    sp = f->rsp & ~15ull;
  } else {
    if (!vcpu.kernel_sp) crash("no kernel stack (stack_switch)", f);
    sp = vcpu.kernel_sp & ~15ull;
    switch_to_kernel_mode();
  }
  uint64_t w[8];
  int n = 0;
  w[n++] = f->rcx;
  w[n++] = f->r11;
  if (with_error) w[n++] = error;
  w[n++] = f->rip;
  w[n++] = f->cs;
  w[n++] = f->rflags;
  w[n++] = f->rsp;
  w[n++] = f->ss;
  sp -= (uint64_t)n * 8;
  if (copy_to_guest(sp, w, (uint64_t)n * 8)) crash("guest kernel stack not writable", f);
  vcpu.kernel_mode = 1;
  f->rip = handler;
  f->cs = PV_KERNEL_CS;
  f->ss = PV_USER_SS;
  f->rsp = sp;
  f->rflags &= ~((1ull << 8) | (1ull << 16) | (1ull << 14)); /* TF, RF, NT */
  if (mask_events) dom.shared->vcpu_info[0].evtchn_upcall_mask = 1;
}

void raise_virq(uint32_t virq) {
  uint32_t port = virq < 8 ? dom.virq_port[virq] : 0;
  if (!port) return;
  struct shared_info *s = dom.shared;
  s->evtchn_pending[port / 64] |= 1ull << (port % 64);
  if (s->evtchn_mask[port / 64] & (1ull << (port % 64))) return;
  s->vcpu_info[0].evtchn_pending_sel |= 1ull << (port / 64);
  s->vcpu_info[0].evtchn_upcall_pending = 1;
}

static void send_port(uint32_t port) {
  struct shared_info *s = dom.shared;
  s->evtchn_pending[port / 64] |= 1ull << (port % 64);
  if (s->evtchn_mask[port / 64] & (1ull << (port % 64))) return;
  s->vcpu_info[0].evtchn_pending_sel |= 1ull << (port / 64);
  s->vcpu_info[0].evtchn_upcall_pending = 1;
}

static void check_timer(void) {
  if (vcpu.timer_deadline && rdtsc() >= vcpu.timer_deadline) {
    vcpu.timer_deadline = 0;
    raise_virq(VIRQ_TIMER);
  }
}

/* Before every return to the guest: a pending, unmasked event becomes an
 * upcall (Xen: the event callback, entered with events masked). */
static void deliver_events(struct wl_frame *f) {
  check_timer();
  struct vcpu_info *vi = &dom.shared->vcpu_info[0];
  if (!vi->evtchn_upcall_pending || vi->evtchn_upcall_mask || !vcpu.event_cb) return;
  pv_ev_end();
  pv_ev_begin(PV_EV_UPCALL);
  dom.upcalls++;
  bounce(f, vcpu.event_cb, 0, 0, 1);
}

static long do_iret(struct wl_frame *f) {
  struct iret_context c;
  if (copy_from_guest(&c, f->rsp, sizeof c)) crash("iret: bad frame", f);
  if (c.cs != PV_KERNEL_CS && c.cs != PV_USER_CS) crash("iret: bad code selector", f);
  f->rax = c.rax;
  f->r11 = c.r11;
  f->rcx = c.rcx;
  f->rip = c.rip;
  f->cs = c.cs;
  f->rflags = (c.rflags & RFLAGS_SAFE) | RFLAGS_IF | 2;
  f->rsp = c.rsp;
  f->ss = PV_USER_SS;
  if (vcpu.kernel_mode && c.cs == PV_USER_CS) switch_to_user_mode();
  vcpu.kernel_mode = c.cs == PV_KERNEL_CS;
  /* Xen restores the event mask from the context's IF. */
  dom.shared->vcpu_info[0].evtchn_upcall_mask = !(c.rflags & RFLAGS_IF);
  return (long)c.rax;
}

static long do_set_trap_table(uint64_t va) {
  for (int i = 0; i < 256; i++) {
    struct trap_info t;
    if (copy_from_guest(&t, va + (uint64_t)i * sizeof t, sizeof t)) return -PV_EFAULT;
    if (t.address == 0) return 0;
    if (t.address >= 0x0000800000000000ull) return -PV_EINVAL;
    vcpu.traps[t.vector] = t;
  }
  return 0;
}

static long do_console_io(uint64_t cmd, uint64_t count, uint64_t va) {
  if (cmd != CONSOLEIO_write) return -PV_ENOSYS;
  char buf[128];
  for (uint64_t done = 0; done < count;) {
    uint64_t n = count - done > sizeof buf ? sizeof buf : count - done;
    if (copy_from_guest(buf, va + done, n)) return -PV_EFAULT;
    for (uint64_t i = 0; i < n; i++) serial_putc(buf[i]);
    done += n;
  }
  return 0;
}

static long do_sched_op(uint64_t cmd, uint64_t arg, struct wl_frame *f) {
  switch (cmd) {
    case SCHEDOP_yield: return 0; /* one vCPU: nothing else to run */
    case SCHEDOP_block: {
      /* Blocks until an event is pending (with events enabled, as Xen
       * requires for block); the only source without the guest is the timer. */
      struct vcpu_info *vi = &dom.shared->vcpu_info[0];
      vi->evtchn_upcall_mask = 0;
      while (!vi->evtchn_upcall_pending) {
        if (!vcpu.timer_deadline || !dom.virq_port[VIRQ_TIMER]) crash("block with no event source", f);
        __asm__ volatile("pause");
        check_timer();
      }
      return 0;
    }
    case SCHEDOP_shutdown: {
      struct sched_shutdown s;
      if (copy_from_guest(&s, arg, sizeof s)) return -PV_EFAULT;
      pv_ev_end();
      pv_shutdown(s.reason == SHUTDOWN_poweroff ? s.exit_code : HV_EXIT_CRASH);
    }
    default: return -PV_ENOSYS;
  }
}

static long do_event_channel_op(uint64_t cmd, uint64_t va) {
  switch (cmd) {
    case EVTCHNOP_bind_virq: {
      struct evtchn_bind_virq b;
      if (copy_from_guest(&b, va, sizeof b)) return -PV_EFAULT;
      if (b.virq >= 8 || b.vcpu != 0) return -PV_EINVAL;
      if (dom.virq_port[b.virq]) return -PV_EBUSY;
      for (uint32_t p = 1; p < PV_NR_EVTCHN; p++)
        if (!dom.port_virq[p]) {
          dom.port_virq[p] = (uint8_t)(1 + b.virq);
          dom.virq_port[b.virq] = p;
          b.port = p;
          return copy_to_guest(va, &b, sizeof b);
        }
      return -PV_ENOSPC;
    }
    case EVTCHNOP_bind_ipi: {
      struct evtchn_bind_ipi b;
      if (copy_from_guest(&b, va, sizeof b)) return -PV_EFAULT;
      if (b.vcpu != 0) return -PV_EINVAL;
      for (uint32_t p = 1; p < PV_NR_EVTCHN; p++)
        if (!dom.port_virq[p]) {
          dom.port_virq[p] = 0x80;
          b.port = p;
          return copy_to_guest(va, &b, sizeof b);
        }
      return -PV_ENOSPC;
    }
    case EVTCHNOP_close:
    case EVTCHNOP_send:
    case EVTCHNOP_unmask: {
      struct evtchn_port_op o;
      if (copy_from_guest(&o, va, sizeof o)) return -PV_EFAULT;
      if (o.port == 0 || o.port >= PV_NR_EVTCHN || !dom.port_virq[o.port]) return -PV_EINVAL;
      if (cmd == EVTCHNOP_send) {
        if (dom.port_virq[o.port] != 0x80) return -PV_EINVAL; /* only IPI ports are sent to */
        send_port(o.port);
      } else if (cmd == EVTCHNOP_unmask) {
        struct shared_info *s = dom.shared;
        s->evtchn_mask[o.port / 64] &= ~(1ull << (o.port % 64));
        if (s->evtchn_pending[o.port / 64] & (1ull << (o.port % 64))) send_port(o.port);
      } else {
        if (dom.port_virq[o.port] != 0x80) dom.virq_port[dom.port_virq[o.port] - 1] = 0;
        dom.port_virq[o.port] = 0;
      }
      return 0;
    }
    default: return -PV_ENOSYS;
  }
}

static long hypercall(struct wl_frame *f, uint64_t nr, const uint64_t *a, int nested);

static long do_multicall(uint64_t va, uint64_t count, struct wl_frame *f) {
  for (uint64_t i = 0; i < count; i++) {
    struct multicall_entry m;
    uint64_t at = va + i * sizeof m;
    if (copy_from_guest(&m, at, sizeof m)) return -PV_EFAULT;
    dom.multicall_entries++;
    m.result = (uint64_t)hypercall(f, m.op, m.args, 1);
    if (copy_to_guest(at + 8, &m.result, 8)) return -PV_EFAULT;
  }
  return 0;
}

static long hypercall(struct wl_frame *f, uint64_t nr, const uint64_t *a, int nested) {
  if (nr >= PV_NR_HYPERCALLS) return -PV_ENOSYS;
  dom.hypercalls[nr]++;
  switch (nr) {
    case __HYPERVISOR_set_trap_table: return do_set_trap_table(a[0]);
    case __HYPERVISOR_mmu_update: return do_mmu_update(a[0], a[1], a[2]);
    case __HYPERVISOR_stack_switch:
      if (a[0] != PV_USER_SS) return -PV_EINVAL;
      vcpu.kernel_ss = a[0];
      vcpu.kernel_sp = a[1];
      return 0;
    case __HYPERVISOR_set_callbacks:
      vcpu.event_cb = a[0];
      vcpu.failsafe_cb = a[1];
      vcpu.syscall_cb = a[2];
      return 0;
    case __HYPERVISOR_multicall:
      if (nested) return -PV_EINVAL;
      return do_multicall(a[0], a[1], f);
    case __HYPERVISOR_update_va_mapping: return do_update_va_mapping(a[0], a[1], a[2]);
    case __HYPERVISOR_set_timer_op:
      vcpu.timer_deadline = a[0];
      return 0;
    case __HYPERVISOR_xen_version: return a[0] == XENVER_version ? (4l << 16) | 19 : -PV_ENOSYS;
    case __HYPERVISOR_console_io: return do_console_io(a[0], a[1], a[2]);
    case __HYPERVISOR_iret:
      if (nested) return -PV_EINVAL;
      return do_iret(f);
    case __HYPERVISOR_mmuext_op: return do_mmuext_op(a[0], a[1], a[2]);
    case __HYPERVISOR_sched_op: return do_sched_op(a[0], a[1], f);
    case __HYPERVISOR_callback_op: {
      struct callback_register r;
      if (a[0] != CALLBACKOP_register) return -PV_ENOSYS;
      if (copy_from_guest(&r, a[1], sizeof r)) return -PV_EFAULT;
      if (r.type == CALLBACKTYPE_event) vcpu.event_cb = r.address;
      else if (r.type == CALLBACKTYPE_failsafe) vcpu.failsafe_cb = r.address;
      else if (r.type == CALLBACKTYPE_syscall) vcpu.syscall_cb = r.address;
      else return -PV_EINVAL;
      return 0;
    }
    case __HYPERVISOR_event_channel_op: return do_event_channel_op(a[0], a[1]);
    case __HYPERVISOR_physdev_op: {
      struct physdev_set_iopl s;
      if (a[0] != PHYSDEVOP_set_iopl) return -PV_ENOSYS;
      if (copy_from_guest(&s, a[1], sizeof s)) return -PV_EFAULT;
      vcpu.iopl = s.iopl & 3;
      return 0;
    }
    default: dom.hypercalls[nr]--; return -PV_ENOSYS;
  }
}

/* SYSCALL: a hypercall from guest kernel mode, a system call from guest
 * user mode (bounced to the syscall callback, Xen x86-64 style). */
void hv_syscall(struct wl_frame *f) {
  f->cs = vcpu.kernel_mode ? PV_KERNEL_CS : PV_USER_CS;
  if (!vcpu.kernel_mode) {
    pv_ev_begin(PV_EV_SYSCALL);
    dom.syscalls++;
    bounce(f, vcpu.syscall_cb, 0, 0, 0);
  } else {
    const uint64_t nr = f->rax;
    pv_ev_begin(PV_EV_HYPERCALL(nr < 64 ? nr : 63));
    const uint64_t a[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};
    long r = hypercall(f, nr, a, 0);
    if (nr != __HYPERVISOR_iret) f->rax = (uint64_t)r;
  }
  deliver_events(f);
  pv_ev_end();
}

/* IN/OUT by a guest kernel whose virtual IOPL allows it (Xen emulates port
 * I/O of PV guests with I/O privileges).  Returns 1 when emulated. */
static int emulate_io(struct wl_frame *f) {
  if (!vcpu.kernel_mode || vcpu.iopl < 1) return 0;
  uint8_t b[3];
  if (copy_from_guest(b, f->rip, 1)) return 0;
  int opsize = 1, len = 1;
  if (b[0] == 0x66) {
    opsize = 2;
    if (copy_from_guest(b, f->rip + 1, 2)) return 0;
    len = 2;
  } else if (copy_from_guest(b, f->rip, 2)) {
    b[1] = 0;
  }
  uint8_t op = b[0];
  uint16_t port;
  if (op == 0xE4 || op == 0xE5 || op == 0xE6 || op == 0xE7) port = b[1], len++;
  else if (op == 0xEC || op == 0xED || op == 0xEE || op == 0xEF) port = (uint16_t)f->rdx;
  else return 0;
  if (op & 1) opsize = opsize == 2 ? 2 : 4;
  if (port == 0xf4 || (port >= 0x3f8 && port < 0x400)) return 0; /* the hypervisor's own ports */
  int in = (op & 2) == 0;
  if (in) {
    uint32_t v;
    if (opsize == 1) {
      uint8_t x;
      __asm__ volatile("inb %1, %0" : "=a"(x) : "Nd"(port));
      v = x;
      f->rax = (f->rax & ~0xFFull) | v;
    } else if (opsize == 2) {
      uint16_t x;
      __asm__ volatile("inw %1, %0" : "=a"(x) : "Nd"(port));
      f->rax = (f->rax & ~0xFFFFull) | x;
    } else {
      __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
      f->rax = v;
    }
  } else {
    if (opsize == 1) outb(port, (uint8_t)f->rax);
    else if (opsize == 2) outw(port, (uint16_t)f->rax);
    else outl(port, (uint32_t)f->rax);
  }
  f->rip += (uint64_t)len;
  return 1;
}

static void hv_trap(struct wl_frame *f) {
  const unsigned v = (unsigned)f->vector;
  if ((f->cs & 3) == 0) {
    printf("hv: FATAL: hypervisor exception %u at rip 0x%lx error 0x%lx cr2 0x%lx\n", v, f->rip, f->error,
           read_cr2());
    exit(HV_EXIT_CRASH);
  }
  f->cs = vcpu.kernel_mode ? PV_KERNEL_CS : PV_USER_CS;
  if (v == 13 && f->error == 0 && vcpu.kernel_mode && vcpu.iopl) {
    pv_ev_begin(PV_EV_EMUL_IO);
    if (emulate_io(f)) {
      dom.emulated_io++;
      deliver_events(f);
      pv_ev_end();
      return;
    }
    pv_ev_end();
  }
  pv_ev_begin(PV_EV_BOUNCE(v));
  if (v < 32) dom.bounces[v]++;
  if (v == 14) dom.shared->vcpu_info[0].arch.cr2 = read_cr2();
  const struct trap_info *t = &vcpu.traps[v];
  /* INT n from guest user mode needs a virtual gate DPL of 3. */
  if (v >= 32 && !vcpu.kernel_mode && TI_GET_DPL(t) < 3) {
    pv_ev_end();
    pv_ev_begin(PV_EV_BOUNCE(13));
    dom.bounces[13]++;
    t = &vcpu.traps[13];
    bounce(f, t->address, 1, (v << 3) | 2, TI_GET_IF(t));
  } else {
    const int err = v < 32 && (has_error >> v & 1);
    bounce(f, t->address, err, f->error, TI_GET_IF(t));
  }
  deliver_events(f);
  pv_ev_end();
}

void traps_init(void) {
  for (unsigned v = 0; v < 32; v++)
    if (v != 8 && v != 2 && v != 18) set_handler(v, hv_trap);
  set_handler(0x80, hv_trap);
}
