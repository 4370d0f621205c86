/* ext.fastcall, the hypervisor side (hvsim_ext.h): enable the handler and
 * serve the hypercalls both bundled hypervisors share. */
#include "hvsim_ext.h"
#include "serial.h"

extern char hv_fastcall_entry[];
static uint8_t fastcall_stack[4096] __attribute__((aligned(16)));

int hv_fastcall_setup(void) {
  if (!(hvsim_ext_features() & HVSIM_EXT_FASTCALL)) return 0;
  uint16_t cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  wrmsr(HVSIM_MSR_FASTCALL_RIP, (uint64_t)(uintptr_t)hv_fastcall_entry);
  wrmsr(HVSIM_MSR_FASTCALL_RSP, (uint64_t)(uintptr_t)(fastcall_stack + sizeof fastcall_stack));
  wrmsr(HVSIM_MSR_FASTCALL_CR3, read_cr3());
  wrmsr(HVSIM_MSR_FASTCALL_CTL, 1 | (uint64_t)cs << 32);
  printf("info: hv: ext.fastcall handler enabled\n");
  return 1;
}

uint64_t hv_hypercall(uint64_t nr, uint64_t arg) {
  if (nr == HVSIM_HC_NOP) return arg + 1;
  return ~0ull;
}
