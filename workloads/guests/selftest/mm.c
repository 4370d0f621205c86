/* Paging: page faults and their error codes (SDM Vol. 3A 5.7), CR0.WP,
 * accessed/dirty bits (5.8), 4 KiB / 2 MiB / 1 GiB pages aliasing the same
 * physical memory, and execute-disable (EFER.NXE). */
#include "selftest.h"

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_I 16u

#define VA_4K 0x0000008000000000ull  /* 512 GiB: PML4 slot 1, unmapped */
#define VA_2M 0x0000008040000000ull
#define VA_1G 0x0000008080000000ull  /* 1 GiB aligned */
#define VA_X 0x00000080C0000000ull
#define PA_2M 0x1000000ull           /* 16 MiB */

static uint8_t alias_page[4096] __attribute__((aligned(4096)));

static uint64_t read64(uint64_t va) { return *(volatile uint64_t *)va; }
static void write64(uint64_t va, uint64_t v) { *(volatile uint64_t *)va = v; }

static void pf_check(const char *name, uint64_t err, uint64_t cr2) {
  int ok = g_fault.count == 1 && g_fault.vector == 14 && g_fault.error == err && g_fault.cr2 == cr2;
  check(name, ok);
  if (!ok)
    printf("  count %lu vector %lu error 0x%lx cr2 0x%lx (want error 0x%lx cr2 0x%lx)\n", g_fault.count,
           g_fault.vector, g_fault.error, g_fault.cr2, err, cr2);
}

static void test_not_present(void) {
  uint64_t va = VA_4K + 0x123 * 8, v = 0;
  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("movq (%1), %0") : "+r"(v) : "r"(va) : "r11", "memory");
  pf_check("pf_not_present_read", 0, va);
  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("movq %0, (%1)") ::"r"(v), "r"(va) : "r11", "memory");
  pf_check("pf_not_present_write", PF_W, va);

  /* The handler maps the page and the write is retried. */
  fault_arm(FIX_MAP);
  write64(va, 0x1122334455667788ull);
  pf_check("pf_map_and_retry", PF_W, va);
  check_eq("pf_map_and_retry_data", read64(va), 0x1122334455667788ull);
  unmap_page(va);
}

static void test_write_protect(void) {
  uint64_t va = VA_4K + 0x5000, pa = (uint64_t)alias_page;
  map_page(va, pa, 0, PAGE_4K); /* present, read-only */
  alias_page[8] = 0x5a;
  check_eq("ro_page_read", *(volatile uint8_t *)(va + 8), 0x5a);
  write_cr0(read_cr0() | CR0_WP);
  fault_arm(FIX_RESUME);
  __asm__ volatile(FAULT_ASM("movb $1, (%0)") ::"r"(va + 8) : "r11", "memory");
  pf_check("pf_write_ro_wp1", PF_P | PF_W, va + 8);
  check_eq("pf_write_ro_unchanged", alias_page[8], 0x5a);
  /* With CR0.WP = 0 supervisor writes ignore R/W (SDM Vol. 3A 5.6.1). */
  write_cr0(read_cr0() & ~(uint64_t)CR0_WP);
  fault_arm(FIX_NONE);
  *(volatile uint8_t *)(va + 8) = 0xa5;
  check("ro_write_wp0", g_fault.count == 0 && alias_page[8] == 0xa5);
  write_cr0(read_cr0() | CR0_WP);
  unmap_page(va);
}

static void test_accessed_dirty(void) {
  uint64_t va = VA_4K + 0x7000;
  map_page(va, (uint64_t)alias_page, PTE_W, PAGE_4K);
  uint64_t *pte = lookup_pte(va, 0);
  check("pte_fresh_not_accessed", pte && !(*pte & (PTE_A | PTE_D)));
  (void)read64(va);
  check("pte_accessed_after_read", (*pte & (PTE_A | PTE_D)) == PTE_A);
  write64(va + 16, 7);
  check("pte_dirty_after_write", (*pte & (PTE_A | PTE_D)) == (PTE_A | PTE_D));
  unmap_page(va);
}

static void test_page_sizes(void) {
  /* 4 KiB alias of a kernel page. */
  uint64_t va = VA_4K + 0x9000;
  map_page(va, (uint64_t)alias_page, PTE_W, PAGE_4K);
  write64(va + 0x40, 0xA11A5A11A5ull);
  uint64_t via_id = *(volatile uint64_t *)(alias_page + 0x40);
  *(volatile uint64_t *)(alias_page + 0x48) = 0x4242;
  check("page_4k_alias", via_id == 0xA11A5A11A5ull && read64(va + 0x48) == 0x4242);
  unmap_page(va);

  /* 2 MiB page at 16 MiB physical, also reachable through the identity map. */
  map_page(VA_2M, PA_2M, PTE_W, PAGE_2M);
  write64(VA_2M + 0x1FF008, 0x2222333344445555ull);
  check("page_2m_alias", *(volatile uint64_t *)(PA_2M + 0x1FF008) == 0x2222333344445555ull);
  uint64_t size = 0, *pde = lookup_pte(VA_2M, &size);
  check("page_2m_entry_dirty", size == PAGE_2M && pde && (*pde & (PTE_PS | PTE_A | PTE_D)) == (PTE_PS | PTE_A | PTE_D));
  unmap_page(VA_2M);

  /* 1 GiB page (CPUID.80000001H:EDX[26], SDM Vol. 3A 5.1.4) over physical 0. */
  if (cpuid(0x80000000u, 0).eax >= 0x80000001u && (cpuid(0x80000001u, 0).edx >> 26 & 1)) {
    map_page(VA_1G, 0, PTE_W, PAGE_1G);
    *(volatile uint64_t *)(PA_2M + 0x10) = 0x1616161616161616ull;
    int ok = read64(VA_1G + PA_2M + 0x10) == 0x1616161616161616ull;
    write64(VA_1G + (uint64_t)alias_page + 0x80, 0x1ee7);
    ok &= *(volatile uint64_t *)(alias_page + 0x80) == 0x1ee7;
    check("page_1g_alias", ok);
    unmap_page(VA_1G);
  } else {
    printf("SKIP page_1g_alias: CPUID.80000001H:EDX[26] is 0\n");
  }
}

typedef void (*fn_t)(void);

static void test_nx(void) {
  if (!(cpuid(0x80000001u, 0).edx >> 20 & 1)) {
    printf("SKIP nx: CPUID.80000001H:EDX[20] is 0\n");
    return;
  }
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
  check("efer_nxe_set", (rdmsr(MSR_EFER) & EFER_NXE) != 0);
  uint8_t *code = alloc_page();
  code[0] = 0xC3; /* ret */
  fn_t f = (fn_t)VA_X;
  map_page(VA_X, (uint64_t)code, PTE_W, PAGE_4K);
  fault_arm(FIX_NONE);
  f();
  check("exec_mapped_page", g_fault.count == 0);

  map_page(VA_X, (uint64_t)code, PTE_W | PTE_NX, PAGE_4K);
  fault_arm(FIX_RET);
  f();
  pf_check("pf_exec_nx", PF_P | PF_I, VA_X);
  check_eq("pf_exec_nx_rip", g_fault.rip, VA_X);

  unmap_page(VA_X);
  fault_arm(FIX_RET);
  f();
  pf_check("pf_exec_not_present", PF_I, VA_X);
}

void test_paging(void) {
  test_not_present();
  test_write_protect();
  test_accessed_dirty();
  test_page_sizes();
  test_nx();
}
