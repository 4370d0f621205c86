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
#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_RSVD 8u
#define PF_I 16u

#define POOL_PAGES 1024
static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned pool_used;
static uint64_t ident_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ident_pd[4][512] __attribute__((aligned(4096)));

static uint64_t g_cr0 = 0x11, g_cr3, g_cr4, g_efer;
static uint64_t *root; /* shadow PML4 while the guest pages */
uint64_t shadow_fills, shadow_flushes;

static int guest_pages(void) { return (g_cr0 & CR0_PG) != 0; }

static uint64_t *pool_alloc(void) {
  if (pool_used == POOL_PAGES) return 0;
  uint64_t *p = pool[pool_used++];
  memset(p, 0, 4096);
  return p;
}

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
  pool_used = 0;
  root = pool_alloc();
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

/* The shadow entry slot for va at the level of a leaf of the given size,
 * creating tables on the way; 0 when the pool is empty. */
static uint64_t *shadow_slot(uint64_t va, uint64_t size) {
  uint64_t *t = root;
  int stop = size == PAGE_2M ? 2 : 1;
  for (int level = 4; level > stop; level--) {
    uint64_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
    if (!(*e & PTE_P) || (*e & PTE_PS)) {
      if (*e & PTE_PS) hv_request_tlb_flush(); /* a 2 MiB leaf replaced by a table */
      uint64_t *n = pool_alloc();
      if (!n) return 0;
      *e = (uint64_t)n | PTE_P | PTE_W | PTE_U | PTE_A;
    }
    t = (uint64_t *)(*e & PTE_ADDR);
  }
  uint64_t *e = &t[(va >> (12 + 9 * (stop - 1))) & 511];
  if (stop == 2 && (*e & PTE_P) && !(*e & PTE_PS)) hv_request_tlb_flush(); /* a table replaced by a leaf */
  return e;
}

static void reflect_page_fault(uint64_t va, uint32_t error) {
  uint64_t pending = hv_vmcb.control.exitintinfo;
  if ((pending & SVM_EVENT_VALID) && SVM_EVENT_TYPE(pending) == SVM_EVENT_TYPE_EXCEPTION) {
    unsigned v = SVM_EVENT_VECTOR(pending);
    if (v == 8) hv_fatal(HV_EXIT_SHUTDOWN, "guest #PF while delivering #DF: triple fault\n");
    if (v == 0 || v == 14 || (v >= 10 && v <= 13)) { /* contributory or #PF, then #PF: #DF (APM 8.2.9) */
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
  if (error & PF_RSVD) hv_fatal(HV_EXIT_UNHANDLED, "reserved-bit fault on a shadow entry at 0x%lx\n", va);
  int w = (error & PF_W) != 0, u = (error & PF_U) != 0, fetch = (error & PF_I) != 0;
  int nxe = (g_efer & EFER_NXE) != 0, wp = (g_cr0 & CR0_WP) != 0;
  uint32_t guest_error = (uint32_t)(error & (PF_W | PF_U)) | (fetch && nxe ? PF_I : 0);

  /* Walk the guest's 4-level table (APM 5.3.3 long-mode paging). */
  uint64_t *ents[4];
  int n = 0, user = 1, writable = 1, noexec = 0;
  uint64_t table = g_cr3 & PTE_ADDR, size = PAGE_4K, frame = 0;
  for (int level = 4; level >= 1; level--) {
    unsigned shift = 12 + 9 * (unsigned)(level - 1);
    uint64_t *e = hv_gpa_to_hva(&hv_guest, table + ((va >> shift) & 511) * 8, 8);
    if (!e) hv_fatal(HV_EXIT_NPF, "guest page table at 0x%lx is outside its RAM\n", table);
    if (!(*e & PTE_P)) {
      reflect_page_fault(va, guest_error);
      return;
    }
    ents[n++] = e;
    user &= (*e & PTE_U) != 0;
    writable &= (*e & PTE_W) != 0;
    if (nxe) noexec |= (*e & PTE_NX) != 0;
    if (level == 1 || ((level == 2 || level == 3) && (*e & PTE_PS))) {
      size = 1ull << shift;
      frame = (*e & PTE_ADDR) & ~(size - 1);
      break;
    }
    table = *e & PTE_ADDR;
  }
  if ((u && !user) || (w && !writable && (u || wp)) || (fetch && noexec)) {
    reflect_page_fault(va, guest_error | PF_P);
    return;
  }
  /* The guest's translation allows the access: update its A/D bits like
   * the page walker (APM 5.4.2) and install the shadow leaf. */
  for (int i = 0; i < n; i++) *ents[i] |= PTE_A;
  uint64_t *leaf = ents[n - 1];
  if (w) *leaf |= PTE_D;
  uint64_t ssize = size > PAGE_2M ? PAGE_2M : size;
  uint64_t gpa = frame + (va & (size - 1) & ~(ssize - 1));
  if (!hv_gpa_to_hva(&hv_guest, gpa, ssize))
    hv_fatal(HV_EXIT_NPF, "guest maps 0x%lx to guest-physical 0x%lx outside its RAM\n", va, gpa);
  uint64_t flags = PTE_P | PTE_A | PTE_D | (noexec ? PTE_NX : 0) | (ssize == PAGE_2M ? PTE_PS : 0);
  if (writable) {
    flags |= (*leaf & PTE_D) ? PTE_W : 0; /* clean pages stay read-only until written */
    flags |= user ? PTE_U : 0;
  } else if (!wp && w && !u) {
    flags |= PTE_W; /* CR0.WP = 0: supervisor may write, user may not */
  } else {
    flags |= user ? PTE_U : 0;
  }
  uint64_t *slot = shadow_slot(va, ssize);
  if (!slot) { /* pool exhausted: start over with an empty shadow */
    flush_all();
    slot = shadow_slot(va, ssize);
  }
  *slot = ((uint64_t)hv_guest.ram + gpa) | flags;
  svm_invlpga(va, HV_ASID);
  shadow_fills++;
}

void shadow_invlpg(uint64_t va) {
  if (!guest_pages()) return;
  uint64_t *t = root;
  for (int level = 4; level >= 1; level--) {
    uint64_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
    if (!(*e & PTE_P)) break;
    if (level == 1 || (level == 2 && (*e & PTE_PS))) {
      *e = 0;
      break;
    }
    t = (uint64_t *)(*e & PTE_ADDR);
  }
  svm_invlpga(va, HV_ASID);
}
