/* Shadow paging for mmu=shadow.
 *
 * The processor walks shadow tables kept here (real CR3); the guest's own
 * 4-level tables are only read by the hypervisor.  Strategy:
 *
 *  - The shadow is filled lazily, 4 KiB at a time: every guest #PF exits
 *    (exception bitmap bit 14).  The handler walks the guest's tables
 *    (SDM Vol. 3A 5.5 and 5.6 for the permission rules, including CR0.WP
 *    and EFER.NXE); a fault there is injected into the guest with the
 *    error code the guest's tables imply and CR2 set; otherwise one shadow
 *    entry is installed and the guest resumes.  Guest 2 MiB and 1 GiB pages
 *    are shadowed with 4 KiB pages.  Accessed and dirty bits are set in the
 *    guest's entries by the walk; a page whose guest entry is not yet dirty
 *    is shadowed read-only until its first write.
 *  - MOV to CR3 (and toggling CR0.PG/WP, CR4.PAE/PSE/PGE) drops the whole
 *    shadow; INVLPG drops the shadow entry of that page (or the whole
 *    2 MiB range when the guest mapped it with a large page).
 *  - Guest page-table pages are write-protected: each guest frame the walk
 *    reads as a table is marked, and is never mapped writable in the
 *    shadow (if it already was, the shadow is dropped).  A write to a
 *    marked frame faults; the hypervisor decodes the instruction (the MOV,
 *    XCHG and OR/AND/XOR forms with a memory destination that gcc emits,
 *    REP STOS: ptwrite.c), performs the write on guest memory and skips
 *    the instruction.  A
 *    write that changes an entry which was present may invalidate shadow
 *    entries derived from it: the whole shadow is dropped.  Writes to
 *    not-present entries or of an unchanged value need nothing, because
 *    shadow entries only ever come from present guest entries.
 *  - A frame with many emulated writes and no walk through it in between
 *    (a freed page table reused as data) is unprotected (the shadow is
 *    dropped; a later walk protects it again).
 *  - An instruction the decoder does not know is single-stepped with the
 *    monitor trap flag with its target frame writable, then the shadow is
 *    dropped.
 * The shadow pool is a fixed set of host pages; when it runs out, the
 * shadow is dropped and refilled.  VPID is not used in this mode, so every
 * VM entry and exit flushes the TLB and shadow changes need no INVVPID.
 * The guest walk, the shadow pool and table slots are lib/hv_shadow.c.
 */
#include "hv.h"

#define POOL_PAGES 1024
#define FLOOD_LIMIT 64

static struct hv_spool spool;
static uint64_t *root;
static uint32_t *idmap_pd; /* 32-bit page directory, 4 MiB pages: paging "off" */
static uint64_t *pt_bits, *wmap_bits;
static uint8_t *flood;
static uint64_t frames;
static int64_t stepping_frame = -1;
static int guest_tf;
unsigned long stepped; /* single-stepped writes to page tables */

static int test_bit(const uint64_t *b, uint64_t i) { return (b[i / 64] >> (i % 64)) & 1; }
static void set_bit(uint64_t *b, uint64_t i) { b[i / 64] |= 1ull << (i % 64); }
static void clear_bit(uint64_t *b, uint64_t i) { b[i / 64] &= ~(1ull << (i % 64)); }

struct hv_guest_paging shadow_guest_paging(void) {
  return (struct hv_guest_paging){hv.guest_cr0, hv.guest_cr3, hv.guest_efer};
}

void shadow_flush_all(void) {
  root = hv_spool_reset(&spool);
  for (uint64_t i = 0; i < (frames + 63) / 64; i++) wmap_bits[i] = 0;
  if ((hv.guest_cr0 & CR0_PG) && vmread(VMCS_GUEST_CR3) != (uint64_t)(uintptr_t)root)
    vmwrite(VMCS_GUEST_CR3, (uint64_t)(uintptr_t)root);
}

void shadow_init(void) {
  frames = hv_guest.ram_size >> 12;
  spool.pages = hv_alloc_pages(POOL_PAGES);
  spool.size = POOL_PAGES;
  idmap_pd = hv_alloc_pages(1);
  for (uint64_t i = 0; i < hv_guest.ram_size >> 22; i++)
    idmap_pd[i] = (uint32_t)((uintptr_t)hv_guest.ram + (i << 22)) | 0x87; /* P, W, U, PS */
  unsigned bitmap_pages = (unsigned)((frames / 8 + 4095) / 4096);
  pt_bits = hv_alloc_pages(bitmap_pages);
  wmap_bits = hv_alloc_pages(bitmap_pages);
  flood = hv_alloc_pages((unsigned)((frames + 4095) / 4096));
  root = hv_spool_reset(&spool);
}

uint64_t shadow_real_cr3(void) {
  return (hv.guest_cr0 & CR0_PG) ? (uint64_t)(uintptr_t)root : (uint64_t)(uintptr_t)idmap_pd;
}

void shadow_invlpg(uint64_t va) { hv_shadow_invlpg(root, va); }

/* Marks the tables of a walk as write-protected; returns 1 when the shadow
 * had to be dropped (one of them was mapped writable). */
static int protect_tables(const struct hv_walk *w) {
  int flushed = 0;
  for (int i = 0; i < w->n; i++) {
    uint64_t f = w->table_gpa[i] >> 12;
    flood[f] = 0;
    if (test_bit(pt_bits, f)) continue;
    set_bit(pt_bits, f);
    if (test_bit(wmap_bits, f) && !flushed) {
      shadow_flush_all();
      flushed = 1;
    }
  }
  return flushed;
}

/* One 4 KiB shadow leaf for va; the tables above a guest large page are
 * marked so that INVLPG drops all of it.  Page-table frames stay
 * read-only (but the one being single-stepped). */
static void install(uint64_t va, const struct hv_walk *w, uint32_t access) {
  if (spool.used + 4 > spool.size) shadow_flush_all();
  int resized = 0, guest_level = (int)(w->page_shift - 12) / 9 + 1;
  uint64_t *slot = hv_shadow_slot(&spool, root, va, 1, PTE_P | PTE_W | PTE_U, guest_level, &resized);
  uint64_t f = w->gpa >> 12;
  uint64_t flags = hv_shadow_leaf_flags(w, access, (hv.guest_cr0 & CR0_WP) != 0);
  if (test_bit(pt_bits, f) && (int64_t)f != stepping_frame) flags &= ~PTE_W;
  if (flags & PTE_W) set_bit(wmap_bits, f);
  *slot = ((uintptr_t)hv_guest.ram + (f << 12)) | flags | (*w->ents[w->n - 1] & (PTE_PWT | PTE_PCD));
}

/* Notes a write to guest memory at gpa: whether an entry that was present
 * changed (then the shadow must go), and the flooding count. */
static void after_table_write(uint64_t gpa, int changed_present) {
  if (changed_present) shadow_flush_all();
  uint64_t f = gpa >> 12;
  if (++flood[f] >= FLOOD_LIMIT) {
    clear_bit(pt_bits, f);
    flood[f] = 0;
    shadow_flush_all();
  }
}

/* ---------------------------------------------------------------- faults */

static void inject_guest_pf(uint64_t addr, uint32_t pfec, uint32_t vec) {
  /* A #PF while delivering #PF or a contributory exception is a #DF. */
  if ((vec & INTR_INFO_VALID) && (vec & 0x700) == INTR_TYPE_HW_EXCEPTION && hv_pf_makes_df(vec & 0xFF)) {
    hv_inject(8, INTR_TYPE_HW_EXCEPTION, 1, 0, 0);
    return;
  }
  hv_inject_pf(addr, pfec);
}

/* Starts single-stepping the instruction that writes page-table frame f
 * with the frame writable. */
static void step_write(uint64_t f) {
  stepping_frame = (int64_t)f;
  stepped++;
  if (hv.have_mtf) {
    vmwrite(VMCS_CPU_CTLS, hv.cpu_ctls | CPU_MTF);
  } else {
    /* No monitor trap flag (Bochs' Sandy Bridge model): RFLAGS.TF
     * with #DB intercepted; the guest's own TF is kept aside. */
    uint64_t fl = vmread(VMCS_GUEST_RFLAGS);
    guest_tf = (fl >> 8) & 1;
    vmwrite(VMCS_GUEST_RFLAGS, fl | (1u << 8));
    vmwrite(VMCS_EXCEPTION_BITMAP, (1u << 14) | (1u << 1));
  }
}

void shadow_handle_pf(uint64_t addr, uint32_t pfec, uint32_t vec) {
  if (!(hv.guest_cr0 & CR0_PG)) {
    printf("hv: guest access to 0x%lx outside its RAM (paging off)\n", addr);
    hv_exit(HV_EXIT_EPT);
  }
  uint32_t access = pfec & (HV_PF_W | HV_PF_U | HV_PF_I);
  struct hv_guest_paging p = shadow_guest_paging();
  struct hv_walk w;
  int r = hv_walk_guest(&hv_guest, &p, addr, access, 1, &w);
  if (r == HV_WALK_BAD_TABLE) {
    printf("hv: guest page table outside its RAM (va 0x%lx)\n", addr);
    hv_exit(HV_EXIT_EPT);
  }
  if (r == HV_WALK_FAULT) {
    inject_guest_pf(addr, w.pfec, vec);
    return;
  }
  if (w.gpa >= hv_guest.ram_size) {
    printf("hv: guest access to guest-physical 0x%lx (va 0x%lx) outside its RAM\n", w.gpa, addr);
    hv_exit(HV_EXIT_EPT);
  }
  protect_tables(&w);
  uint64_t f = w.gpa >> 12;
  if ((access & HV_PF_W) && test_bit(pt_bits, f) && (int64_t)f != stepping_frame) {
    int changed;
    if (!(vec & INTR_INFO_VALID) && ptwrite_emulate(addr, w.gpa, &changed) == 0) {
      after_table_write(w.gpa, changed);
      return;
    }
    /* Event delivery writing to a table, or an unknown instruction:
     * make the frame writable for one instruction. */
    if (vec & INTR_INFO_VALID) {
      clear_bit(pt_bits, f); /* re-protected by the next walk through it */
      shadow_flush_all();
    } else {
      step_write(f);
    }
  }
  install(addr, &w, access);
}

void shadow_handle_mtf(void) {
  vmwrite(VMCS_CPU_CTLS, hv.cpu_ctls);
  stepping_frame = -1;
  shadow_flush_all();
}

void shadow_cancel_step(void) {
  if (stepping_frame < 0) return;
  if (hv.have_mtf) {
    vmwrite(VMCS_CPU_CTLS, hv.cpu_ctls);
  } else {
    uint64_t fl = vmread(VMCS_GUEST_RFLAGS);
    vmwrite(VMCS_GUEST_RFLAGS, (fl & ~(1ull << 8)) | ((uint64_t)guest_tf << 8));
    vmwrite(VMCS_EXCEPTION_BITMAP, 1u << 14);
  }
  stepping_frame = -1;
  shadow_flush_all();
}

int shadow_handle_db(void) {
  if (stepping_frame < 0 || hv.have_mtf) return 0;
  uint64_t fl = vmread(VMCS_GUEST_RFLAGS);
  vmwrite(VMCS_GUEST_RFLAGS, (fl & ~(1ull << 8)) | ((uint64_t)guest_tf << 8));
  vmwrite(VMCS_EXCEPTION_BITMAP, 1u << 14);
  stepping_frame = -1;
  shadow_flush_all();
  return 1;
}
