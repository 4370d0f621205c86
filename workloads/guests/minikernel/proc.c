/* Processes: creation with a private user half, a cooperative round-robin
 * scheduler, SYSCALL dispatch, demand-zero paging and exit with teardown. */
#include "mk.h"

struct proc procs[NPROC];
struct proc *current;
uint64_t demand_faults, kills;
static uint64_t sched_ksp;
static int next_pid = 1;
static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));

/* Per-CPU data read by syscall_entry (one CPU). */
struct percpu {
  uint64_t kstack_top; /* offset 0: RSP loaded on SYSCALL */
  uint64_t user_rsp;   /* offset 8: scratch for the user RSP */
} cpu;

static int in_vma(struct proc *p, uint64_t va) {
  for (int i = 0; i < MAX_VMAS; i++)
    if (p->vmas[i].end && va >= p->vmas[i].start && va < p->vmas[i].end) return 1;
  return 0;
}

static int add_vma(struct proc *p, uint64_t start, uint64_t end) {
  for (int i = 0; i < MAX_VMAS; i++)
    if (!p->vmas[i].end) {
      p->vmas[i].start = start;
      p->vmas[i].end = end;
      return 0;
    }
  return -1;
}

/* Maps a zeroed frame at va in p's address space. */
static int map_zero(struct proc *p, uint64_t va) {
  uint64_t *e = pte_slot(p->pml4, va, 1, PTE_W | PTE_U);
  if (!e) return -1;
  void *f = page_alloc();
  if (!f) return -1;
  mk_set_pte(e, (uint64_t)f | PTE_P | PTE_W | PTE_U);
  return 0;
}

static struct proc *proc_alloc(uint64_t fn, uint64_t arg, struct proc *parent) {
  struct proc *p = 0;
  for (int i = 0; i < NPROC; i++)
    if (procs[i].state == P_UNUSED) {
      p = &procs[i];
      break;
    }
  if (!p) return 0;
  mk_lazy_begin(); /* the new address space's updates go as one batch */
  uint64_t *pml4 = mk_pt_alloc(4);
  if (!pml4) {
    mk_lazy_end();
    return 0;
  }
  memset(p, 0, sizeof *p);
  p->pml4 = pml4;
  mk_set_pte(&pml4[0], boot_pml4[0]); /* kernel half (and the user code window) */
  add_vma(p, USER_STACK_TOP - USER_STACK_SIZE, USER_STACK_TOP);
  p->mmap_next = USER_MMAP_BASE;
  int bad = map_zero(p, USER_STACK_TOP - PAGE_4K); /* first stack page, mapped up front */
  mk_lazy_end();
  if (bad) {
    free_user_half(pml4);
    mk_pt_free(pml4, 4);
    return 0;
  }
  p->pid = next_pid++;
  p->parent = parent;
  p->entry = (uint64_t)u_start;
  p->arg0 = fn;
  p->arg1 = arg;
  p->kstack_top = (uint64_t)kstacks[p - procs] + KSTACK_SIZE;
  /* Initial kernel stack, as swtch expects: six callee-saved registers, then
   * the return address (proc_trampoline), with RSP = 8 mod 16 at its entry. */
  uint64_t *sp = (uint64_t *)(p->kstack_top - 64);
  for (int i = 0; i < 6; i++) sp[i] = 0;
  sp[6] = (uint64_t)proc_trampoline;
  sp[7] = 0;
  p->ksp = (uint64_t)sp;
  p->state = P_RUNNABLE;
  return p;
}

struct proc *proc_spawn_top(uint64_t fn, uint64_t arg) {
  struct proc *p = proc_alloc(fn, arg, 0);
  if (p) p->top = 1;
  return p;
}

/* First run of a process (from proc_trampoline): drop to ring 3 at
 * u_start(fn, arg) with the stack as if u_start had been called. */
void proc_first_run(void) {
  struct proc *p = current;
  enter_user(p->entry, USER_STACK_TOP - 8, p->arg0, p->arg1);
}

static void sched(void) { swtch(&current->ksp, sched_ksp); }

int procs_in_use(void) {
  int n = 0;
  for (int i = 0; i < NPROC; i++) n += procs[i].state != P_UNUSED;
  return n;
}

int sched_run(void) {
  static int rr;
  for (;;) {
    struct proc *p = 0;
    for (int i = 1; i <= NPROC; i++) {
      struct proc *q = &procs[(rr + i) % NPROC];
      if (q->state == P_RUNNABLE) {
        p = q;
        rr = (int)(q - procs);
        break;
      }
    }
    if (!p) break;
    current = p;
    p->state = P_RUNNING;
    cpu.kstack_top = p->kstack_top;
    set_rsp0(p->kstack_top);
    if (read_cr3() != (uint64_t)p->pml4) write_cr3((uint64_t)p->pml4);
    swtch(&sched_ksp, p->ksp);
    current = 0;
  }
  int alive = 0;
  for (int i = 0; i < NPROC; i++) alive += procs[i].state != P_UNUSED && procs[i].state != P_ZOMBIE;
  return alive;
}

long proc_reap(struct proc *p) {
  long st = p->status;
  p->state = P_UNUSED;
  return st;
}

static void proc_exit(long status) __attribute__((noreturn));
static void proc_exit(long status) {
  struct proc *p = current;
  write_cr3((uint64_t)boot_pml4);
  mk_lazy_begin();
  free_user_half(p->pml4);
  mk_pt_free(p->pml4, 4);
  mk_lazy_end();
  p->pml4 = 0;
  p->status = status;
  for (int i = 0; i < NPROC; i++)
    if (procs[i].parent == p) {
      procs[i].parent = 0;
      if (procs[i].state == P_ZOMBIE) procs[i].state = P_UNUSED; /* orphan: nobody will wait */
    }
  struct proc *par = p->parent;
  /* An orphan is reaped at once (its slot is reused only after the switch
   * below has saved its stack pointer); a top-level process waits for
   * the kernel (proc_reap). */
  p->state = (par || p->top) ? P_ZOMBIE : P_UNUSED;
  if (par && par->state == P_WAITING && (par->wait_pid == -1 || par->wait_pid == p->pid))
    par->state = P_RUNNABLE;
  sched();
  for (;;) __asm__ volatile("hlt");
}

static long sys_wait(int pid) {
  struct proc *p = current;
  for (;;) {
    int have = 0;
    for (int i = 0; i < NPROC; i++) {
      struct proc *c = &procs[i];
      if (c->parent != p || c->state == P_UNUSED) continue;
      if (pid != -1 && c->pid != pid) continue;
      have = 1;
      if (c->state == P_ZOMBIE) {
        c->parent = 0;
        return proc_reap(c);
      }
    }
    if (!have) return -1;
    p->wait_pid = pid;
    p->state = P_WAITING;
    sched();
  }
}

static int user_range_ok(uint64_t a, uint64_t len) {
  return a >= USER_BASE && a < USER_TOP && len <= USER_TOP - a;
}

static int user_code_ok(uint64_t a) { return a >= (uint64_t)__user_start && a < (uint64_t)__user_end; }

static long sys_write(uint64_t buf, uint64_t len) {
  /* User strings live in user regions or in the read-only .user section. */
  int code = buf >= (uint64_t)__user_start && buf <= (uint64_t)__user_end && len <= (uint64_t)__user_end - buf;
  if (!code && !user_range_ok(buf, len)) return -1;
  for (uint64_t i = 0; i < len; i++) serial_putc(((const char *)buf)[i]); /* may demand-fault */
  return (long)len;
}

static long sys_mmap(uint64_t len) {
  struct proc *p = current;
  len = (len + 0xFFF) & ~0xFFFull;
  if (!len || len > (1ull << 36) || p->mmap_next + len > USER_TOP) return -1;
  uint64_t a = p->mmap_next;
  if (add_vma(p, a, a + len)) return -1;
  p->mmap_next = a + len + PAGE_4K; /* an unmapped guard page between regions */
  return (long)a;
}

static long sys_munmap(uint64_t a, uint64_t len) {
  struct proc *p = current;
  len = (len + 0xFFF) & ~0xFFFull;
  for (int i = 0; i < MAX_VMAS; i++) {
    struct vma *v = &p->vmas[i];
    if (v->end && v->start == a && v->end == a + len && a >= USER_MMAP_BASE) {
      for (uint64_t va = a; va < a + len; va += PAGE_4K) {
        uint64_t *e = pte_slot(p->pml4, va, 0, 0);
        if (e && (*e & PTE_P)) {
          page_free((void *)(*e & PTE_ADDR));
          mk_set_pte(e, 0);
          invlpg(va);
        }
      }
      v->start = v->end = 0;
      return 0;
    }
  }
  return -1;
}

struct sysframe {
  uint64_t r9, r8, r10, rdx, rsi, rdi, rax, r11, rcx, rsp;
};

long syscall_dispatch(struct sysframe *f) {
  struct proc *p = current;
  switch (f->rax) {
    case SYS_EXIT: proc_exit((long)f->rdi);
    case SYS_WRITE: return sys_write(f->rdi, f->rsi);
    case SYS_GETPID: return p->pid;
    case SYS_SPAWN: {
      if (!user_code_ok(f->rdi)) return -1;
      struct proc *c = proc_alloc(f->rdi, f->rsi, p);
      /* proc_alloc leaves CR3 alone; the child gets its own at first run */
      return c ? c->pid : -1;
    }
    case SYS_WAIT: return sys_wait((int)f->rdi);
    case SYS_YIELD:
      p->state = P_RUNNABLE;
      sched();
      return 0;
    case SYS_MMAP: return sys_mmap(f->rdi);
    case SYS_MUNMAP: return sys_munmap(f->rdi, f->rsi);
    case SYS_REPORT:
      if (f->rdi < NRESULTS) results[f->rdi] = f->rsi;
      return 0;
    case SYS_PARAM: return f->rdi < P_COUNT ? (long)params[f->rdi] : -1;
    case SYS_FREEPAGES: return (long)pages_free();
    default: return -1;
  }
}

/* Nanobenchmark window (kernel-only, PML4[511]); set up by nano.c. */
uint64_t nano_pf_frame, nano_pf_count;
uint64_t *nano_pt;

static void on_page_fault(struct wl_frame *f) {
  uint64_t va = read_cr2();
  int user = f->cs & 3;
  if (!user && nano_pt && va >= NANO_VA && va < NANO_VA + PAGE_2M) {
    mk_set_pte(&nano_pt[va >> 12 & 511], nano_pf_frame | PTE_P | PTE_W);
    nano_pf_count++;
    return;
  }
  struct proc *p = current;
  if (p && !(f->error & 1) && va < USER_TOP && in_vma(p, va)) {
    if (map_zero(p, va & ~0xFFFull) == 0) {
      p->faults++;
      demand_faults++;
      return;
    }
    printf("minikernel: pid %d killed: out of memory at 0x%lx\n", p->pid, va);
    kills++;
    proc_exit(STATUS_KILLED);
  }
  if (p && user) {
    const char *kind = (f->error & 1) ? "protection" : "not-present";
    const char *acc = (f->error & 16) ? "fetch" : (f->error & 2) ? "write" : "read";
    if (va >= USER_BASE && va < USER_TOP)
      printf("minikernel: pid %d killed: %s %s fault at 0x%lx\n", p->pid, kind, acc, va);
    else
      printf("minikernel: pid %d killed: %s %s fault at a kernel address\n", p->pid, kind, acc);
    printf("info: killed pid %d at rip 0x%lx cr2 0x%lx error 0x%lx\n", p->pid, f->rip, va, f->error);
    kills++;
    proc_exit(STATUS_KILLED);
  }
  printf("FATAL: kernel page fault at 0x%lx rip 0x%lx error 0x%lx pid %d\n", va, f->rip, f->error,
         p ? p->pid : 0);
  exit(WL_EXIT_FATAL);
}

static void on_user_fault(struct wl_frame *f) {
  struct proc *p = current;
  if (p && (f->cs & 3)) {
    printf("minikernel: pid %d killed: exception %lu\n", p->pid, f->vector);
    kills++;
    proc_exit(STATUS_KILLED);
  }
  printf("FATAL: kernel exception %lu rip 0x%lx error 0x%lx\n", f->vector, f->rip, f->error);
  exit(WL_EXIT_FATAL);
}

void pf_install(void) {
  set_handler(14, on_page_fault);
  for (unsigned v = 0; v < 32; v++)
    if (v != 14 && v != 8) set_handler(v, on_user_fault);
}

void proc_init(void) {
  /* The user programs' pages: user-accessible, read-only, at their own
   * address in the shared part of every address space. */
  for (uint64_t va = (uint64_t)__user_start; va < (uint64_t)__user_end; va += PAGE_4K)
    if (map_page(va, va, PTE_U, PAGE_4K)) {
      printf("FATAL: cannot map the user window\n");
      exit(WL_EXIT_FATAL);
    }
  wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 | 3) << 48) | ((uint64_t)SEL_KCODE << 32));
  wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
  wrmsr(MSR_SFMASK, 0x47700); /* clear TF, IF, DF, IOPL, NT, AC on entry */
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
  pf_install();
}
