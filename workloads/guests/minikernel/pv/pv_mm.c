/* Page tables of the PV guest: every store to a page-table entry is an
 * mmu_update the hypervisor validates; a frame becomes a table only after
 * the guest has remapped it read-only (update_va_mapping), and is pinned
 * as an L4 before it can be a CR3 (mmuext_op).  In lazy mode the requests
 * are queued and issued together as one multicall.
 *
 * As 64-bit Linux does on Xen, each process has two L4s: the kernel's
 * (pml4, with everything) and a user twin holding only the user half
 * (entries 1-255, mirrored from the kernel's by mk_set_pte) and the user
 * window, which the hypervisor loads in guest user mode. */
#include "../mk.h"

uint64_t boot_pml4[512] __attribute__((aligned(4096)));
static uint64_t cur_cr3;

#define MAX_MC 64
#define MAX_REQ 1024
static struct multicall_entry mc[MAX_MC];
static struct mmu_update req[MAX_REQ];
static struct mmuext_op ext[MAX_MC];
static void *to_free[MAX_MC];
static unsigned nmc, nreq, next_op, nfree, lazy;

/* Kernel L4 -> its user twin (one per process). */
static struct { uint64_t *k, *u; } twins[NPROC + 1];
static uint64_t has_twin[(1u << 30 >> 12) / 64]; /* frames below 1 GiB that are kernel L4s with a twin */
static int twin_bit(const void *k) {
  const uint64_t f = (uint64_t)k >> 12;
  return f < sizeof has_twin * 8 && (has_twin[f / 64] >> (f % 64) & 1);
}
static void set_twin_bit(const void *k, int on) {
  const uint64_t f = (uint64_t)k >> 12;
  if (on) has_twin[f / 64] |= 1ull << (f % 64);
  else has_twin[f / 64] &= ~(1ull << (f % 64));
}
static uint64_t *twin_of(const uint64_t *k) {
  if (!twin_bit(k)) return 0;
  for (unsigned i = 0; i < NPROC + 1; i++)
    if (twins[i].k == k) return twins[i].u;
  return 0;
}

static void fatal(const char *what, long rc) {
  printf("FATAL: pv: %s failed (%ld)\n", what, rc);
  exit(WL_EXIT_FATAL);
}

static void flush(void) {
  if (nmc == 1) {
    long rc = pv_hc((unsigned)mc[0].op, mc[0].args[0], mc[0].args[1], mc[0].args[2], mc[0].args[3]);
    if (rc) fatal("hypercall", rc);
  } else if (nmc > 1) {
    long rc = pv_hc(__HYPERVISOR_multicall, (uint64_t)mc, nmc, 0, 0);
    if (rc) fatal("multicall", rc);
    for (unsigned i = 0; i < nmc; i++)
      if (mc[i].result) {
        printf("FATAL: pv: multicall entry %u of %u (hypercall %lu, 0x%lx 0x%lx) failed (%ld)\n", i, nmc, mc[i].op,
               mc[i].args[0], mc[i].args[1], (long)mc[i].result);
        exit(WL_EXIT_FATAL);
      }
  }
  nmc = nreq = next_op = 0;
  for (unsigned i = 0; i < nfree; i++) page_free(to_free[i]);
  nfree = 0;
}

/* Queues (lazy) or issues one hypercall. */
static void call(unsigned op, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  if (!lazy) {
    long rc = pv_hc(op, a0, a1, a2, a3);
    if (rc) fatal("hypercall", rc);
    return;
  }
  if (nmc == MAX_MC) flush();
  struct multicall_entry *m = &mc[nmc++];
  m->op = op;
  m->result = 0;
  m->args[0] = a0, m->args[1] = a1, m->args[2] = a2, m->args[3] = a3;
}

static void mmuext(uint32_t cmd, uint64_t arg) {
  if (lazy && (next_op == MAX_MC || nmc == MAX_MC)) flush();
  struct mmuext_op *o = lazy ? &ext[next_op++] : &(struct mmuext_op){0, 0, 0, 0};
  o->cmd = cmd;
  o->pad = 0;
  o->arg1 = arg;
  o->arg2 = 0;
  call(__HYPERVISOR_mmuext_op, (uint64_t)o, 1, 0, DOMID_SELF);
}

static void set_pte(uint64_t *slot, uint64_t v);

void mk_set_pte(uint64_t *slot, uint64_t v) {
  const unsigned idx = ((uint64_t)slot & 0xFFF) / 8;
  uint64_t *u = idx >= 1 && idx < 256 ? twin_of((uint64_t *)((uint64_t)slot & ~0xFFFull)) : 0;
  if (u && !lazy) {
    lazy++; /* both L4s in one hypercall */
    set_pte(slot, v);
    set_pte(&u[idx], v);
    mk_lazy_end();
    return;
  }
  set_pte(slot, v);
  if (u) set_pte(&u[idx], v);
}

static void set_pte(uint64_t *slot, uint64_t v) {
  if (!lazy) {
    struct mmu_update u = {(uint64_t)slot, v};
    long rc = pv_hc(__HYPERVISOR_mmu_update, (uint64_t)&u, 1, 0, DOMID_SELF);
    if (rc) fatal("mmu_update", rc);
    return;
  }
  if (nreq == MAX_REQ) flush();
  struct multicall_entry *last = nmc ? &mc[nmc - 1] : 0;
  if (last && last->op == __HYPERVISOR_mmu_update && last->args[0] + last->args[1] * sizeof req[0] == (uint64_t)&req[nreq]) {
    last->args[1]++; /* batched into the previous mmu_update */
  } else {
    if (nmc == MAX_MC) flush();
    call(__HYPERVISOR_mmu_update, (uint64_t)&req[nreq], 1, 0, DOMID_SELF);
  }
  req[nreq].ptr = (uint64_t)slot;
  req[nreq].val = v;
  nreq++;
}

static void *table_alloc(int level) {
  void *p = page_alloc(); /* zeroed through the writable direct map */
  if (!p) return 0;
  call(__HYPERVISOR_update_va_mapping, (uint64_t)p, (uint64_t)p | PTE_P | PTE_U, UVMF_INVLPG, 0);
  if (level == 4) mmuext(MMUEXT_PIN_L4_TABLE, (uint64_t)p);
  return p;
}

static void table_free(void *p, int level);

void *mk_pt_alloc(int level) {
  void *p = table_alloc(level);
  if (!p || level != 4) return p;
  for (unsigned i = 0; i < NPROC + 1; i++)
    if (!twins[i].k) {
      uint64_t *u = table_alloc(4);
      if (!u) break;
      twins[i].k = p;
      twins[i].u = u;
      set_twin_bit(p, 1);
      return p;
    }
  table_free(p, 4);
  return 0;
}

void mk_pt_free(void *p, int level) {
  if (level == 4)
    for (unsigned i = 0; i < NPROC + 1; i++)
      if (twins[i].k == p) {
        table_free(twins[i].u, 4);
        set_twin_bit(p, 0);
        twins[i].k = twins[i].u = 0;
      }
  table_free(p, level);
}

static void table_free(void *p, int level) {
  if (level == 4) mmuext(MMUEXT_UNPIN_TABLE, (uint64_t)p);
  call(__HYPERVISOR_update_va_mapping, (uint64_t)p, (uint64_t)p | PTE_P | PTE_U | PTE_W, UVMF_INVLPG, 0);
  if (!lazy) {
    page_free(p);
    return;
  }
  if (nfree == MAX_MC) flush();
  to_free[nfree++] = p;
}

void mk_lazy_begin(void) { lazy++; }
void mk_lazy_end(void) {
  if (lazy && --lazy == 0) flush();
}

uint64_t pv_read_cr3(void) { return cur_cr3; }

void pv_write_cr3(uint64_t v) {
  unsigned was = lazy;
  lazy = 0;
  flush();
  if (v == cur_cr3) {
    mmuext(MMUEXT_TLB_FLUSH_LOCAL, v);
  } else {
    struct mmuext_op ops[2] = {{MMUEXT_NEW_BASEPTR, 0, v, 0},
                               {MMUEXT_NEW_USER_BASEPTR, 0, (uint64_t)twin_of((uint64_t *)v), 0}};
    long rc = pv_hc(__HYPERVISOR_mmuext_op, (uint64_t)ops, 2, 0, DOMID_SELF);
    if (rc) fatal("mmuext_op new baseptr", rc);
  }
  cur_cr3 = v;
  lazy = was;
}

void pv_invlpg(uint64_t va) { mmuext(MMUEXT_INVLPG_LOCAL, va); }

/* lib/paging.c's map_page for the one use the kernel has (4 KiB pages of
 * its own direct map, e.g. the user window made read-only). */
int map_page(uint64_t va, uint64_t pa, uint64_t flags, uint64_t size) {
  if (size != PAGE_4K) return -1;
  long rc = pv_hc(__HYPERVISOR_update_va_mapping, va, pa | PTE_P | (flags & (PTE_W | PTE_U | PTE_NX)), UVMF_INVLPG, 0);
  return rc ? -1 : 0;
}

/* Moves from the builder's L4 to boot_pml4 (the kernel's own), and gives
 * user mode its window: an L1 mapping the .user pages read-only. */
static uint64_t user_window[512] __attribute__((aligned(4096)));

void pv_mm_init(uint64_t initial_l4) {
  cur_cr3 = initial_l4;
  void *p = boot_pml4;
  call(__HYPERVISOR_update_va_mapping, (uint64_t)p, (uint64_t)p | PTE_P | PTE_U, UVMF_INVLPG, 0);
  mmuext(MMUEXT_PIN_L4_TABLE, (uint64_t)p);
  pv_write_cr3((uint64_t)p);
  mmuext(MMUEXT_UNPIN_TABLE, initial_l4);
  const uint64_t base = (uint64_t)__user_start & ~(PAGE_2M - 1);
  if ((uint64_t)__user_end - 1 >= base + PAGE_2M) fatal("user window: .user crosses a 2 MiB boundary", 0);
  for (uint64_t va = (uint64_t)__user_start; va < (uint64_t)__user_end; va += PAGE_4K)
    user_window[(va - base) >> 12] = va | PTE_P | PTE_U;
  p = user_window;
  call(__HYPERVISOR_update_va_mapping, (uint64_t)p, (uint64_t)p | PTE_P | PTE_U, UVMF_INVLPG, 0);
  struct mmuext_op op = {MMUEXT_SET_USER_WINDOW, 0, (uint64_t)p, base};
  long rc = pv_hc(__HYPERVISOR_mmuext_op, (uint64_t)&op, 1, 0, DOMID_SELF);
  if (rc) fatal("mmuext_op set_user_window", rc);
}
