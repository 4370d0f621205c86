/* selftest: checks of the CPU and the platform, one PASS/FAIL line each.
 * Lines starting with "info:" describe the machine (memory map, vendor,
 * command line as passed) and may differ between correct platforms; tests
 * drop them, with "timing:" lines, before comparing runs.
 * Exit code: the number of failed checks. */
#include "selftest.h"

static int passed, failed;

void check(const char *name, int ok) {
  if (ok) {
    passed++;
    printf("PASS %s\n", name);
  } else {
    failed++;
    printf("FAIL %s\n", name);
  }
}

void check_eq(const char *name, uint64_t got, uint64_t want) {
  if (got == want) {
    passed++;
    printf("PASS %s\n", name);
  } else {
    failed++;
    printf("FAIL %s got 0x%lx want 0x%lx\n", name, got, want);
  }
}

static void test_cpuid_tsc(void) {
  struct cpuid_regs r = cpuid(0, 0);
  char v[13];
  memcpy(v, &r.ebx, 4);
  memcpy(v + 4, &r.edx, 4);
  memcpy(v + 8, &r.ecx, 4);
  v[12] = 0;
  printf("info: cpuid vendor %s max leaf 0x%x\n", v, r.eax);
  int printable = 1;
  for (int i = 0; i < 12; i++) printable &= v[i] >= 0x20 && v[i] < 0x7f;
  check("cpuid_vendor", printable && r.eax >= 1);
  check("cpuid_has_tsc", (cpuid(1, 0).edx >> 4) & 1);

  uint64_t first = rdtsc(), prev = first;
  int mono = 1;
  for (int i = 0; i < 1000; i++) {
    uint64_t t = rdtsc();
    mono &= t >= prev;
    prev = t;
  }
  check("rdtsc_monotonic", mono && prev > first);
}

int kmain(uint32_t magic, uint32_t mbi) {
  (void)mbi;
  printf("selftest: program %s args \"%s\"\n", wl_mbi.progname, wl_mbi.args);
  check_eq("multiboot_magic", magic, MB_BOOT_MAGIC);
  /* The same printf runs everywhere; this line is compared with golden text. */
  printf("printf: [%5d] [%-5d|] [%05d] [%x] [%X] [%lu] [%lld] [%llx] [%s] [%-4s|] [%c] [%%] [%p]\n", -42,
         7, -42, 0xbeefu, 0xbeefu, 18446744073709551615ul, -9223372036854775807ll - 1, 0x123456789abcdefull,
         "str", "ab", 'z', (void *)0x1000);
  faults_install();
  test_platform();
  test_cpuid_tsc();
  test_faults();
  test_intops();
  test_strings();
  test_paging();
  test_user();
  printf("selftest: %d passed, %d failed\n", passed, failed);
  return failed;
}
