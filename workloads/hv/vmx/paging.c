/* The guest's control registers and EFER: what the guest believes (hv.guest_*,
 * the read shadows) and what the processor runs with (VMCS guest CR0/CR4/
 * EFER, and CR3 under shadow paging); SDM Vol. 3C 25.6.6 guest/host masks
 * and read shadows.  The CR-access exit that changes them is in exits.c. */
#include "hv.h"

/* mmu=ept: the guest changes CR0.PG, CR3, CR4 (unmasked bits) and EFER.LMA
 * without exits; refresh the hypervisor's view first. */
void hv_sync_from_vmcs(void) {
  if (hv.mmu != MMU_EPT) return;
  hv.guest_cr0 = (vmread(VMCS_GUEST_CR0) & ~hv.cr0_mask) | (vmread(VMCS_CR0_SHADOW) & hv.cr0_mask);
  hv.guest_cr4 = (vmread(VMCS_GUEST_CR4) & ~hv.cr4_mask) | (vmread(VMCS_CR4_SHADOW) & hv.cr4_mask);
  hv.guest_efer = vmread(VMCS_GUEST_EFER);
}

void hv_update_paging_state(void) {
  uint64_t cr0, cr4, efer = hv.guest_efer & ~(uint64_t)(EFER_LMA | EFER_LME);
  int lma = (hv.guest_efer & EFER_LME) && (hv.guest_cr0 & CR0_PG);
  if (hv.mmu == MMU_EPT) {
    uint64_t must1 = hv.cr0_fixed0 & ~(CR0_PE | CR0_PG); /* unrestricted guest */
    cr0 = (hv.guest_cr0 | must1) & hv.cr0_fixed1;
    cr4 = (hv.guest_cr4 | hv.cr4_fixed0) & hv.cr4_fixed1;
    if (lma) efer |= EFER_LMA | EFER_LME;
    else efer |= hv.guest_efer & EFER_LME;
  } else {
    cr0 = (hv.guest_cr0 | hv.cr0_fixed0 | CR0_PG | CR0_PE | CR0_WP) & hv.cr0_fixed1;
    if (hv.guest_cr0 & CR0_PG) {
      if (!lma || !(hv.guest_cr4 & CR4_PAE)) {
        printf("hv: mmu=shadow supports only 4-level IA-32e guest paging (cr0 0x%lx cr4 0x%lx efer 0x%lx)\n",
               hv.guest_cr0, hv.guest_cr4, hv.guest_efer);
        hv_exit(HV_EXIT_UNHANDLED);
      }
      cr4 = (hv.guest_cr4 | hv.cr4_fixed0 | CR4_PAE) & hv.cr4_fixed1;
      efer |= EFER_LMA | EFER_LME;
    } else {
      cr4 = ((hv.guest_cr4 & ~(CR4_PAE | CR4_PCIDE | CR4_SMEP | CR4_SMAP)) | hv.cr4_fixed0 | CR4_PSE) &
            hv.cr4_fixed1;
    }
    vmwrite(VMCS_GUEST_CR3, shadow_real_cr3());
  }
  vmwrite(VMCS_GUEST_CR0, cr0);
  vmwrite(VMCS_GUEST_CR4, cr4);
  vmwrite(VMCS_CR0_SHADOW, hv.guest_cr0);
  vmwrite(VMCS_CR4_SHADOW, hv.guest_cr4);
  if (lma) hv.guest_efer |= EFER_LMA;
  else hv.guest_efer &= ~(uint64_t)EFER_LMA;
  vmwrite(VMCS_GUEST_EFER, efer);
  hv.entry_ctls = lma ? hv.entry_ctls | ENTRY_IA32E_GUEST : hv.entry_ctls & ~ENTRY_IA32E_GUEST;
  vmwrite(VMCS_ENTRY_CTLS, hv.entry_ctls);
}
