/* mmu=ept: guest-physical [0, RAM size) onto the host block, read/write/
 * execute, 2 MiB pages when IA32_VMX_EPT_VPID_CAP offers them (else 4 KiB),
 * write-back when offered (else uncacheable); 4-level walk (SDM Vol. 3C
 * 29.3.2 EPT entries, 25.6.11 the EPT pointer, A.10 the capability MSR). */
#include "hv.h"

#define EPT_RWX 7ull

uint64_t ept_build(uint64_t cap) {
  uint64_t mt = (cap & EPT_CAP_WB) ? 6 : 0;
  uint64_t ram = (uint64_t)(uintptr_t)hv_guest.ram;
  uint64_t *pml4 = hv_alloc_pages(1), *pdpt = hv_alloc_pages(1);
  pml4[0] = (uint64_t)(uintptr_t)pdpt | EPT_RWX;
  for (uint64_t gb = 0; gb * PAGE_1G < hv_guest.ram_size; gb++) {
    uint64_t *pd = hv_alloc_pages(1);
    pdpt[gb] = (uint64_t)(uintptr_t)pd | EPT_RWX;
    for (uint64_t i = 0; i < 512; i++) {
      uint64_t gpa = gb * PAGE_1G + i * PAGE_2M;
      if (gpa >= hv_guest.ram_size) break;
      if (cap & EPT_CAP_2M) {
        pd[i] = (ram + gpa) | EPT_RWX | (mt << 3) | (1ull << 7); /* bit 7: a 2 MiB page */
      } else {
        uint64_t *pt = hv_alloc_pages(1);
        pd[i] = (uint64_t)(uintptr_t)pt | EPT_RWX;
        for (uint64_t j = 0; j < 512; j++) pt[j] = (ram + gpa + j * PAGE_4K) | EPT_RWX | (mt << 3);
      }
    }
  }
  return (uint64_t)(uintptr_t)pml4 | mt | (3ull << 3); /* memory type, walk length - 1 */
}
