/* The PV guest's runtime in place of lib/boot.S, runtime.c, serial.c,
 * desc.c and multiboot.c: start-up from start_info, the console through
 * console_io, exit through sched_op(shutdown), the virtual IDT through
 * set_trap_table, the kernel stack through stack_switch, the system-call
 * entry through callback_op, and event channels (upcall, shared info). */
#include "../mk.h"

struct wl_mbi wl_mbi;
struct shared_info *pv_shared;
static struct start_info si;
static wl_handler handlers[256];
extern const uint64_t pv_exc_table[32];
extern char pv_upcall_entry[];
extern int kmain(uint32_t magic, uint32_t mbi);
void pv_mm_init(uint64_t initial_l4);
void pv_start(const struct start_info *start) __attribute__((noreturn));

/* Console: buffered per line, written with console_io. */
static char cbuf[256];
static unsigned clen;

static void console_flush(void) {
  if (clen) pv_hc(__HYPERVISOR_console_io, CONSOLEIO_write, clen, (uint64_t)cbuf, 0);
  clen = 0;
}

void serial_putc(char c) {
  cbuf[clen++] = c;
  if (c == '\n' || clen == sizeof cbuf) console_flush();
}

void serial_puts(const char *s) {
  while (*s) serial_putc(*s++);
}

void exit(int code) {
  console_flush();
  struct sched_shutdown s = {SHUTDOWN_poweroff, (uint32_t)code};
  pv_hc(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)&s, 0, 0);
  for (;;) __asm__ volatile("ud2");
}

static void fatal(const char *what, long rc) {
  printf("FATAL: pv: %s failed (%ld)\n", what, rc);
  exit(WL_EXIT_FATAL);
}

/* The virtual IDT: one trap_info per vector, DPL 3 for INT3. */
void set_handler(unsigned v, wl_handler h) {
  handlers[v & 255] = h;
  if (v >= 32) return;
  struct trap_info t[2] = {{(uint8_t)v, v == 3 ? 3 : 0, PV_KERNEL_CS, 0, pv_exc_table[v]}, {0, 0, 0, 0, 0}};
  long rc = pv_hc(__HYPERVISOR_set_trap_table, (uint64_t)t, 0, 0, 0);
  if (rc) fatal("set_trap_table", rc);
}

void set_rsp0(uint64_t rsp0) {
  long rc = pv_hc(__HYPERVISOR_stack_switch, PV_USER_SS, rsp0, 0, 0);
  if (rc) fatal("stack_switch", rc);
}

uint64_t pv_read_cr2(void) { return pv_shared->vcpu_info[0].arch.cr2; }

static uint64_t vtpr;
void write_cr8(uint64_t v) { vtpr = v & 15; }
uint64_t read_cr8(void) { return vtpr; }

/* MSR writes of the native start-up: LSTAR names the system-call entry,
 * which becomes the syscall callback; the others have no PV meaning. */
void pv_wrmsr(uint32_t msr, uint64_t v) {
  if (msr != MSR_LSTAR) return;
  struct callback_register r = {CALLBACKTYPE_syscall, 0, 0, v};
  long rc = pv_hc(__HYPERVISOR_callback_op, CALLBACKOP_register, (uint64_t)&r, 0, 0);
  if (rc) fatal("callback_op", rc);
}
uint64_t pv_rdmsr(uint32_t msr) {
  (void)msr;
  return 0;
}

/* Event channels. */
static uint32_t timer_port, ipi_port;
static uint64_t timer_events, ipi_events, upcalls;

static void pv_do_events(void) {
  struct vcpu_info *vi = &pv_shared->vcpu_info[0];
  upcalls++;
  while (vi->evtchn_upcall_pending) {
    vi->evtchn_upcall_pending = 0;
    uint64_t sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
      unsigned w = (unsigned)__builtin_ctzll(sel);
      sel &= sel - 1;
      uint64_t bits = pv_shared->evtchn_pending[w] & ~pv_shared->evtchn_mask[w];
      while (bits) {
        unsigned b = (unsigned)__builtin_ctzll(bits);
        bits &= bits - 1;
        __atomic_and_fetch(&pv_shared->evtchn_pending[w], ~(1ull << b), __ATOMIC_SEQ_CST);
        uint32_t port = w * 64 + b;
        if (port == timer_port) timer_events++;
        else if (port == ipi_port) ipi_events++;
      }
    }
  }
  vi->evtchn_upcall_mask = 0;
}

void pv_dispatch(struct wl_frame *f) {
  if (f->vector == 256) {
    pv_do_events();
    return;
  }
  wl_handler h = handlers[f->vector & 255];
  if (h) {
    h(f);
    return;
  }
  printf("FATAL: unexpected vector %lu error 0x%lx rip 0x%lx cs 0x%lx\n", f->vector, f->error, f->rip, f->cs);
  exit(WL_EXIT_FATAL);
}

/* An IPI to itself and a timer while blocked, each delivered by an upcall. */
static void events_init(void) {
  struct evtchn_bind_virq bv = {VIRQ_TIMER, 0, 0};
  long rc = pv_hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (uint64_t)&bv, 0, 0);
  if (rc) fatal("bind_virq", rc);
  timer_port = bv.port;
  struct evtchn_bind_ipi bi = {0, 0};
  rc = pv_hc(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (uint64_t)&bi, 0, 0);
  if (rc) fatal("bind_ipi", rc);
  ipi_port = bi.port;
  pv_shared->vcpu_info[0].evtchn_upcall_mask = 0; /* events on */
  struct evtchn_port_op send = {ipi_port};
  rc = pv_hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&send, 0, 0);
  if (rc) fatal("evtchn send", rc);
  rc = pv_hc(__HYPERVISOR_set_timer_op, rdtsc() + 20000, 0, 0, 0);
  if (rc) fatal("set_timer_op", rc);
  /* The timer may have fired (and its upcall run) before the block. */
  while (!timer_events) {
    rc = pv_hc(__HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0);
    if (rc) fatal("sched_op block", rc);
  }
  rc = pv_hc(__HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0);
  if (rc) fatal("sched_op yield", rc);
  printf("info: pv: event channels: ipi port %u events %lu, timer port %u events %lu, upcalls %lu\n", ipi_port,
         ipi_events, timer_port, timer_events, upcalls);
  if (ipi_events != 1 || timer_events != 1) {
    printf("minikernel: FAIL pv event delivery\n");
    exit(WL_EXIT_FATAL);
  }
}

/* The hypervisor's validation, seen from the guest: each of these must be
 * refused with the given error and change nothing. */
static uint8_t scratch[4096] __attribute__((aligned(4096)));

static void validation_checks(void) {
  const uint64_t pml4 = (uint64_t)boot_pml4, s = (uint64_t)scratch;
  struct mmu_update u;
  struct mmuext_op op = {MMUEXT_PIN_L4_TABLE, 0, s, 0};
  long got[7], want[7] = {-PV_EPERM, -PV_EPERM, -PV_EBUSY, -PV_EBUSY, -PV_EINVAL, -PV_EPERM, -PV_EINVAL};
  /* a writable mapping of a page table (the kernel's L4) */
  got[0] = pv_hc(__HYPERVISOR_update_va_mapping, pml4, pml4 | PTE_P | PTE_U | PTE_W, UVMF_INVLPG, 0);
  /* a mapping of the hypervisor's memory */
  got[1] = pv_hc(__HYPERVISOR_update_va_mapping, s, 0x100000 | PTE_P | PTE_U, UVMF_INVLPG, 0);
  /* a frame mapped writable pinned as an L4, and linked as an L3 */
  got[2] = pv_hc(__HYPERVISOR_mmuext_op, (uint64_t)&op, 1, 0, DOMID_SELF);
  u.ptr = (uint64_t)&boot_pml4[300], u.val = s | PTE_P | PTE_W;
  got[3] = pv_hc(__HYPERVISOR_mmu_update, (uint64_t)&u, 1, 0, DOMID_SELF);
  /* an "entry" of a frame that is not a page table */
  u.ptr = s + 8, u.val = 0;
  got[4] = pv_hc(__HYPERVISOR_mmu_update, (uint64_t)&u, 1, 0, DOMID_SELF);
  /* the hypervisor's reserved L4 slot 256 */
  u.ptr = (uint64_t)&boot_pml4[256], u.val = 0;
  got[5] = pv_hc(__HYPERVISOR_mmu_update, (uint64_t)&u, 1, 0, DOMID_SELF);
  /* PS set in an upper-level entry (no superpages) */
  u.ptr = (uint64_t)&boot_pml4[300], u.val = s | PTE_P | PTE_PS;
  got[6] = pv_hc(__HYPERVISOR_mmu_update, (uint64_t)&u, 1, 0, DOMID_SELF);
  int ok = 0;
  for (int i = 0; i < 7; i++) {
    if (got[i] == want[i]) ok++;
    else printf("minikernel: FAIL pv validation check %d: %ld, expected %ld\n", i, got[i], want[i]);
  }
  scratch[0] = 1; /* still writable */
  printf("info: pv: validation: %d of 7 bad updates refused as expected\n", ok);
  if (ok != 7 || boot_pml4[300] != 0) exit(WL_EXIT_FATAL);
}

/* The hypercalls' error paths: each call must fail with the given error. */
static void hypercall_checks(void) {
  struct multicall_entry mc[2];
  struct mmuext_op op;
  struct evtchn_port_op port;
  struct trap_info ti[2] = {{14, 0, PV_KERNEL_CS, 0, 0xFFFF800000001000ull}, {0, 0, 0, 0, 0}};
  long got[13], want[13] = {-PV_ENOSYS, -PV_EINVAL, -PV_EINVAL, -PV_EFAULT, -PV_ENOSYS, -PV_EINVAL, -PV_EINVAL,
                            -PV_EINVAL, -PV_ENOSYS, -PV_EINVAL, -PV_EINVAL, -PV_EINVAL, (4 << 16) | 19};
  got[0] = pv_hc(11, 0, 0, 0, 0); /* no such hypercall */
  mc[0] = (struct multicall_entry){__HYPERVISOR_multicall, 0, {(uint64_t)&mc[1], 0, 0, 0, 0, 0}};
  mc[1] = (struct multicall_entry){__HYPERVISOR_iret, 0, {0, 0, 0, 0, 0, 0}};
  long rc = pv_hc(__HYPERVISOR_multicall, (uint64_t)mc, 2, 0, 0);
  got[1] = rc ? rc : (long)mc[0].result; /* a multicall inside a multicall */
  got[2] = rc ? rc : (long)mc[1].result; /* iret inside a multicall */
  got[3] = pv_hc(__HYPERVISOR_console_io, CONSOLEIO_write, 4, 0x100000, 0); /* the hypervisor's memory */
  got[4] = pv_hc(__HYPERVISOR_sched_op, 99, 0, 0, 0);
  got[5] = pv_hc(__HYPERVISOR_stack_switch, 0x10, 0x1000, 0, 0); /* a ring-0 stack segment */
  port.port = timer_port; /* a VIRQ port: not sendable */
  got[6] = pv_hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&port, 0, 0);
  port.port = 0;
  got[7] = pv_hc(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)&port, 0, 0);
  op = (struct mmuext_op){99, 0, 0, 0};
  got[8] = pv_hc(__HYPERVISOR_mmuext_op, (uint64_t)&op, 1, 0, DOMID_SELF);
  op = (struct mmuext_op){MMUEXT_NEW_BASEPTR, 0, (uint64_t)scratch, 0}; /* not an L4 */
  got[9] = pv_hc(__HYPERVISOR_mmuext_op, (uint64_t)&op, 1, 0, DOMID_SELF);
  op = (struct mmuext_op){MMUEXT_UNPIN_TABLE, 0, (uint64_t)boot_pml4, 0}; /* the L4 in use */
  got[10] = pv_hc(__HYPERVISOR_mmuext_op, (uint64_t)&op, 1, 0, DOMID_SELF);
  got[11] = pv_hc(__HYPERVISOR_set_trap_table, (uint64_t)ti, 0, 0, 0); /* a handler in the hypervisor's half */
  got[12] = pv_hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0);
  int ok = 0;
  for (int i = 0; i < 13; i++) {
    if (got[i] == want[i]) ok++;
    else printf("minikernel: FAIL pv hypercall check %d: %ld, expected %ld\n", i, got[i], want[i]);
  }
  printf("info: pv: hypercall checks: %d of 13 as expected\n", ok);
  if (ok != 13) exit(WL_EXIT_FATAL);
}

int pv_nano_hypercall(uint64_t n) {
  uint64_t sum = 0, t0 = rdtsc();
  hvsim_roi_begin(16);
  for (uint64_t i = 0; i < n; i++) sum += (uint64_t)pv_hc(__HYPERVISOR_xen_version, XENVER_version, 0, 0, 0);
  hvsim_roi_end(16);
  uint64_t t1 = rdtsc();
  print_rate("nano.hypercall", t1 - t0, n);
  printf("info: nano.hypercall: %lu iterations via xen_version, checksum %lu\n", n, sum);
  return sum == n * (uint64_t)((4 << 16) | 19) ? 0 : 1;
}

/* After the benchmarks (pvcheck=isolation): a process that reads its
 * kernel's memory must be killed, as the kernel is not mapped in user mode
 * (its user page table); the same address is readable in kernel mode. */
static int isolation_check;

__attribute__((section(".user.text"), noinline)) long pv_u_peek(uint64_t addr) {
  return *(volatile long *)addr;
}

static int run_isolation_check(void) {
  const uint64_t addr = (uint64_t)&si.nr_pages;
  struct proc *p = proc_spawn_top((uint64_t)pv_u_peek, addr);
  if (!p || sched_run() != 0) return 1;
  long st = proc_reap(p);
  printf("info: pv: isolation: a process reading kernel data at 0x%lx (%lu in kernel mode) exited %ld\n", addr,
         si.nr_pages, st);
  return st == STATUS_KILLED ? 0 : 1;
}

/* The multiboot-like view main.c expects: the command line ("path args")
 * and one available range, the frames after the hypervisor-built ones. */
static void mbi_from_start_info(void) {
  static char cmdline[sizeof si.cmd_line];
  memcpy(cmdline, si.cmd_line, sizeof cmdline);
  cmdline[sizeof cmdline - 1] = 0;
  wl_mbi.valid = 1;
  wl_mbi.cmdline = cmdline;
  const char *s = cmdline, *base = s;
  while (*s && *s != ' ') {
    if (*s == '/') base = s + 1;
    s++;
  }
  int n = 0;
  for (const char *p = base; p < s && n < (int)sizeof wl_mbi.progname - 1; p++) wl_mbi.progname[n++] = *p;
  wl_mbi.progname[n] = 0;
  while (*s == ' ') s++;
  /* "pvcheck=isolation" first: the PV layer's own check (run_isolation_check),
   * not an argument of the kernel's. */
  static const char opt[] = "pvcheck=isolation";
  if (!memcmp(s, opt, sizeof opt - 1) && (s[sizeof opt - 1] == ' ' || !s[sizeof opt - 1])) {
    isolation_check = 1;
    s += sizeof opt - 1;
    while (*s == ' ') s++;
  }
  wl_mbi.args = s;
  wl_mbi.mmap_count = 1;
  wl_mbi.mmap[0].base = si.first_free;
  wl_mbi.mmap[0].length = si.mem_base + si.nr_pages * 4096 - si.first_free;
  wl_mbi.mmap[0].type = 1;
  wl_mbi.mem_upper = (uint32_t)((si.mem_base + si.nr_pages * 4096 - 0x100000) >> 10);
}

void pv_start(const struct start_info *start) {
  si = *start;
  pv_shared = (struct shared_info *)si.shared_info;
  long rc = pv_hc(__HYPERVISOR_set_callbacks, (uint64_t)pv_upcall_entry, 0, 0, 0);
  if (rc) fatal("set_callbacks", rc);
  struct physdev_set_iopl iopl = {1}; /* port I/O (nano.in), emulated by the hypervisor */
  rc = pv_hc(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, (uint64_t)&iopl, 0, 0);
  if (rc) fatal("physdev_op", rc);
  mbi_from_start_info();
  pv_mm_init(si.pt_base);
  validation_checks();
  events_init();
  hypercall_checks();
  int status = kmain(0, 0);
  if (isolation_check && status == 0 && run_isolation_check()) {
    printf("minikernel: FAIL pv isolation\n");
    status = 1;
  }
  exit(status);
}
