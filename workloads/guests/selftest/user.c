/* Ring 3 through SYSRET, back through SYSCALL, and faults taken at CPL 3
 * (which switch to TSS.RSP0, SDM Vol. 3A 6.12.1). */
#include "selftest.h"

extern char __user_start[], __user_end[];
extern char user_main[], user_pf_insn[], user_pf_next[], user_gp_insn[], user_gp_next[];
extern char user_stack_top[];
extern uint64_t user_probe;
extern void syscall_entry(void);
uint64_t enter_user(uint64_t rip, uint64_t rsp);

static struct {
  uint64_t user_cs, kernel_cs, user_rflags, kernel_rflags;
  int calls;
} sys;

static struct {
  uint64_t vector, error, cs, cr2, ss;
} ufault[4];
static int nufault;

void syscall_handler(uint64_t nr, uint64_t arg, uint64_t user_rflags, uint64_t kernel_rflags, uint64_t cs) {
  sys.calls++;
  sys.kernel_cs = cs;
  if (nr == 1) sys.user_cs = arg;
  if (nr == 2) {
    sys.user_rflags = user_rflags;
    sys.kernel_rflags = kernel_rflags;
  }
}

static void on_user_fault(struct wl_frame *f) {
  if (nufault < 4) {
    ufault[nufault].vector = f->vector;
    ufault[nufault].error = f->error;
    ufault[nufault].cs = f->cs;
    ufault[nufault].ss = f->ss;
    ufault[nufault].cr2 = read_cr2();
    nufault++;
  }
  if (f->rip == (uint64_t)user_pf_insn) f->rip = (uint64_t)user_pf_next;
  else if (f->rip == (uint64_t)user_gp_insn) f->rip = (uint64_t)user_gp_next;
  else {
    printf("FATAL: fault at CPL 3, vector %lu rip 0x%lx\n", f->vector, f->rip);
    exit(WL_EXIT_FATAL);
  }
}

void test_user(void) {
  for (uint64_t va = (uint64_t)__user_start; va < (uint64_t)__user_end; va += PAGE_4K)
    map_page(va, va, PTE_W | PTE_U, PAGE_4K);
  static uint64_t secret = 0x5ec7e7;
  user_probe = (uint64_t)&secret;

  wrmsr(MSR_STAR, ((uint64_t)(SEL_UCODE32 | 3) << 48) | ((uint64_t)SEL_KCODE << 32));
  wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
  wrmsr(MSR_SFMASK, 0x47700); /* clear TF, IF, DF, IOPL, NT, AC */
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);

  set_handler(13, on_user_fault);
  set_handler(14, on_user_fault);
  uint64_t ret = enter_user((uint64_t)user_main, (uint64_t)user_stack_top);
  faults_install();

  check_eq("sysret_exit_value", ret, 0x600d);
  check_eq("sysret_user_cs", sys.user_cs, SEL_UCODE | 3);
  check_eq("syscall_kernel_cs", sys.kernel_cs, SEL_KCODE);
  check("syscall_r11_has_user_df", (sys.user_rflags >> 10 & 1) == 1);
  check("syscall_sfmask_clears_df", (sys.kernel_rflags >> 10 & 1) == 0);
  check_eq("syscall_count", sys.calls, 2);
  check_eq("user_fault_count", nufault, 2);
  check("user_pf_error_u", ufault[0].vector == 14 && ufault[0].error == 5 &&
                               ufault[0].cr2 == (uint64_t)&secret && ufault[0].cs == (SEL_UCODE | 3) &&
                               ufault[0].ss == (SEL_UDATA | 3));
  check("user_gp_hlt", ufault[1].vector == 13 && ufault[1].error == 0 && ufault[1].cs == (SEL_UCODE | 3));
  uint16_t cs, ss;
  __asm__ volatile("movw %%cs, %0; movw %%ss, %1" : "=r"(cs), "=r"(ss));
  check("back_in_ring0", cs == SEL_KCODE && ss == SEL_KDATA);
}
