/* VMX operation and the one VMCS (SDM Vol. 3C chapters 24, 25): VMXON,
 * then the VMCS parts in order: controls (vmcs_ctls.c, with the EPT tables
 * of ept.c), host state (vmcs_host.c), guest state (vmcs_guest.c). */
#include "hv.h"

/* CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL, the CR0/CR4 fixed bits, VMXON,
 * and a current VMCS (SDM Vol. 3C 24.7, 24.8). */
static void vmx_enable(void) {
  if (!(cpuid(1, 0).ecx & (1u << 5))) {
    printf("hv: CPUID reports no VMX\n");
    hv_exit(HV_EXIT_SETUP);
  }
  uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
  if (!(fc & FEATURE_CONTROL_LOCK)) {
    wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
  } else if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
    printf("hv: VMXON disabled by IA32_FEATURE_CONTROL (0x%lx)\n", fc);
    hv_exit(HV_EXIT_SETUP);
  }
  uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
  hv.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
  hv.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
  hv.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
  hv.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
  printf("info: hv: VMX basic 0x%lx cr0 fixed 0x%lx/0x%lx cr4 fixed 0x%lx/0x%lx\n", basic, hv.cr0_fixed0,
         hv.cr0_fixed1, hv.cr4_fixed0, hv.cr4_fixed1);

  write_cr4(read_cr4() | CR4_VMXE);
  write_cr0((read_cr0() | hv.cr0_fixed0) & hv.cr0_fixed1);
  write_cr4((read_cr4() | hv.cr4_fixed0) & hv.cr4_fixed1);

  uint32_t rev = (uint32_t)basic & 0x7FFFFFFF;
  uint32_t *vmxon = hv_alloc_pages(1), *vmcs = hv_alloc_pages(1);
  vmxon[0] = rev;
  vmcs[0] = rev;
  if (vmx_vmxon((uint64_t)(uintptr_t)vmxon)) {
    printf("hv: VMXON failed\n");
    hv_exit(HV_EXIT_SETUP);
  }
  if (vmx_vmclear((uint64_t)(uintptr_t)vmcs) || vmx_vmptrld((uint64_t)(uintptr_t)vmcs)) {
    printf("hv: VMCLEAR/VMPTRLD failed\n");
    hv_exit(HV_EXIT_SETUP);
  }
}

void vmx_setup(uint64_t entry, uint32_t mbi) {
  vmx_enable();
  vmcs_setup_controls();
  if (hv.cpu_ctls2 & CPU2_EPT) vmwrite(VMCS_EPT_POINTER, ept_build(hv.ept_cap));
  if (hv.cpu_ctls2 & CPU2_VPID) vmwrite(VMCS_VPID, 1);
  vmcs_setup_host();
  vmcs_setup_guest(entry, mbi);
  printf("hv: mmu=%s%s%s, guest RAM %lu MiB at host 0x%lx\n", hv.mmu == MMU_SHADOW ? "shadow" : "ept",
         (hv.cpu_ctls2 & CPU2_VPID) ? " vpid" : "", (hv.cpu_ctls & CPU_USE_MSR_BITMAPS) ? " msr-bitmaps" : "",
         hv_guest.ram_size >> 20, (uint64_t)(uintptr_t)hv_guest.ram);
}
