/* smp: multiprocessor checks and benchmarks (run with platform.cpus = N). */
#include "smp_tests.h"
#include "wl.h"

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic;
  (void)mbi;
  return smp_tests_run(wl_mbi.args);
}
