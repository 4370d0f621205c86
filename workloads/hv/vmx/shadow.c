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
 *    XCHG and OR/AND/XOR forms with a memory destination that gcc emits),
 *    performs the write on guest memory and skips the instruction.  A
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
 */
#include "hv.h"

#define POOL_PAGES 1024
#define FLOOD_LIMIT 64
#define SPTE_GUEST_LARGE (1ull << 9) /* software bit: built from a guest large page */
#define PFEC_P 1u
#define PFEC_W 2u
#define PFEC_U 4u
#define PFEC_I 16u

static uint64_t *pool;
static unsigned pool_used;
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

static uint64_t *pool_page(void) {
  uint64_t *p = pool + (uint64_t)pool_used++ * 512;
  for (int i = 0; i < 512; i++) p[i] = 0;
  return p;
}

void shadow_flush_all(void) {
  pool_used = 0;
  root = pool_page();
  for (uint64_t i = 0; i < (frames + 63) / 64; i++) wmap_bits[i] = 0;
  if ((hv.guest_cr0 & (1ull << 31)) && vmread(VMCS_GUEST_CR3) != (uint64_t)(uintptr_t)root)
    vmwrite(VMCS_GUEST_CR3, (uint64_t)(uintptr_t)root);
}

void shadow_init(void) {
  frames = hv.ram_size >> 12;
  pool = hv_alloc_pages(POOL_PAGES);
  idmap_pd = hv_alloc_pages(1);
  for (uint64_t i = 0; i < hv.ram_size >> 22; i++)
    idmap_pd[i] = (uint32_t)(hv.ram_host + (i << 22)) | 0x87; /* P, W, U, PS */
  unsigned bitmap_pages = (unsigned)((frames / 8 + 4095) / 4096);
  pt_bits = hv_alloc_pages(bitmap_pages);
  wmap_bits = hv_alloc_pages(bitmap_pages);
  flood = hv_alloc_pages((unsigned)((frames + 4095) / 4096));
  pool_used = 0;
  root = pool_page();
}

uint64_t shadow_real_cr3(void) {
  return (hv.guest_cr0 & (1ull << 31)) ? (uint64_t)(uintptr_t)root : (uint64_t)(uintptr_t)idmap_pd;
}

static uint64_t *spte_table(uint64_t e) { return (uint64_t *)(uintptr_t)(e & PTE_ADDR); }

void shadow_invlpg(uint64_t va) {
  uint64_t *t = root;
  for (int shift = 39; shift >= 12; shift -= 9) {
    uint64_t *e = &t[va >> shift & 511];
    if (!(*e & PTE_P)) return;
    if (shift == 12 || (*e & SPTE_GUEST_LARGE)) {
      *e = 0;
      return;
    }
    t = spte_table(*e);
  }
}

/* ------------------------------------------------------------ guest walk */

struct walk {
  uint64_t gpa;
  uint64_t *leaf; /* host pointer to the guest's leaf entry */
  uint64_t table_gpa[4];
  int tables;
  int w, u, nx, large_shift;
  uint32_t pfec; /* when the walk faults */
};

static int guest_nxe(void) { return (hv.guest_efer & EFER_NXE) != 0; }

/* Returns 0 and fills w, or -1 with w->pfec set (guest #PF), or -2 when a
 * guest table lies outside guest RAM. */
static int walk_guest(uint64_t va, uint32_t access, int set_ad, struct walk *w) {
  uint64_t table = hv.guest_cr3 & 0x000FFFFFFFFFF000ull;
  w->w = w->u = 1;
  w->nx = 0;
  w->tables = 0;
  uint64_t *ents[4];
  int n = 0;
  for (int shift = 39;; shift -= 9) {
    if (table + 4096 > hv.ram_size) return -2;
    w->table_gpa[w->tables++] = table;
    uint64_t *e = (uint64_t *)gpa_to_host(table) + (va >> shift & 511);
    ents[n++] = e;
    uint64_t v = *e;
    if (!(v & PTE_P)) {
      w->pfec = access & (PFEC_W | PFEC_U | (guest_nxe() ? PFEC_I : 0));
      return -1;
    }
    w->w &= (v & PTE_W) != 0;
    w->u &= (v & PTE_U) != 0;
    if (guest_nxe() && (v & PTE_NX)) w->nx = 1;
    if (shift == 12 || ((shift == 21 || shift == 30) && (v & PTE_PS))) {
      uint64_t size = 1ull << shift;
      uint64_t frame = v & 0x000FFFFFFFFFF000ull & ~(size - 1);
      w->gpa = frame + (va & (size - 1));
      w->leaf = e;
      w->large_shift = shift;
      break;
    }
    table = v & 0x000FFFFFFFFFF000ull;
  }
  int user = (access & PFEC_U) != 0, write = (access & PFEC_W) != 0, fetch = (access & PFEC_I) != 0;
  int wp = (hv.guest_cr0 & CR0_WP) != 0;
  if ((user && !w->u) || (write && !w->w && (user || wp)) || (fetch && w->nx)) {
    w->pfec = PFEC_P | (access & (PFEC_W | PFEC_U)) | (fetch && guest_nxe() ? PFEC_I : 0);
    return -1;
  }
  if (set_ad) {
    for (int i = 0; i < n; i++) *ents[i] |= PTE_A;
    if (write) *w->leaf |= PTE_D;
  }
  return 0;
}

int64_t guest_translate(uint64_t va) {
  if (!(hv.guest_cr0 & (1ull << 31))) return va < hv.ram_size ? (int64_t)va : -1;
  struct walk w;
  if (walk_guest(va, 0, 0, &w)) return -1;
  return w.gpa < hv.ram_size ? (int64_t)w.gpa : -1;
}

/* Marks the tables of a walk as write-protected; returns 1 when the shadow
 * had to be dropped (one of them was mapped writable). */
static int protect_tables(const struct walk *w) {
  int flushed = 0;
  for (int i = 0; i < w->tables; i++) {
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

static void install(uint64_t va, const struct walk *w, uint32_t access) {
  if (pool_used + 4 > POOL_PAGES) shadow_flush_all();
  uint64_t *t = root;
  for (int shift = 39; shift > 12; shift -= 9) {
    uint64_t *e = &t[va >> shift & 511];
    if (!(*e & PTE_P)) {
      uint64_t *nt = pool_page();
      *e = (uint64_t)(uintptr_t)nt | PTE_P | PTE_W | PTE_U;
      if (shift <= 30 && w->large_shift >= shift) *e |= SPTE_GUEST_LARGE;
    }
    t = spte_table(*e);
  }
  uint64_t f = w->gpa >> 12;
  int user = (access & PFEC_U) != 0, write = (access & PFEC_W) != 0;
  int sw, su = w->u;
  if (!user && write && !w->w && !(hv.guest_cr0 & CR0_WP)) {
    sw = 1; /* supervisor write to a read-only page with CR0.WP = 0 */
    su = 0;
  } else {
    sw = w->w && (*w->leaf & PTE_D);
  }
  if (test_bit(pt_bits, f) && (int64_t)f != stepping_frame) sw = 0;
  if (sw) set_bit(wmap_bits, f);
  uint64_t e = (hv.ram_host + (f << 12)) | PTE_P | PTE_A | PTE_D | (*w->leaf & (PTE_PWT | PTE_PCD));
  if (sw) e |= PTE_W;
  if (su) e |= PTE_U;
  if (w->nx) e |= PTE_NX;
  t[va >> 12 & 511] = e;
}

/* ------------------------------------------------ page-table write emulation */

static int fetch_code(uint64_t rip, uint8_t *buf, int n) {
  for (int i = 0; i < n; i++) {
    int64_t pa = guest_translate(rip + i);
    if (pa < 0) return i;
    buf[i] = *(uint8_t *)gpa_to_host((uint64_t)pa);
  }
  return n;
}

static uint64_t reg_value(unsigned r, int size, int rex) {
  if (size == 1 && !rex && r >= 4 && r < 8) return (hv_get_gpr(r - 4) >> 8) & 0xFF; /* AH..BH */
  return hv_get_gpr(r);
}

static void reg_store(unsigned r, int size, int rex, uint64_t v) {
  if (size == 1 && !rex && r >= 4 && r < 8) {
    uint64_t o = hv_get_gpr(r - 4);
    hv_set_gpr(r - 4, (o & ~0xFF00ull) | ((v & 0xFF) << 8));
    return;
  }
  uint64_t o = hv_get_gpr(r);
  if (size == 1) v = (o & ~0xFFull) | (v & 0xFF);
  else if (size == 2) v = (o & ~0xFFFFull) | (v & 0xFFFF);
  else if (size == 4) v &= 0xFFFFFFFFull;
  hv_set_gpr(r, v);
}

static uint64_t read_mem(const void *p, int size) {
  switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: return *(const uint16_t *)p;
    case 4: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
  }
}

static void write_mem(void *p, int size, uint64_t v) {
  switch (size) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: *(uint16_t *)p = (uint16_t)v; break;
    case 4: *(uint32_t *)p = (uint32_t)v; break;
    default: *(uint64_t *)p = v; break;
  }
}

/* Logic-operation flags: CF = OF = 0, SF/ZF/PF from the result (SDM Vol.
 * 2 OR/AND/XOR); AF is undefined and left clear. */
static void set_logic_flags(uint64_t r, int size) {
  uint64_t fl = vmread(VMCS_GUEST_RFLAGS) & ~0x8D5ull; /* CF PF AF ZF SF OF */
  uint64_t mask = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
  r &= mask;
  if (r == 0) fl |= 1u << 6;
  if ((r >> (size * 8 - 1)) & 1) fl |= 1u << 7;
  unsigned par = (unsigned)(r & 0xFF);
  par ^= par >> 4;
  par ^= par >> 2;
  par ^= par >> 1;
  if (!(par & 1)) fl |= 1u << 2;
  vmwrite(VMCS_GUEST_RFLAGS, fl);
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

/* REP STOS with DF = 0 and 64-bit addressing (page zeroing): the
 * iterations that fall into the faulting page are done here; the
 * instruction resumes natively for the rest (SDM Vol. 2B STOS, REP). */
static int emulate_rep_stos(uint8_t op, int rex, int opsize16, uint64_t rip, int len, uint64_t gpa) {
  if ((op != 0xAA && op != 0xAB) || (vmread(VMCS_GUEST_RFLAGS) & (1u << 10))) return -1;
  int size = op == 0xAA ? 1 : (rex & 8) ? 8 : opsize16 ? 2 : 4;
  uint64_t rdi = gregs.rdi, rcx = gregs.rcx, val = gregs.rax;
  if (rcx == 0 || (rdi & (uint64_t)(size - 1)) || (rdi & 0xFFF) != (gpa & 0xFFF)) return -1;
  uint64_t page = gpa & ~0xFFFull, off = gpa & 0xFFF;
  int changed = 0;
  while (rcx && off < 4096) {
    uint64_t *q = (uint64_t *)gpa_to_host(page + (off & ~7ull));
    uint64_t before = *q;
    write_mem(gpa_to_host(page + off), size, val);
    if (before != *q && (before & PTE_P)) changed = 1;
    off += (uint64_t)size;
    rdi += (uint64_t)size;
    rcx--;
  }
  gregs.rdi = rdi;
  gregs.rcx = rcx;
  if (rcx == 0) vmwrite(VMCS_GUEST_RIP, rip + (uint64_t)len);
  after_table_write(gpa, changed);
  return 0;
}

/* Emulates the faulting write at addr (guest-physical gpa).  Returns 0 when
 * done, -1 when the instruction is not one the decoder handles. */
static int emulate_write(uint64_t addr, uint64_t gpa) {
  uint64_t rip = vmread(VMCS_GUEST_RIP);
  uint8_t b[15];
  int avail = fetch_code(rip, b, 15), i = 0;
  int opsize16 = 0, rex = 0;
  for (; i < avail; i++) {
    uint8_t p = b[i];
    if (p == 0x66) opsize16 = 1;
    else if (p == 0xF0 || p == 0x2E || p == 0x3E || p == 0x26 || p == 0x36 || p == 0x64 || p == 0x65) continue;
    else break;
  }
  int rep = 0;
  for (; i < avail && (b[i] == 0xF3 || b[i] == 0x66); i++) {
    if (b[i] == 0xF3) rep = 1;
    else opsize16 = 1;
  }
  if (i < avail && (b[i] & 0xF0) == 0x40) rex = b[i++];
  if (rep) return i < avail ? emulate_rep_stos(b[i], rex, opsize16, rip, i + 1, gpa) : -1;
  if (i + 2 > avail) return -1;
  uint8_t op = b[i++], modrm = b[i++];
  unsigned mod = modrm >> 6, reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0), rm = modrm & 7;
  if (mod == 3) return -1;
  if (rm == 4) {
    if (i >= avail) return -1;
    uint8_t sib = b[i++];
    if (mod == 0 && (sib & 7) == 5) i += 4;
  } else if (mod == 0 && rm == 5) {
    i += 4; /* RIP-relative */
  }
  if (mod == 1) i += 1;
  else if (mod == 2) i += 4;
  int wide = (rex & 8) ? 8 : opsize16 ? 2 : 4;
  int size, kind; /* kind: 0 mov, 1 xchg, 2 or, 3 and, 4 xor */
  uint64_t src;
  switch (op) {
    case 0x88: case 0x89: case 0x86: case 0x87: case 0x08: case 0x09: case 0x20: case 0x21: case 0x30: case 0x31:
      size = (op & 1) ? wide : 1;
      src = reg_value(reg, size, rex);
      kind = (op & 0xFE) == 0x88 ? 0 : (op & 0xFE) == 0x86 ? 1 : op < 0x10 ? 2 : op < 0x30 ? 3 : 4;
      break;
    case 0xC6: case 0xC7: case 0x80: case 0x81: case 0x83: {
      unsigned sub = (modrm >> 3) & 7;
      size = (op == 0xC6 || op == 0x80) ? 1 : wide;
      if (op == 0xC6 || op == 0xC7) {
        if (sub != 0) return -1;
        kind = 0;
      } else if (sub == 1) kind = 2;
      else if (sub == 4) kind = 3;
      else if (sub == 6) kind = 4;
      else return -1;
      int immsz = (op == 0x83 || size == 1) ? 1 : size == 2 ? 2 : 4;
      if (i + immsz > avail) return -1;
      int64_t imm = immsz == 1 ? (int8_t)b[i] : immsz == 2 ? (int16_t)(b[i] | b[i + 1] << 8)
                                                            : (int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 | (uint32_t)b[i + 3] << 24);
      i += immsz;
      src = (uint64_t)imm;
      break;
    }
    default:
      return -1;
  }
  if (i > avail || (addr & 0xFFF) + (uint64_t)size > 4096) return -1;
  void *p = gpa_to_host(gpa);
  uint64_t *q = (uint64_t *)gpa_to_host(gpa & ~7ull);
  uint64_t before = *q, old = read_mem(p, size), val = src;
  if (kind == 2) val = old | src;
  else if (kind == 3) val = old & src;
  else if (kind == 4) val = old ^ src;
  write_mem(p, size, val);
  if (kind == 1) reg_store(reg, size, rex, old);
  if (kind >= 2) set_logic_flags(val, size);
  vmwrite(VMCS_GUEST_RIP, rip + (uint64_t)i);
  after_table_write(gpa, *q != before && (before & PTE_P));
  return 0;
}

/* ---------------------------------------------------------------- faults */

static void inject_guest_pf(uint64_t addr, uint32_t pfec, uint32_t vec) {
  /* A #PF while delivering #PF or a contributory exception is a #DF
   * (SDM Vol. 3A 6.15, Table 6-5). */
  if ((vec & INTR_INFO_VALID) && (vec & 0x700) == INTR_TYPE_HW_EXCEPTION) {
    unsigned v = vec & 0xFF;
    if (v == 14 || v == 0 || (v >= 10 && v <= 13)) {
      hv_inject(8, INTR_TYPE_HW_EXCEPTION, 1, 0, 0);
      return;
    }
  }
  hv_inject_pf(addr, pfec);
}

void shadow_handle_pf(uint64_t addr, uint32_t pfec, uint32_t vec) {
  if (!(hv.guest_cr0 & (1ull << 31))) {
    printf("hv: guest access to 0x%lx outside its RAM (paging off)\n", addr);
    hv_exit(HV_EXIT_EPT);
  }
  uint32_t access = pfec & (PFEC_W | PFEC_U | PFEC_I);
  struct walk w;
  int r = walk_guest(addr, access, 1, &w);
  if (r == -2) {
    printf("hv: guest page table outside its RAM (va 0x%lx)\n", addr);
    hv_exit(HV_EXIT_EPT);
  }
  if (r == -1) {
    inject_guest_pf(addr, w.pfec, vec);
    return;
  }
  if (w.gpa >= hv.ram_size) {
    printf("hv: guest access to guest-physical 0x%lx (va 0x%lx) outside its RAM\n", w.gpa, addr);
    hv_exit(HV_EXIT_EPT);
  }
  protect_tables(&w);
  uint64_t f = w.gpa >> 12;
  if ((access & PFEC_W) && test_bit(pt_bits, f) && (int64_t)f != stepping_frame) {
    if (!(vec & INTR_INFO_VALID) && emulate_write(addr, w.gpa) == 0) return;
    /* Event delivery writing to a table, or an unknown instruction:
     * make the frame writable for one instruction. */
    if (vec & INTR_INFO_VALID) {
      clear_bit(pt_bits, f); /* re-protected by the next walk through it */
      shadow_flush_all();
    } else {
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
