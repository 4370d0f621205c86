/* Host-state area (SDM Vol. 3C 25.5): what the hypervisor runs with now,
 * so that a VM exit lands in vmx_exit_entry (entry.S) on the current
 * GDT, IDT, TSS and page tables. */
#include "hv.h"

struct dtr {
  uint16_t limit;
  uint64_t base;
} __attribute__((packed));

void vmcs_setup_host(void) {
  struct dtr gdtr, idtr;
  uint16_t tr;
  __asm__ volatile("sgdt %0; sidt %1; str %2" : "=m"(gdtr), "=m"(idtr), "=r"(tr));
  const uint64_t *gdt = (const uint64_t *)gdtr.base;
  uint64_t d = gdt[tr >> 3];
  uint64_t tr_base = ((d >> 16) & 0xFFFFFF) | ((d >> 56) << 24) | (gdt[(tr >> 3) + 1] << 32);
  vmwrite(VMCS_HOST_CR0, read_cr0());
  vmwrite(VMCS_HOST_CR3, read_cr3());
  vmwrite(VMCS_HOST_CR4, read_cr4());
  vmwrite(VMCS_HOST_CS_SEL, SEL_KCODE);
  vmwrite(VMCS_HOST_SS_SEL, SEL_KDATA);
  vmwrite(VMCS_HOST_DS_SEL, SEL_KDATA);
  vmwrite(VMCS_HOST_ES_SEL, SEL_KDATA);
  vmwrite(VMCS_HOST_FS_SEL, 0);
  vmwrite(VMCS_HOST_GS_SEL, 0);
  vmwrite(VMCS_HOST_TR_SEL, tr);
  vmwrite(VMCS_HOST_FS_BASE, 0);
  vmwrite(VMCS_HOST_GS_BASE, 0);
  vmwrite(VMCS_HOST_TR_BASE, tr_base);
  vmwrite(VMCS_HOST_GDTR_BASE, gdtr.base);
  vmwrite(VMCS_HOST_IDTR_BASE, idtr.base);
  vmwrite(VMCS_HOST_SYSENTER_CS, 0);
  vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
  vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
  vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER));
  vmwrite(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
}
