/* Page-table validation (Xen's page types and counts): mmu_update,
 * update_va_mapping, mmuext_op, and guest-virtual copies. */
#include "hv.h"

static struct page_info frames[HV_MAX_FRAMES];
/* TLB flush clock (Xen's tlbflush_timestamp, simplified): flush_epoch
 * counts full flushes; a frame whose writable mapping went away gets
 * stamp = flush_epoch + 1 and may still be writable through a stale TLB
 * entry until the next full flush, so it becomes a table only after one. */
static uint32_t flush_epoch;
static int stale(const struct page_info *pi) { return pi->stamp == flush_epoch + 1; }

#define PTE_FLAGS_OK \
  (PTE_P | PTE_W | PTE_U | (1ull << 3) | (1ull << 4) | PTE_A | PTE_D | (7ull << 9) | (0x7Full << 52) | PTE_NX) /* no G: CR3 loads flush all */

void mm_init(uint64_t mem_base, uint64_t mem_end) {
  dom.mem_base = mem_base;
  dom.mem_end = mem_end;
}

struct page_info *page_info_of(uint64_t pa) {
  if (pa < dom.mem_base || pa >= dom.mem_end) return 0;
  return &frames[(pa - dom.mem_base) >> 12];
}

static int use_pcid;
#define PCID_KERNEL 1ull
#define PCID_USER 2ull
#define CR3_NOFLUSH (1ull << 63)

/* INVPCID types (SDM Vol. 2A): 0 one address, 1 one PCID, 3 all but global. */
static void invpcid(uint64_t type, uint64_t pcid, uint64_t va) {
  struct { uint64_t pcid, va; } d = {pcid, va};
  __asm__ volatile("invpcid %0, %1" ::"m"(d), "r"(type) : "memory");
}

int pcid_init(void) {
  const int pcid = (cpuid(1, 0).ecx >> 17) & 1, inv = (cpuid(7, 0).ebx >> 10) & 1;
  if (!pcid || !inv) return 0;
  write_cr4(read_cr4() | (1u << 17)); /* CR4.PCIDE (CR3[11:0] is 0 here) */
  use_pcid = 1;
  return 1;
}

void flush_tlb(void) {
  if (use_pcid) invpcid(3, 0, 0);
  else write_cr3(read_cr3());
  flush_epoch++;
}

void flush_va(uint64_t va) {
  if (use_pcid) {
    invpcid(0, PCID_KERNEL, va);
    invpcid(0, PCID_USER, va);
  } else {
    invlpg(va);
  }
}

void load_mode_cr3(int user) {
  const uint64_t pa = user ? vcpu.cr3_user : vcpu.cr3;
  if (use_pcid) {
    write_cr3(pa | (user ? PCID_USER : PCID_KERNEL) | CR3_NOFLUSH);
  } else {
    write_cr3(pa);
    flush_epoch++;
  }
}

/* A new L4 for a mode: that mode's old translations go. */
static void new_base(int user) {
  if (use_pcid) invpcid(1, user ? PCID_USER : PCID_KERNEL, 0);
  if (vcpu.kernel_mode != user) load_mode_cr3(user); /* the current mode's */
}

/* Word copies when both sides allow (lib's memcpy copies bytes). */
static void copy(void *d, const void *s, uint64_t n) {
  if (!(((uint64_t)d | (uint64_t)s | n) & 7)) {
    uint64_t *dq = d;
    const uint64_t *sq = s;
    for (n /= 8; n; n--) *dq++ = *sq++;
  } else {
    memcpy(d, s, n);
  }
}

/* Xen x86-64 PV runs the guest kernel in ring 3, so every guest mapping is
 * made user-accessible (Xen's adjust_guest_l*e). */
static uint64_t adjust(uint64_t e) { return (e & PTE_P) ? e | PTE_U : e; }

static int reserved_l4_slot(unsigned i) { return i == 0 || i == 256; }
static uint64_t forced_l4(const struct page_info *pi, unsigned i) {
  return i == 256 ? dom.l4_slot256 : pi->user_l4 ? dom.l4_slot0_user : dom.l4_slot0;
}

/* References held by a present entry of a table of the given level. */
static int get_entry_ref(int level, uint64_t e) {
  if (!(e & PTE_P)) return 0;
  uint64_t pa = e & PTE_ADDR;
  struct page_info *pi = page_info_of(pa);
  if (!pi) return -PV_EPERM; /* not the guest's frame */
  if (level > 1 && (e & PTE_PS)) return -PV_EINVAL; /* no superpages */
  if (e & ~(PTE_FLAGS_OK | PTE_ADDR) & ~(level == 1 ? (1ull << 7) : 0)) return -PV_EINVAL;
  if (level > 1) return get_page_type(pa, level - 1);
  if (e & PTE_W) {
    if (pi->type != PGT_none) return -PV_EPERM; /* never a writable mapping of a page table */
    pi->wr_count++;
  }
  return 0;
}

static void put_entry_ref(int level, uint64_t e) {
  if (!(e & PTE_P)) return;
  uint64_t pa = e & PTE_ADDR;
  struct page_info *pi = page_info_of(pa);
  if (!pi) return;
  if (level > 1) {
    put_page_type(pa);
  } else if (e & PTE_W) {
    pi->wr_count--;
    pi->stamp = flush_epoch + 1;
  }
}

/* The index of the first non-zero entry in t[from, to), or to.  Tables
 * are mostly empty: REPE SCASQ skips the zero entries (DF is clear in the
 * hypervisor). */
static unsigned next_nonzero(const uint64_t *t, unsigned from, unsigned to) {
  if (from >= to) return to;
  const uint64_t *p = t + from;
  uint64_t n = to - from;
  __asm__ volatile("repe scasq" : "+D"(p), "+c"(n) : "a"(0ull), "m"(*(const uint64_t(*)[512])t) : "cc");
  const unsigned last = (unsigned)(p - t) - 1;
  return t[last] ? last : to;
}

/* Releases the references of entries [0, upto), visiting only the groups
 * the table's nz summary marks (kept by validate and update_entry, so a
 * mostly empty table is not scanned again). */
static void devalidate(uint64_t pa, int level, unsigned upto) {
  uint64_t *t = hv_map(pa);
  struct page_info *pi = page_info_of(pa);
  for (uint64_t nz = pi->nz; nz; nz &= nz - 1) {
    const unsigned g = (unsigned)__builtin_ctzll(nz) * 8;
    for (unsigned i = g; i < g + 8 && i < upto; i++)
      if ((t[i] & PTE_P) && !(level == 4 && reserved_l4_slot(i))) put_entry_ref(level, t[i]);
  }
  pi->nz = 0;
}

/* Takes the references of every entry; undoes them on failure. */
static int validate(uint64_t pa, int level) {
  uint64_t *t = hv_map(pa);
  struct page_info *pi = page_info_of(pa);
  if (level == 4) t[0] = forced_l4(pi, 0), t[256] = forced_l4(pi, 256);
  pi->nz = 0;
  for (unsigned i = next_nonzero(t, 0, 512); i < 512; i = next_nonzero(t, i + 1, 512)) {
    pi->nz |= 1ull << (i >> 3);
    if (!(t[i] & PTE_P) || (level == 4 && reserved_l4_slot(i))) continue;
    t[i] = adjust(t[i]);
    int rc = get_entry_ref(level, t[i]);
    if (rc) {
      devalidate(pa, level, i);
      return rc;
    }
  }
  return 0;
}

int get_page_type(uint64_t pa, int type) {
  struct page_info *pi = page_info_of(pa);
  if (!pi || (pa & 0xFFF)) return -PV_EINVAL;
  if (pi->type == type) {
    pi->type_count++;
    return 0;
  }
  if (pi->type != PGT_none) return -PV_EINVAL; /* a table of another level */
  if (pi->wr_count) return -PV_EBUSY;          /* still mapped writable somewhere */
  pi->type = (uint8_t)type;                    /* set first: refuses loops through itself */
  pi->type_count = 1;
  int rc = validate(pa, type);
  if (rc) {
    pi->type = PGT_none;
    pi->type_count = 0;
    return rc;
  }
  /* A TLB may still hold a writable translation of this frame. */
  if (stale(pi)) flush_tlb();
  return 0;
}

void put_page_type(uint64_t pa) {
  struct page_info *pi = page_info_of(pa);
  if (!pi || pi->type == PGT_none || pi->type_count == 0) return;
  if (--pi->type_count) return;
  devalidate(pa, pi->type, 512);
  pi->type = PGT_none;
  pi->user_l4 = 0;
}

/* Walks the current page tables for va as a ring-3 access would. */
static uint64_t *guest_pte(uint64_t va, int write, int leaf_only) {
  uint64_t t = vcpu.cr3;
  for (int shift = 39; shift >= 12; shift -= 9) {
    uint64_t *e = hv_map(t) + (va >> shift & 511);
    if (shift == 12 && leaf_only) return e;
    if (!(*e & PTE_P) || !(*e & PTE_U) || (write && !(*e & PTE_W))) return 0;
    if (shift > 12 && (*e & PTE_PS)) return 0;
    t = *e & PTE_ADDR;
  }
  return hv_map(t);
}

static void *guest_ptr(uint64_t va, int write) {
  if (va >= 0x0000800000000000ull) return 0;
  uint64_t *page = guest_pte(va, write, 0);
  return page ? (char *)page + (va & 0xFFF) : 0;
}

int copy_from_guest(void *dst, uint64_t va, uint64_t len) {
  char *d = dst;
  while (len) {
    uint64_t n = 4096 - (va & 0xFFF);
    if (n > len) n = len;
    const char *s = guest_ptr(va, 0);
    if (!s) return -PV_EFAULT;
    copy(d, s, n);
    d += n, va += n, len -= n;
  }
  return 0;
}

int copy_to_guest(uint64_t va, const void *src, uint64_t len) {
  const char *s = src;
  while (len) {
    uint64_t n = 4096 - (va & 0xFFF);
    if (n > len) n = len;
    char *d = guest_ptr(va, 1);
    if (!d) return -PV_EFAULT;
    copy(d, s, n);
    s += n, va += n, len -= n;
  }
  return 0;
}

/* One entry update of a validated table: the new entry's references
 * first, then the old one's released. */
static long update_entry(uint64_t entry_pa, uint64_t val) {
  struct page_info *pi = page_info_of(entry_pa);
  if (!pi || pi->type == PGT_none || (entry_pa & 7)) {
    dom.refused++;
    return -PV_EINVAL;
  }
  int level = pi->type;
  unsigned idx = (entry_pa & 0xFFF) >> 3;
  uint64_t *e = hv_map(entry_pa);
  if (level == 4 && reserved_l4_slot(idx)) {
    /* the same entry (but for the accessed/dirty bits the processor sets) is accepted */
    if (((adjust(val) ^ forced_l4(pi, idx)) & ~(PTE_A | PTE_D)) == 0) return 0;
    if (idx == 0 && pi->user_l4 && ((adjust(val) ^ dom.l4_slot0) & ~(PTE_A | PTE_D)) == 0) return 0;
    dom.refused++;
    return -PV_EPERM;
  }
  val = adjust(val);
  int rc = get_entry_ref(level, val);
  if (rc) {
    dom.refused++;
    return rc;
  }
  uint64_t old = *e;
  *e = val;
  if (val) pi->nz |= 1ull << (idx >> 3);
  put_entry_ref(level, old);
  return 0;
}

long do_mmu_update(uint64_t reqs, uint64_t count, uint64_t done_va) {
  uint64_t i;
  long rc = 0;
  for (i = 0; i < count; i++) {
    struct mmu_update u;
    if (copy_from_guest(&u, reqs + i * sizeof u, sizeof u)) {
      rc = -PV_EFAULT;
      break;
    }
    if ((u.ptr & 3) != MMU_NORMAL_PT_UPDATE) {
      rc = -PV_ENOSYS;
      break;
    }
    rc = update_entry(u.ptr & ~7ull, u.val);
    if (rc) break;
    dom.mmu_entries++;
  }
  if (done_va && copy_to_guest(done_va, &i, sizeof i)) return -PV_EFAULT;
  return rc;
}

long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags) {
  if (va >= 0x0000800000000000ull && va < 0xFFFF800000000000ull) return -PV_EINVAL;
  uint64_t *e = guest_pte(va, 0, 1);
  if (!e) return -PV_EINVAL; /* no L1 table for va */
  const uint64_t old = *e;
  struct page_info *was = (old & PTE_P) ? page_info_of(old & PTE_ADDR) : 0;
  const int was_stale = was && stale(was);
  long rc = update_entry((uint64_t)e - PV_HV_DIRECTMAP, val);
  if (rc) return rc;
  dom.mmu_entries++;
  if ((flags & 3) == UVMF_TLB_FLUSH) {
    flush_tlb();
  } else if ((flags & 3) == UVMF_INVLPG) {
    flush_va(va);
    /* the mapping just dropped cannot be stale any more */
    if (was && !was_stale) was->stamp = 0;
  }
  return 0;
}

static long mmuext_one(const struct mmuext_op *op) {
  uint64_t pa = op->arg1 & ~0xFFFull;
  struct page_info *pi = page_info_of(pa);
  switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE: {
      if (!pi) return -PV_EINVAL;
      if (pi->pinned) return -PV_EINVAL;
      int rc = get_page_type(pa, (int)(op->cmd - MMUEXT_PIN_L1_TABLE) + 1);
      if (rc) {
        dom.refused++;
        return rc;
      }
      pi->pinned = 1;
      return 0;
    }
    case MMUEXT_UNPIN_TABLE:
      if (!pi || !pi->pinned || pa == vcpu.cr3 || pa == vcpu.cr3_user) return -PV_EINVAL;
      pi->pinned = 0;
      put_page_type(pa);
      return 0;
    case MMUEXT_NEW_BASEPTR:
      if (!pi || pi->type != PGT_l4 || !pi->pinned || pi->user_l4) return -PV_EINVAL;
      vcpu.cr3 = pa;
      new_base(0);
      return 0;
    case MMUEXT_NEW_USER_BASEPTR:
      if (op->arg1 == 0) {
        vcpu.cr3_user = 0;
        return 0;
      }
      if (!pi || pi->type != PGT_l4 || !pi->pinned || pa == vcpu.cr3) return -PV_EINVAL;
      if (!pi->user_l4) { /* from now on a user L4: its slot 0 is the user view */
        pi->user_l4 = 1;
        hv_map(pa)[0] = dom.l4_slot0_user;
      }
      vcpu.cr3_user = pa;
      new_base(1);
      return 0;
    case MMUEXT_SET_USER_WINDOW: {
      const uint64_t va = op->arg2;
      if (va < HV_HOLE_END || va >= HV_GUEST_MAX_END || (va & (PAGE_2M - 1)) || !pi) return -PV_EINVAL;
      uint64_t *slot = &dom.user_l2[va >> 21];
      if (*slot) return -PV_EBUSY;
      int rc = get_page_type(pa, PGT_l1);
      if (rc) return rc;
      *slot = pa | PTE_P | PTE_W | PTE_U;
      return 0;
    }
    case MMUEXT_TLB_FLUSH_LOCAL:
      flush_tlb();
      return 0;
    case MMUEXT_INVLPG_LOCAL:
      flush_va(op->arg1);
      return 0;
    default:
      return -PV_ENOSYS;
  }
}

long do_mmuext_op(uint64_t ops, uint64_t count, uint64_t done_va) {
  uint64_t i;
  long rc = 0;
  for (i = 0; i < count; i++) {
    struct mmuext_op op;
    if (copy_from_guest(&op, ops + i * sizeof op, sizeof op)) {
      rc = -PV_EFAULT;
      break;
    }
    rc = mmuext_one(&op);
    if (rc) break;
  }
  if (done_va && copy_to_guest(done_va, &i, sizeof i)) return -PV_EFAULT;
  return rc;
}
