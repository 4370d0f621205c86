#include "paging.h"

#include "x86.h"

#define POOL_PAGES 64
static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;

void *alloc_page(void) {
  if (pool_used >= POOL_PAGES) return 0;
  uint64_t *p = (uint64_t *)pool[pool_used++];
  for (int i = 0; i < 512; i++) p[i] = 0;
  return p;
}

static uint64_t *table_of(uint64_t e) { return (uint64_t *)(uintptr_t)(e & PTE_ADDR); }

/* Returns the next-level table under *e, creating it (or splitting the
 * large page there, whose size is child_size * 512) as needed. */
static uint64_t *descend(uint64_t *e, uint64_t user, uint64_t child_size) {
  if (*e & PTE_P) {
    if (!(*e & PTE_PS)) {
      *e |= user;
      return table_of(*e);
    }
    /* Split: same attributes, PS kept only when children are 2 MiB. */
    uint64_t *t = alloc_page();
    if (!t) return 0;
    uint64_t base = *e & PTE_ADDR & ~(child_size * 512 - 1);
    uint64_t attr = *e & ~PTE_ADDR & ~(1ull << 12); /* bit 12 is PAT in a large entry */
    if (child_size == PAGE_4K) attr &= ~PTE_PS;
    for (int i = 0; i < 512; i++) t[i] = (base + i * child_size) | attr;
    *e = (uint64_t)(uintptr_t)t | PTE_P | PTE_W | (*e & PTE_U) | user;
    return t;
  }
  uint64_t *t = alloc_page();
  if (!t) return 0;
  *e = (uint64_t)(uintptr_t)t | PTE_P | PTE_W | user;
  return t;
}

static void flush_all(void) { write_cr3(read_cr3()); }

int map_page(uint64_t va, uint64_t pa, uint64_t flags, uint64_t size) {
  uint64_t user = flags & PTE_U;
  uint64_t *pml4 = table_of(read_cr3());
  uint64_t *pdpt = descend(&pml4[va >> 39 & 511], user, PAGE_1G);
  if (!pdpt) return -1;
  uint64_t *e = &pdpt[va >> 30 & 511];
  if (size != PAGE_1G) {
    uint64_t *pd = descend(e, user, PAGE_2M);
    if (!pd) return -1;
    e = &pd[va >> 21 & 511];
    if (size != PAGE_2M) {
      uint64_t *pt = descend(e, user, PAGE_4K);
      if (!pt) return -1;
      e = &pt[va >> 12 & 511];
    }
  }
  *e = (pa & ~(size - 1)) | flags | PTE_P | (size != PAGE_4K ? PTE_PS : 0);
  /* A split changes translations for the whole old large page. */
  flush_all();
  invlpg(va);
  return 0;
}

uint64_t *lookup_pte(uint64_t va, uint64_t *size) {
  uint64_t *t = table_of(read_cr3());
  for (int shift = 39; shift >= 12; shift -= 9) {
    uint64_t *e = &t[va >> shift & 511];
    if (!(*e & PTE_P)) return 0;
    if (shift == 12 || (shift <= 30 && (*e & PTE_PS))) {
      if (size) *size = 1ull << shift;
      return e;
    }
    t = table_of(*e);
  }
  return 0;
}

void unmap_page(uint64_t va) {
  uint64_t *e = lookup_pte(va, 0);
  if (e) *e = 0;
  invlpg(va);
}
