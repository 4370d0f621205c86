/* mmu=shadow: shadow page tables without nested paging.
 *
 * Strategy: the shadow table is a software TLB ("virtual TLB").  It starts
 * empty; a #PF intercept walks the guest's tables for the faulting
 * address, reflects the fault to the guest when the guest's own
 * translation faults, and otherwise sets the guest's accessed (and, for a
 * write, dirty) bits and installs one shadow leaf.  Entries leave the
 * shadow exactly when a TLB entry may leave a real TLB by the guest's
 * request: MOV to CR3 (and changes of CR0.PG/WP, CR4 paging bits,
 * EFER.NXE) drop the whole shadow, INVLPG drops the leaf covering the
 * address.  Guest page-table pages therefore need no write protection: a
 * guest that edits a present entry must invalidate it (AMD APM Vol. 2
 * 5.5.3 "TLB Management"; Intel SDM Vol. 3A 4.10.4), and an entry that was
 * not present was never shadowed, so its first use faults and is filled.
 * A stale shadow leaf behaves like a stale TLB entry, which the
 * architecture allows until the invalidation.
 *
 * Dirty bits: a leaf whose guest D bit is clear is shadowed read-only, so
 * the first write faults and sets D (APM 5.4.2).  CR0.WP = 0 in the guest
 * (supervisor writes ignore R/W) runs with the real CR0.WP = 1: a
 * supervisor write to a guest read-only page gets a writable
 * supervisor-only shadow leaf; a later user access faults and refills.
 *
 * While the guest has paging off, it runs with PAE paging on an identity
 * table over its RAM (2 MiB pages), since SVM without nested paging needs
 * CR0.PG = 1.  Guest CR0/CR3/CR4 and EFER are kept here and shown to the
 * guest through CR and MSR intercepts; the VMCB holds the real values.
 * Shadow leaves are 2 MiB where the guest's page is 2 MiB or 1 GiB, 4 KiB
 * otherwise; shadow tables come from a pool that a full flush recycles. */
#include "hv.h"

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)

#define POOL_PAGES 1024
static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static struct hv_spool spool = {pool, POOL_PAGES, 0};
static uint64_t ident_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ident_pd[4][512] __attribute__((aligned(4096)));

static uint64_t g_cr0 = 0x11, g_cr3, g_cr4, g_efer;
static uint64_t *root; /* shadow PML4 while the guest pages */
uint64_t shadow_fills, shadow_flushes;

static int guest_pages(void) { return (g_cr0 & CR0_PG) != 0; }

/* Real CR0/CR4/EFER/CR3 in the VMCB from the guest's view. */
static void sync_real_state(void) {
  struct vmcb_save *s = &hv_vmcb.save;
  s->cr0 = g_cr0 | CR0_PG | CR0_WP | CR0_PE;
  s->cr4 = (g_cr4 | CR4_PAE) & ~CR4_PSE;
  uint64_t efer = EFER_SVME | EFER_NXE | (g_efer & EFER_SCE);
  if (guest_pages() && (g_efer & EFER_LME)) efer |= EFER_LME | EFER_LMA;
  s->efer = efer;
  s->cr3 = guest_pages() ? (uint64_t)root : (uint64_t)ident_pdpt;
}

static void flush_all(void) {
  root = hv_spool_reset(&spool);
  shadow_flushes++;
  hv_request_tlb_flush();
  sync_real_state();
}

void shadow_init(void) {
  /* PAE identity table over guest RAM (PAE PDPTEs have only P and the
   * address: APM 5.3.3). */
  for (uint64_t gpa = 0; gpa < hv_guest.ram_size; gpa += PAGE_2M) {
    unsigned gi = (unsigned)(gpa >> 30);
    ident_pdpt[gi] = (uint64_t)ident_pd[gi] | PTE_P;
    ident_pd[gi][(gpa >> 21) & 511] = ((uint64_t)hv_guest.ram + gpa) | PTE_P | PTE_W | PTE_U | PTE_PS | PTE_A | PTE_D;
  }
  hv_vmcb.control.intercept_cr = SVM_INTERCEPT_CR_READ(0) | SVM_INTERCEPT_CR_READ(3) | SVM_INTERCEPT_CR_READ(4) |
                                 SVM_INTERCEPT_CR_WRITE(0) | SVM_INTERCEPT_CR_WRITE(3) | SVM_INTERCEPT_CR_WRITE(4);
  hv_vmcb.control.intercept_exceptions = 1u << 14; /* #PF */
  hv_vmcb.control.intercept_misc1 |= SVM_INTERCEPT1_INVLPG;
  g_cr0 = hv_vmcb.save.cr0;
  g_cr3 = g_cr4 = g_efer = 0;
  flush_all();
}

uint64_t shadow_read_cr(unsigned cr) { return cr == 0 ? g_cr0 : cr == 3 ? g_cr3 : cr == 4 ? g_cr4 : 0; }

uint64_t shadow_guest_efer(void) {
  return (g_efer & ~(uint64_t)EFER_LMA) | (guest_pages() && (g_efer & EFER_LME) ? EFER_LMA : 0);
}

void shadow_write_efer(uint64_t v) {
  uint64_t old = g_efer;
  g_efer = v & ~(uint64_t)(EFER_LMA | EFER_SVME);
  if ((old ^ g_efer) & EFER_NXE) flush_all();
  else sync_real_state();
}

void shadow_write_cr(unsigned cr, uint64_t v) {
  if (cr == 0) {
    uint64_t old = g_cr0;
    g_cr0 = v;
    if ((v & CR0_PG) && !(old & CR0_PG) && !((g_efer & EFER_LME) && (g_cr4 & CR4_PAE)))
      hv_fatal(HV_EXIT_UNHANDLED, "guest enables paging outside long mode (only 4-level paging is shadowed)\n");
    if ((old ^ v) & (CR0_PG | CR0_WP)) flush_all();
    else sync_real_state();
  } else if (cr == 3) {
    g_cr3 = v;
    if (guest_pages()) flush_all();
  } else if (cr == 4) {
    uint64_t old = g_cr4;
    g_cr4 = v;
    if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE | (1ull << 20) | (1ull << 21))) flush_all(); /* + SMEP, SMAP */
    else sync_real_state();
  } else {
    hv_fatal(HV_EXIT_UNHANDLED, "write to CR%u\n", cr);
  }
}

static void reflect_page_fault(uint64_t va, uint32_t error) {
  uint64_t pending = hv_vmcb.control.exitintinfo;
  if ((pending & SVM_EVENT_VALID) && SVM_EVENT_TYPE(pending) == SVM_EVENT_TYPE_EXCEPTION) {
    unsigned v = SVM_EVENT_VECTOR(pending);
    if (v == 8) hv_fatal(HV_EXIT_SHUTDOWN, "guest #PF while delivering #DF: triple fault\n");
    if (hv_pf_makes_df(v)) {
      hv_inject_exception(8, 1, 0);
      return;
    }
  }
  hv_vmcb.save.cr2 = va;
  hv_inject_exception(14, 1, error);
}

void shadow_page_fault(uint64_t error, uint64_t va) {
  if (!guest_pages())
    hv_fatal(HV_EXIT_NPF, "guest access to 0x%lx outside its RAM (error 0x%lx)\n", va, error);
  if (error & HV_PF_RSVD) hv_fatal(HV_EXIT_UNHANDLED, "reserved-bit fault on a shadow entry at 0x%lx\n", va);
  uint32_t access = (uint32_t)error & (HV_PF_W | HV_PF_U | HV_PF_I);
  struct hv_guest_paging p = {g_cr0, g_cr3, g_efer};
  struct hv_walk w;
  int r = hv_walk_guest(&hv_guest, &p, va, access, 1, &w);
  if (r == HV_WALK_BAD_TABLE)
    hv_fatal(HV_EXIT_NPF, "guest page table at 0x%lx is outside its RAM\n", w.table_gpa[w.n]);
  if (r == HV_WALK_FAULT) {
    reflect_page_fault(va, w.pfec);
    return;
  }
  /* The guest's translation allows the access (the walk set its A/D bits
   * like the page walker, APM 5.4.2): install the shadow leaf, 2 MiB for
   * a guest 2 MiB or 1 GiB page. */
  uint64_t ssize = w.page_shift > 12 ? PAGE_2M : PAGE_4K;
  uint64_t gpa = w.gpa & ~(ssize - 1);
  if (!hv_gpa_to_hva(&hv_guest, gpa, ssize))
    hv_fatal(HV_EXIT_NPF, "guest maps 0x%lx to guest-physical 0x%lx outside its RAM\n", va, gpa);
  uint64_t flags = hv_shadow_leaf_flags(&w, access, (g_cr0 & CR0_WP) != 0) | (ssize == PAGE_2M ? PTE_PS : 0);
  const uint64_t table_flags = PTE_P | PTE_W | PTE_U | PTE_A;
  int level = ssize == PAGE_2M ? 2 : 1, resized = 0;
  uint64_t *slot = hv_shadow_slot(&spool, root, va, level, table_flags, 0, &resized);
  if (!slot) { /* pool exhausted: start over with an empty shadow */
    flush_all();
    slot = hv_shadow_slot(&spool, root, va, level, table_flags, 0, &resized);
  }
  if (resized) hv_request_tlb_flush(); /* the TLB may hold the old page size */
  *slot = ((uint64_t)hv_guest.ram + gpa) | flags;
  svm_invlpga(va, HV_ASID);
  shadow_fills++;
}

void shadow_invlpg(uint64_t va) {
  if (!guest_pages()) return;
  hv_shadow_invlpg(root, va);
  svm_invlpga(va, HV_ASID);
}
