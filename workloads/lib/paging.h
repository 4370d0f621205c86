/* 4-level paging helpers over the boot identity map (first 4 GiB, 2 MiB
 * pages).  Page-table pages come from a static pool and are identity
 * mapped, so their physical address is their address.  Entry format: Intel
 * SDM Vol. 3A 5.5 (4-level paging), Tables 5-15 to 5-20. */
#ifndef WL_PAGING_H
#define WL_PAGING_H

#include <stdint.h>

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

#define PAGE_4K 0x1000ull
#define PAGE_2M 0x200000ull
#define PAGE_1G 0x40000000ull

/* Maps one page of the given size (PAGE_4K, PAGE_2M or PAGE_1G) at va to
 * pa with flags (P is implied).  Intermediate tables are created present,
 * writable, and user-accessible when flags has PTE_U; a large page in the
 * way of a smaller mapping is split first.  Returns 0, or -1 when out of
 * pool pages.  Flushes the TLB entry for va. */
int map_page(uint64_t va, uint64_t pa, uint64_t flags, uint64_t size);
/* Clears the leaf entry for va (any size) and flushes it. */
void unmap_page(uint64_t va);
/* Leaf entry for va and its level size, or 0 when not mapped. */
uint64_t *lookup_pte(uint64_t va, uint64_t *size);
/* Zeroed 4 KiB page from the pool (for page tables or test data). */
void *alloc_page(void);

#endif
