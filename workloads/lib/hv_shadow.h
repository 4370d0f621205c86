/* The shadow-paging core shared by the hypervisor workloads (hv/vmx and
 * hv/svm, mmu=shadow): the walk of the guest's own 4-level IA-32e page
 * tables with the processor's permission rules and accessed/dirty updates
 * (Intel SDM Vol. 3A 4.5, 4.6, 4.8; AMD APM Vol. 2 5.3.3, 5.4.2, 5.6), and
 * the shadow tables the processor really walks: a pool of host pages, the
 * slot of one leaf, INVLPG, the permissions of a shadow leaf.
 *
 * What the hypervisors do differently stays with them: when a shadow
 * entry is filled and dropped, how guest page-table writes are noticed,
 * and the VMCS or VMCB fields that hold the guest's registers. */
#ifndef WL_HV_SHADOW_H
#define WL_HV_SHADOW_H

#include <stdint.h>

#include "hv_guest_loader.h"
#include "paging.h"

/* Page-fault error code bits (SDM Vol. 3A 4.7, APM 8.4.2). */
#define HV_PF_P 1u
#define HV_PF_W 2u
#define HV_PF_U 4u
#define HV_PF_RSVD 8u
#define HV_PF_I 16u

/* Software bit of a shadow table entry (ignored by the processor): the
 * whole subtree below it shadows one guest large page, so INVLPG of any
 * address in it drops the entry itself. */
#define HV_SPTE_SUBTREE (1ull << 9)

/* The guest's paging registers as the guest believes them. */
struct hv_guest_paging {
  uint64_t cr0, cr3, efer;
};

static inline int hv_paging_on(const struct hv_guest_paging *p) { return (p->cr0 >> 31) & 1; }

struct hv_walk {
  uint64_t gpa;           /* the translation of the address */
  uint64_t *ents[4];      /* host pointers to the guest entries walked, PML4E first */
  uint64_t table_gpa[4];  /* guest-physical address of each table walked
                           * (HV_WALK_BAD_TABLE: table_gpa[n] is the bad one) */
  int n;                  /* entries walked (the last one is the leaf) */
  unsigned page_shift;    /* 12, 21 or 30: the guest's page size */
  int w, u, nx;           /* R/W and U/S of every level, NX of any level (with EFER.NXE) */
  uint32_t pfec;          /* HV_WALK_FAULT: the guest's #PF error code */
};
enum { HV_WALK_OK = 0, HV_WALK_FAULT = -1, HV_WALK_BAD_TABLE = -2 };

/* Walks the guest's 4-level tables for va and an access (HV_PF_W, _U, _I
 * bits; 0 checks nothing).  HV_WALK_OK: w is filled and, with set_ad, the
 * accessed bits of every entry and the leaf's dirty bit for a write are
 * set.  HV_WALK_FAULT: the guest's own translation faults, w->pfec holds
 * its error code.  HV_WALK_BAD_TABLE: a table lies outside guest RAM. */
int hv_walk_guest(const struct hv_guest *g, const struct hv_guest_paging *p, uint64_t va, uint32_t access,
                  int set_ad, struct hv_walk *w);

/* Guest-linear to guest-physical (no permission checks, no A/D updates;
 * paging off: the low 32 bits); -1 when not mapped or outside RAM. */
int64_t hv_guest_translate(const struct hv_guest *g, const struct hv_guest_paging *p, uint64_t va);

/* Copies up to n bytes at guest-linear va to buf, stopping at the first
 * unmapped one; returns how many were copied. */
unsigned hv_guest_fetch(const struct hv_guest *g, const struct hv_guest_paging *p, uint64_t va, uint8_t *buf,
                        unsigned n);

/* A #PF raised while the processor delivers a #PF or a contributory
 * exception (#DE, #TS, #NP, #SS, #GP) becomes a #DF (SDM Vol. 3A 6.15
 * Table 6-5, APM 8.2.9). */
static inline int hv_pf_makes_df(unsigned vector) { return vector == 14 || vector == 0 || (vector >= 10 && vector <= 13); }

/* Shadow tables come from a fixed pool of 4 KiB host pages; a full flush
 * recycles it. */
struct hv_spool {
  uint64_t (*pages)[512];
  unsigned size, used;
};
/* A zeroed page, or 0 when the pool is used up. */
uint64_t *hv_spool_alloc(struct hv_spool *p);
/* Frees every page and returns a new, empty root. */
uint64_t *hv_spool_reset(struct hv_spool *p);

/* The slot of va's shadow leaf at leaf_level (1: 4 KiB, 2: 2 MiB) under
 * root, creating the tables on the way from the pool with table_flags,
 * plus HV_SPTE_SUBTREE at levels up to subtree_level (0: none).  A 2 MiB
 * leaf in the way is replaced by a table; *resized is set when that
 * happened or when the slot holds a table that a 2 MiB leaf will replace
 * (the TLB may cache the old size).  Returns 0 when the pool ran out. */
uint64_t *hv_shadow_slot(struct hv_spool *p, uint64_t *root, uint64_t va, int leaf_level, uint64_t table_flags,
                         int subtree_level, int *resized);

/* Drops what shadows va: its leaf, or the HV_SPTE_SUBTREE entry above. */
void hv_shadow_invlpg(uint64_t *root, uint64_t va);

/* P, A, D, and W, U, NX of a shadow leaf for a walk that allowed access:
 * a page the guest has not dirtied stays read-only until its first write;
 * with guest CR0.WP = 0 a supervisor write to a read-only page gets a
 * writable supervisor-only leaf (the real CR0.WP is 1). */
static inline uint64_t hv_shadow_leaf_flags(const struct hv_walk *w, uint32_t access, int guest_wp) {
  int user = (access & HV_PF_U) != 0, write = (access & HV_PF_W) != 0;
  uint64_t f = PTE_P | PTE_A | PTE_D | (w->nx ? PTE_NX : 0);
  if (w->w) {
    if (*w->ents[w->n - 1] & PTE_D) f |= PTE_W; /* clean pages stay read-only until written */
    if (w->u) f |= PTE_U;
  } else if (!guest_wp && write && !user) {
    f |= PTE_W; /* CR0.WP = 0: the supervisor may write, the user may not */
  } else if (w->u) {
    f |= PTE_U;
  }
  return f;
}

#endif
