/* minikernel: a small guest-style kernel with ring-3 processes, used as a
 * benchmark target (TLB stress, demand paging, system calls, process
 * create/exit, and the Adams & Agesen nanobenchmarks).
 *
 * Address-space layout (4-level paging, 4 KiB user pages):
 *   PML4[0]      shared by every address space: the boot identity map of
 *                the first 4 GiB (supervisor), except the pages of the
 *                image's .user section, mapped user-accessible read-only
 *                at their own address (the user programs' code and
 *                constants, linked into the kernel).
 *   PML4[1..255] private to each process (its user half):
 *                USER_STACK_TOP-USER_STACK_SIZE .. USER_STACK_TOP  stack
 *                USER_MMAP_BASE ..                 anonymous regions
 *   PML4[511]    kernel-only window used by the pgfault/ptemod nanobenchmarks.
 * Every user page is demand-zero: the #PF handler maps a zeroed frame when
 * the address lies in one of the process's regions and kills the process
 * otherwise. */
#ifndef MK_H
#define MK_H

#include "wl.h"

#define NPROC 16
#define KSTACK_SIZE 8192
#define MAX_VMAS 8

#define USER_BASE 0x0000008000000000ull
#define USER_STACK_TOP (USER_BASE + 0x200000ull)
#define USER_STACK_SIZE 0x10000ull
#define USER_MMAP_BASE (USER_BASE + 0x40000000ull)
#define USER_TOP 0x0000800000000000ull
#define NANO_VA 0xFFFFFF8000000000ull

/* System call numbers (RAX); arguments in RDI, RSI, RDX; result in RAX. */
enum {
  SYS_EXIT = 0,      /* (status) */
  SYS_WRITE = 1,     /* (buf, len) -> len or -1: to COM1 */
  SYS_GETPID = 2,    /* () -> pid */
  SYS_SPAWN = 3,     /* (fn, arg) -> child pid or -1: child runs fn(arg) in a new address space */
  SYS_WAIT = 4,      /* (pid or -1) -> exit status, or -1 when no such child */
  SYS_YIELD = 5,     /* () -> 0 */
  SYS_MMAP = 6,      /* (len) -> address of a new demand-zero region, or -1 */
  SYS_MUNMAP = 7,    /* (addr, len) -> 0 or -1: frees the region's pages */
  SYS_REPORT = 8,    /* (slot, value): result for the kernel to print */
  SYS_PARAM = 9,     /* (index) -> benchmark parameter */
  SYS_FREEPAGES = 10 /* () -> free physical pages */
};

/* Exit status of a process killed by the kernel (bad memory access). */
#define STATUS_KILLED 139

/* Benchmark parameters readable from user mode (SYS_PARAM). */
enum { P_WS, P_STRIDE, P_PASSES, P_FAULTS, P_SYSCALLS, P_FORKS, P_NANO, P_COUNT };
extern uint64_t params[P_COUNT];

#define NRESULTS 8
extern uint64_t results[NRESULTS];

/* mm.c: physical pages (identity mapped, so a frame's address is its
 * physical address) and page tables. */
void pmem_init(void);
void *page_alloc(void);        /* zeroed 4 KiB frame, or 0 */
void page_free(void *p);
uint64_t pages_free(void);
uint64_t pages_total(void);
/* Leaf PTE slot for va under pml4, creating tables (with the given
 * intermediate flags) when create is set; 0 when absent or out of memory. */
uint64_t *pte_slot(uint64_t *pml4, uint64_t va, int create, uint64_t inter_flags);
/* Frees every page and table of the user half (PML4[1..255]). */
void free_user_half(uint64_t *pml4);
extern uint64_t boot_pml4[512];

/* Page-table stores and table frames go through these, so that the PV
 * build (-DMK_PV, pv/pv_mk.h) can make them hypercalls; natively they are
 * plain stores and the allocator.  level: 4 = PML4 ... 1 = page table. */
#ifdef MK_PV
#include "pv/pv_mk.h"
#else
static inline void mk_set_pte(uint64_t *slot, uint64_t v) { *slot = v; }
static inline void *mk_pt_alloc(int level) { (void)level; return page_alloc(); }
static inline void mk_pt_free(void *p, int level) { (void)level; page_free(p); }
static inline void mk_lazy_begin(void) {}
static inline void mk_lazy_end(void) {}
#endif

/* proc.c */
enum pstate { P_UNUSED, P_RUNNABLE, P_RUNNING, P_WAITING, P_ZOMBIE };
struct vma { uint64_t start, end; };
struct proc {
  enum pstate state;
  int pid;
  struct proc *parent;
  int top;                 /* created by the kernel, which reaps it */
  int wait_pid;            /* child being waited for (-1 = any) */
  long status;
  uint64_t *pml4;
  uint64_t kstack_top, ksp;
  uint64_t entry, arg0, arg1;
  struct vma vmas[MAX_VMAS];
  uint64_t mmap_next;
  uint64_t faults;         /* demand-zero faults taken */
};
extern struct proc *current;
extern uint64_t demand_faults, kills;
void proc_init(void);
/* A process with no parent (the kernel reaps it) running fn(arg). */
struct proc *proc_spawn_top(uint64_t fn, uint64_t arg);
/* Runs processes until none is runnable; returns the number still alive. */
int sched_run(void);
/* Frees a zombie top-level process's slot, returning its exit status. */
long proc_reap(struct proc *p);
int procs_in_use(void);
void pf_install(void);

/* entry.S */
void syscall_entry(void);
void swtch(uint64_t *save_rsp, uint64_t new_rsp);
void enter_user(uint64_t rip, uint64_t rsp, uint64_t a0, uint64_t a1) __attribute__((noreturn));
void proc_trampoline(void);
uint64_t nano_divzero_loop(uint64_t n);
extern char nano_div_insn[], nano_div_next[];

/* nano.c: kernel-mode nanobenchmarks */
int run_nano(uint64_t iters);
void print_rate(const char *name, uint64_t cycles, uint64_t iters);

/* user.c: ring-3 programs (in .user.text) */
long u_start(long (*fn)(uint64_t), uint64_t arg);
long u_hello(uint64_t arg);
long u_check(uint64_t arg);
long u_tlb(uint64_t arg);
long u_pgfault(uint64_t arg);
long u_syscall(uint64_t arg);
long u_fork(uint64_t arg);

extern char __user_start[], __user_end[], __image_start[], __image_end[];

#endif
