/* Guest-state area (SDM Vol. 3C 25.4): the multiboot entry state
 * (Multiboot 0.6.96 3.2): 32-bit protected mode, flat 4 GiB code and data
 * segments, paging off, EAX = 0x2BADB002, EBX = the multiboot information,
 * RFLAGS = 2.  Unusable LDTR, a busy 32-bit TSS as VM entry requires
 * (26.3.1.2). */
#include "hv.h"

void vmcs_setup_guest(uint64_t entry, uint32_t mbi) {
  static const uint32_t segs[6][2] = {
      {VMCS_GUEST_ES_SEL, 0x10}, {VMCS_GUEST_CS_SEL, 0x08}, {VMCS_GUEST_SS_SEL, 0x10},
      {VMCS_GUEST_DS_SEL, 0x10}, {VMCS_GUEST_FS_SEL, 0x10}, {VMCS_GUEST_GS_SEL, 0x10}};
  for (int i = 0; i < 6; i++) {
    uint32_t f = segs[i][0] - VMCS_GUEST_ES_SEL; /* 2 * segment index */
    vmwrite(segs[i][0], segs[i][1]);
    vmwrite(VMCS_GUEST_ES_BASE + f, 0);
    vmwrite(VMCS_GUEST_ES_LIMIT + f, 0xFFFFFFFF);
    vmwrite(VMCS_GUEST_ES_AR + f, segs[i][1] == 0x08 ? 0xC09B : 0xC093);
  }
  vmwrite(VMCS_GUEST_LDTR_SEL, 0);
  vmwrite(VMCS_GUEST_LDTR_BASE, 0);
  vmwrite(VMCS_GUEST_LDTR_LIMIT, 0);
  vmwrite(VMCS_GUEST_LDTR_AR, 0x10000); /* unusable */
  vmwrite(VMCS_GUEST_TR_SEL, 0);
  vmwrite(VMCS_GUEST_TR_BASE, 0);
  vmwrite(VMCS_GUEST_TR_LIMIT, 0x67);
  vmwrite(VMCS_GUEST_TR_AR, 0x8B); /* present, busy 32-bit TSS */
  vmwrite(VMCS_GUEST_GDTR_BASE, 0);
  vmwrite(VMCS_GUEST_GDTR_LIMIT, 0);
  vmwrite(VMCS_GUEST_IDTR_BASE, 0);
  vmwrite(VMCS_GUEST_IDTR_LIMIT, 0);
  vmwrite(VMCS_GUEST_DR7, 0x400);
  vmwrite(VMCS_GUEST_DEBUGCTL, 0);
  vmwrite(VMCS_GUEST_RSP, 0x7000);
  vmwrite(VMCS_GUEST_RIP, entry);
  vmwrite(VMCS_GUEST_RFLAGS, 0x2);
  vmwrite(VMCS_GUEST_PENDING_DBG, 0);
  vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
  vmwrite(VMCS_GUEST_ACTIVITY, 0);
  vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
  vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
  vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
  vmwrite(VMCS_LINK_POINTER, ~0ull);
  vmwrite(VMCS_GUEST_CR3, 0);
  hv.guest_cr0 = 0x11; /* PE, ET */
  hv.guest_cr4 = 0;
  hv.guest_efer = 0;
  if (hv.mmu == MMU_SHADOW) shadow_init();
  hv_update_paging_state();
  gregs.rax = MB_BOOT_MAGIC;
  gregs.rbx = mbi;
}
