/* Exceptions and software interrupts delivered through the IDT. */
#include "selftest.h"

volatile struct fault_rec g_fault;
volatile uint64_t g_fault_at, g_fault_next;
volatile int g_fixup;
static uint64_t pf_backing; /* page mapped by FIX_MAP */

static void on_fault(struct wl_frame *f) {
  g_fault.count++;
  g_fault.vector = f->vector;
  g_fault.error = f->error;
  g_fault.rip = f->rip;
  g_fault.cr2 = read_cr2();
  g_fault.cs = f->cs;
  switch (g_fixup) {
    case FIX_TRAP: break;
    case FIX_RESUME: f->rip = g_fault_next; break;
    case FIX_RET: /* the fault hit the first byte of a called page: return */
      f->rip = *(uint64_t *)f->rsp;
      f->rsp += 8;
      break;
    case FIX_MAP: /* map the page and retry the instruction */
      map_page(g_fault.cr2 & ~0xFFFull, pf_backing, PTE_W, PAGE_4K);
      break;
    default:
      printf("FATAL: unexpected vector %lu error 0x%lx rip 0x%lx cr2 0x%lx\n", f->vector, f->error,
             f->rip, g_fault.cr2);
      exit(WL_EXIT_FATAL);
  }
  g_fixup = FIX_NONE;
}

/* INT 0x80: a software "call" whose result the handler writes into RAX. */
static void on_int80(struct wl_frame *f) {
  g_fault.count++;
  g_fault.vector = f->vector;
  g_fault.rip = f->rip;
  f->rax = f->rdi * 3 + 1;
}

void faults_install(void) {
  static const unsigned vecs[] = {0, 3, 6, 13, 14};
  for (unsigned i = 0; i < sizeof vecs / sizeof vecs[0]; i++) set_handler(vecs[i], on_fault);
  set_handler(0x80, on_int80);
  pf_backing = (uint64_t)alloc_page();
}

void fault_arm(int fixup) {
  g_fault.count = g_fault.vector = g_fault.error = g_fault.rip = g_fault.cr2 = 0;
  g_fixup = fixup;
}

/* One expected fault: vector, error code and RIP (of the faulting
 * instruction, or of the next one for traps: SDM Vol. 3A 7.5). */
static void expect(const char *name, uint64_t vec, uint64_t err, int trap) {
  int ok = g_fault.count == 1 && g_fault.vector == vec && g_fault.error == err &&
           g_fault.rip == (trap ? g_fault_next : g_fault_at) && g_fault.cs == SEL_KCODE;
  if (ok) {
    check(name, 1);
  } else {
    check(name, 0);
    printf("  count %lu vector %lu error 0x%lx rip 0x%lx (insn 0x%lx next 0x%lx)\n", g_fault.count,
           g_fault.vector, g_fault.error, g_fault.rip, g_fault_at, g_fault_next);
  }
}

void test_faults(void) {
  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("ud2") ::: "r11", "memory");
  expect("ud_ud2", 6, 0, 0);

  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("divl %%ecx") ::"a"(10), "d"(0), "c"(0) : "r11", "memory");
  expect("de_div_by_zero", 0, 0, 0);

  /* Quotient too large for the destination is #DE as well. */
  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("cqo; idivq %%rcx") ::"a"(0x8000000000000000ull), "c"(-1ll)
                   : "rdx", "r11", "memory");
  g_fault_at += 2; /* cqo is 2 bytes */
  expect("de_idiv_overflow", 0, 0, 0);

  fault_arm(FIX_TRAP);
  __asm__ volatile(FAULT_ASM("int3") ::: "r11", "memory");
  expect("bp_int3_trap_rip", 3, 0, 1);

  fault_arm(FIX_TRAP);
  uint64_t r;
  __asm__ volatile(FAULT_ASM("int $0x80") : "=a"(r) : "D"(14) : "r11", "memory");
  check("int_0x80", g_fault.count == 1 && g_fault.vector == 0x80 && g_fault.rip == g_fault_next);
  check_eq("int_0x80_frame_rax", r, 43);

  /* Non-canonical address: #GP(0) (SDM Vol. 3A 3.3.7.1). */
  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("movq (%%rax), %%rax") ::"a"(0x8000000000001000ull) : "r11", "memory");
  expect("gp_noncanonical", 13, 0, 0);

  /* Selector beyond the GDT limit: #GP(selector) (SDM Vol. 2B MOV). */
  uint16_t ds_before, ds_after;
  __asm__ volatile("movw %%ds, %0" : "=r"(ds_before));
  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("movw %%ax, %%ds") ::"a"(0xfff8) : "r11", "memory");
  __asm__ volatile("movw %%ds, %0" : "=r"(ds_after));
  expect("gp_bad_selector", 13, 0xfff8, 0);
  check_eq("gp_bad_selector_ds_unchanged", ds_after, ds_before);

  /* A privileged instruction is fine at CPL 0 (checked at ring 3 in user.c). */
  fault_arm(FIX_NONE);
  uint64_t cr0 = read_cr0();
  check("cr0_pg_pe", (cr0 & 0x80000001u) == 0x80000001u && g_fault.count == 0);
}
