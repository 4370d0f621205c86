/* Physical page allocator over the multiboot memory map, and page tables. */
#include "mk.h"

/* Free frames form a singly linked list threaded through the frames. */
static uint64_t free_head, nfree, ntotal;

static inline void zero_page(void *p) {
  uint64_t n = 512;
  __asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ull) : "memory");
}

void page_free(void *p) {
  *(uint64_t *)p = free_head;
  free_head = (uint64_t)p;
  nfree++;
}

void *page_alloc(void) {
  if (!free_head) return 0;
  uint64_t *p = (uint64_t *)free_head;
  free_head = *p;
  nfree--;
  zero_page(p);
  return p;
}

uint64_t pages_free(void) { return nfree; }
uint64_t pages_total(void) { return ntotal; }

static int overlaps(uint64_t a, uint64_t b, uint64_t lo, uint64_t hi) { return a < hi && lo < b; }

static void add_range(uint64_t base, uint64_t end) {
  uint64_t img_lo = (uint64_t)__image_start & ~0xFFFull;
  uint64_t img_hi = ((uint64_t)__image_end + 0xFFF) & ~0xFFFull;
  if (base < 0x100000) base = 0x100000; /* leave low memory (BIOS, loader data) alone */
  if (end > 0x100000000ull) end = 0x100000000ull; /* only the identity-mapped 4 GiB */
  base = (base + 0xFFF) & ~0xFFFull;
  end &= ~0xFFFull;
  /* Push from the top down so that low frames are handed out first. */
  for (uint64_t pa = end; pa > base;) {
    pa -= 0x1000;
    if (overlaps(pa, pa + 0x1000, img_lo, img_hi)) continue;
    int skip = 0;
    for (int m = 0; m < wl_mbi.mod_count; m++)
      if (overlaps(pa, pa + 0x1000, wl_mbi.mods[m].start & ~0xFFFu, wl_mbi.mods[m].end)) skip = 1;
    if (skip) continue;
    page_free((void *)pa);
    ntotal++;
  }
}

void pmem_init(void) {
  /* Ranges are added highest first, so the list hands out ascending frames. */
  int any = 0;
  for (int i = wl_mbi.mmap_count - 1; i >= 0; i--) {
    if (wl_mbi.mmap[i].type != 1) continue;
    add_range(wl_mbi.mmap[i].base, wl_mbi.mmap[i].base + wl_mbi.mmap[i].length);
    any = 1;
  }
  if (!any && wl_mbi.mem_upper) add_range(0x100000, 0x100000 + (uint64_t)wl_mbi.mem_upper * 1024);
}

uint64_t *pte_slot(uint64_t *pml4, uint64_t va, int create, uint64_t inter_flags) {
  uint64_t *t = pml4;
  for (int shift = 39; shift > 12; shift -= 9) {
    uint64_t *e = &t[va >> shift & 511];
    if (!(*e & PTE_P)) {
      if (!create) return 0;
      void *n = mk_pt_alloc((shift - 12) / 9);
      if (!n) return 0;
      mk_set_pte(e, (uint64_t)n | PTE_P | inter_flags); /* may be queued: use n, not *e */
      t = n;
      continue;
    } else if (*e & PTE_PS) {
      return 0; /* no large pages in the regions this is used for */
    }
    t = (uint64_t *)(*e & PTE_ADDR);
  }
  return &t[va >> 12 & 511];
}

/* Each PML4 entry is cleared before its tables are freed (a PV guest's
 * tables stop being tables only once unlinked); the tables are still
 * readable then. */
void free_user_half(uint64_t *pml4) {
  mk_lazy_begin();
  for (int i = 1; i < 256; i++) {
    if (!(pml4[i] & PTE_P)) continue;
    uint64_t *pdpt = (uint64_t *)(pml4[i] & PTE_ADDR);
    mk_set_pte(&pml4[i], 0);
    for (int j = 0; j < 512; j++) {
      if (!(pdpt[j] & PTE_P)) continue;
      uint64_t *pd = (uint64_t *)(pdpt[j] & PTE_ADDR);
      for (int k = 0; k < 512; k++) {
        if (!(pd[k] & PTE_P)) continue;
        uint64_t *pt = (uint64_t *)(pd[k] & PTE_ADDR);
        for (int l = 0; l < 512; l++)
          if (pt[l] & PTE_P) page_free((void *)(pt[l] & PTE_ADDR));
        mk_pt_free(pt, 1);
      }
      mk_pt_free(pd, 2);
    }
    mk_pt_free(pdpt, 3);
  }
  mk_lazy_end();
}
