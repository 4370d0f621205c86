#include "hv_shadow.h"

#include "wl.h"

#define CR0_PG (1ull << 31)

int hv_walk_guest(const struct hv_guest *g, const struct hv_guest_paging *p, uint64_t va, uint32_t access,
                  int set_ad, struct hv_walk *w) {
  int nxe = (p->efer & EFER_NXE) != 0;
  uint64_t table = p->cr3 & PTE_ADDR;
  w->w = w->u = 1;
  w->nx = 0;
  w->n = 0;
  for (unsigned shift = 39;; shift -= 9) {
    uint64_t *e = hv_gpa_to_hva(g, table + ((va >> shift) & 511) * 8, 8);
    w->table_gpa[w->n] = table;
    if (!e) return HV_WALK_BAD_TABLE;
    w->ents[w->n++] = e;
    uint64_t v = *e;
    if (!(v & PTE_P)) {
      w->pfec = access & (HV_PF_W | HV_PF_U | (nxe ? HV_PF_I : 0));
      return HV_WALK_FAULT;
    }
    w->w &= (v & PTE_W) != 0;
    w->u &= (v & PTE_U) != 0;
    if (nxe && (v & PTE_NX)) w->nx = 1;
    if (shift == 12 || ((shift == 21 || shift == 30) && (v & PTE_PS))) {
      uint64_t size = 1ull << shift;
      w->gpa = ((v & PTE_ADDR) & ~(size - 1)) + (va & (size - 1));
      w->page_shift = shift;
      break;
    }
    table = v & PTE_ADDR;
  }
  /* Permissions (SDM Vol. 3A 4.6): user accesses need U/S everywhere;
   * writes need R/W everywhere, except supervisor writes with CR0.WP = 0;
   * fetches fault on NX. */
  int user = (access & HV_PF_U) != 0, write = (access & HV_PF_W) != 0, fetch = (access & HV_PF_I) != 0;
  int wp = (p->cr0 & CR0_WP) != 0;
  if ((user && !w->u) || (write && !w->w && (user || wp)) || (fetch && w->nx)) {
    w->pfec = HV_PF_P | (access & (HV_PF_W | HV_PF_U)) | (fetch && nxe ? HV_PF_I : 0);
    return HV_WALK_FAULT;
  }
  if (set_ad) {
    for (int i = 0; i < w->n; i++) *w->ents[i] |= PTE_A;
    if (write) *w->ents[w->n - 1] |= PTE_D;
  }
  return HV_WALK_OK;
}

int64_t hv_guest_translate(const struct hv_guest *g, const struct hv_guest_paging *p, uint64_t va) {
  uint64_t gpa = va & 0xffffffffu;
  if (hv_paging_on(p)) {
    struct hv_walk w;
    if (hv_walk_guest(g, p, va, 0, 0, &w) != HV_WALK_OK) return -1;
    gpa = w.gpa;
  }
  return hv_gpa_to_hva(g, gpa, 1) ? (int64_t)gpa : -1;
}

unsigned hv_guest_fetch(const struct hv_guest *g, const struct hv_guest_paging *p, uint64_t va, uint8_t *buf,
                        unsigned n) {
  unsigned i = 0;
  while (i < n) { /* one translation per 4 KiB page */
    int64_t pa = hv_guest_translate(g, p, va + i);
    if (pa < 0) break;
    unsigned chunk = 4096 - (unsigned)((va + i) & 0xFFF);
    if (chunk > n - i) chunk = n - i;
    for (unsigned k = 0; k < chunk; k++) buf[i + k] = g->ram[pa + k];
    i += chunk;
  }
  return i;
}

uint64_t *hv_spool_alloc(struct hv_spool *p) {
  if (p->used == p->size) return 0;
  uint64_t *t = p->pages[p->used++];
  for (int i = 0; i < 512; i++) t[i] = 0; /* 8-byte stores: memset() is bytewise */
  return t;
}

uint64_t *hv_spool_reset(struct hv_spool *p) {
  p->used = 0;
  return hv_spool_alloc(p);
}

uint64_t *hv_shadow_slot(struct hv_spool *p, uint64_t *root, uint64_t va, int leaf_level, uint64_t table_flags,
                         int subtree_level, int *resized) {
  uint64_t *t = root;
  for (int level = 4; level > leaf_level; level--) {
    uint64_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
    if (!(*e & PTE_P) || (*e & PTE_PS)) {
      if (*e & PTE_PS) *resized = 1; /* a 2 MiB leaf replaced by a table */
      uint64_t *n = hv_spool_alloc(p);
      if (!n) return 0;
      *e = (uint64_t)(uintptr_t)n | table_flags | (level <= subtree_level ? HV_SPTE_SUBTREE : 0);
    }
    t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
  }
  uint64_t *e = &t[(va >> (12 + 9 * (leaf_level - 1))) & 511];
  if (leaf_level == 2 && (*e & PTE_P) && !(*e & PTE_PS)) *resized = 1; /* a table replaced by a leaf */
  return e;
}

void hv_shadow_invlpg(uint64_t *root, uint64_t va) {
  uint64_t *t = root;
  for (int level = 4; level >= 1; level--) {
    uint64_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
    if (!(*e & PTE_P)) return;
    if (level == 1 || (*e & (PTE_PS | HV_SPTE_SUBTREE))) {
      *e = 0;
      return;
    }
    t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
  }
}
