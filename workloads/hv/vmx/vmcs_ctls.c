/* VM-execution, VM-exit and VM-entry controls (SDM Vol. 3C 25.6-25.8):
 * what the hypervisor wants, adjusted to the allowed-0/allowed-1 settings
 * of the capability MSRs (the IA32_VMX_TRUE_*_CTLS ones when
 * IA32_VMX_BASIC[55] says they exist; SDM Vol. 3D A.3-A.5), the MSR bitmap
 * and the CR0/CR4 guest/host masks.  mmu=auto is resolved here. */
#include "hv.h"

static uint64_t msr_ctl(uint32_t plain, uint32_t true_msr, int use_true) { return use_true ? true_msr : plain; }

static void allow_msr(uint8_t *bitmap, uint32_t msr, int rd, int wr) {
  uint32_t off = msr >= 0xC0000000u ? 1024 : 0, bit = msr & 0x1FFF;
  if (rd) bitmap[off + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
  if (wr) bitmap[2048 + off + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

/* mmu=auto: EPT when the processor offers what mmu=ept needs (secondary
 * controls with EPT and unrestricted guest, 4-level EPT walks; SDM Vol. 3D
 * A.3.3, A.10), shadow paging otherwise. */
static int ept_offered(uint32_t cpu_msr) {
  return (rdmsr(cpu_msr) >> 63) &&
         ((rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32) & (CPU2_EPT | CPU2_UNRESTRICTED)) ==
             (CPU2_EPT | CPU2_UNRESTRICTED) &&
         (rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) & EPT_CAP_WALK4);
}

/* Every MSR access exits but the SYSCALL MSRs, FS/GS/KernelGS base,
 * TSC_AUX and TSC reads (SDM Vol. 3C 25.6.9). */
static uint64_t msr_bitmap(void) {
  uint8_t *bm = hv_alloc_pages(1);
  memset(bm, 0xFF, 4096);
  for (uint32_t m = 0xC0000081u; m <= 0xC0000084u; m++) allow_msr(bm, m, 1, 1); /* STAR..SFMASK */
  for (uint32_t m = 0xC0000100u; m <= 0xC0000103u; m++) allow_msr(bm, m, 1, 1); /* FS/GS/KGS base, TSC_AUX */
  allow_msr(bm, 0x10, 1, 0);                                                      /* TSC */
  return (uint64_t)(uintptr_t)bm;
}

void vmcs_setup_controls(void) {
  int use_true = (rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS) != 0;
  uint32_t pin_msr = msr_ctl(MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS, use_true);
  uint32_t cpu_msr = msr_ctl(MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, use_true);
  uint32_t exit_msr = msr_ctl(MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS, use_true);
  uint32_t entry_msr = msr_ctl(MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS, use_true);
  if (hv.mmu == MMU_AUTO) hv.mmu = ept_offered(cpu_msr) ? MMU_EPT : MMU_SHADOW;
  int shadow = hv.mmu == MMU_SHADOW;

  uint32_t pin = vmx_adjust_ctls(PIN_EXT_INT_EXITING, pin_msr);
  uint32_t cpu_want = CPU_HLT_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_MSR_BITMAPS | CPU_SECONDARY;
  /* CR8: with the TPR shadow (SDM 29.3) MOV to/from CR8 use VTPR in the
   * virtual-APIC page and never exit (TPR threshold 0: no TPR-below-
   * threshold exits); otherwise (tpr=exit, or not offered) both exit. */
  int tpr_shadow = !hv.tpr_exit && vmx_ctls_allowed(CPU_TPR_SHADOW, cpu_msr);
  cpu_want |= tpr_shadow ? CPU_TPR_SHADOW : CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING;
  if (shadow) cpu_want |= CPU_INVLPG_EXITING | CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING;
  uint32_t cpu = vmx_adjust_ctls(cpu_want, cpu_msr);
  hv.have_mtf = vmx_ctls_allowed(CPU_MTF, cpu_msr);
  printf("info: hv: pin 0x%lx cpu 0x%lx cpu2 0x%lx exit 0x%lx entry 0x%lx ept/vpid 0x%lx misc 0x%lx\n", rdmsr(pin_msr),
         rdmsr(cpu_msr), (rdmsr(cpu_msr) >> 63) ? rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) : 0, rdmsr(exit_msr),
         rdmsr(entry_msr), (rdmsr(cpu_msr) >> 63) ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0, rdmsr(MSR_IA32_VMX_MISC));
  uint32_t cpu2 = 0;
  uint64_t ept_cap = 0;
  if (cpu & CPU_SECONDARY) {
    uint32_t want2 = 0;
    if (!shadow) want2 |= CPU2_EPT | CPU2_UNRESTRICTED | CPU2_VPID;
    if (cpuid(0x80000001, 0).edx & (1u << 27)) want2 |= CPU2_RDTSCP;
    /* Take only what is allowed (the allowed-0 half is all zero). */
    cpu2 = vmx_adjust_ctls(want2, MSR_IA32_VMX_PROCBASED_CTLS2);
    if (cpu2 & (CPU2_EPT | CPU2_VPID)) ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
  }
  if (!shadow) {
    if ((cpu2 & (CPU2_EPT | CPU2_UNRESTRICTED)) != (CPU2_EPT | CPU2_UNRESTRICTED) ||
        !(ept_cap & EPT_CAP_WALK4)) {
      printf("hv: mmu=ept needs EPT (4-level walk) and unrestricted guest (secondary 0x%x, cap 0x%lx)\n",
             cpu2, ept_cap);
      hv_exit(HV_EXIT_SETUP);
    }
  }
  uint32_t exitc = vmx_adjust_ctls(EXIT_HOST_ADDR64 | EXIT_SAVE_EFER | EXIT_LOAD_EFER, exit_msr);
  uint32_t entryc = vmx_adjust_ctls(ENTRY_LOAD_EFER, entry_msr);
  if ((exitc & (EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_HOST_ADDR64)) !=
          (EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_HOST_ADDR64) ||
      !(entryc & ENTRY_LOAD_EFER)) {
    printf("hv: need load/save IA32_EFER controls (exit 0x%x entry 0x%x)\n", exitc, entryc);
    hv_exit(HV_EXIT_SETUP);
  }
  hv.cpu_ctls = cpu;
  hv.ept_cap = ept_cap;
  hv.cpu_ctls2 = cpu2;
  hv.entry_ctls = entryc;
  vmwrite(VMCS_PIN_CTLS, pin);
  vmwrite(VMCS_CPU_CTLS, cpu);
  if (cpu & CPU_SECONDARY) vmwrite(VMCS_CPU_CTLS2, cpu2);
  vmwrite(VMCS_EXIT_CTLS, exitc);
  vmwrite(VMCS_ENTRY_CTLS, entryc);
  vmwrite(VMCS_EXCEPTION_BITMAP, shadow ? (1u << 14) : 0);
  vmwrite(VMCS_PF_ERROR_MASK, 0);
  vmwrite(VMCS_PF_ERROR_MATCH, 0);
  vmwrite(VMCS_CR3_TARGET_COUNT, 0);
  vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
  vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
  vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
  vmwrite(VMCS_ENTRY_INTR_INFO, 0);
  if (cpu & CPU_USE_MSR_BITMAPS) vmwrite(VMCS_MSR_BITMAP, msr_bitmap());
  if (cpu & CPU_TPR_SHADOW) {
    static uint8_t vapic[4096] __attribute__((aligned(4096)));
    vmwrite(VMCS_VIRTUAL_APIC_ADDR, (uint64_t)(uintptr_t)vapic);
    vmwrite(VMCS_TPR_THRESHOLD, 0);
  }
  printf("info: hv: tpr=%s\n", (cpu & CPU_TPR_SHADOW) ? "shadow" : "exit");
  /* Which CR bits exits and read shadows cover. */
  if (shadow) {
    hv.cr0_mask = ~0ull;
    hv.cr4_mask = ~0ull;
  } else {
    hv.cr0_mask = ((hv.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | ~hv.cr0_fixed1) & 0xFFFFFFFFull;
    hv.cr4_mask = (hv.cr4_fixed0 | ~hv.cr4_fixed1) & 0xFFFFFFFFull;
  }
  vmwrite(VMCS_CR0_MASK, hv.cr0_mask);
  vmwrite(VMCS_CR4_MASK, hv.cr4_mask);
}
