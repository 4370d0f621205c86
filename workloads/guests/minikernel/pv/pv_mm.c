/* Page tables of the PV guest: every store to a page-table entry is an
 * mmu_update the hypervisor validates; a frame becomes a table only after
 * the guest has remapped it read-only (update_va_mapping), and is pinned
 * as an L4 before it can be a CR3 (mmuext_op).  In lazy mode the requests
 * are queued and issued together as one multicall. */
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

void mk_set_pte(uint64_t *slot, uint64_t v) {
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

void *mk_pt_alloc(int level) {
  void *p = page_alloc(); /* zeroed through the writable direct map */
  if (!p) return 0;
  call(__HYPERVISOR_update_va_mapping, (uint64_t)p, (uint64_t)p | PTE_P | PTE_U, UVMF_INVLPG, 0);
  if (level == 4) mmuext(MMUEXT_PIN_L4_TABLE, (uint64_t)p);
  return p;
}

void mk_pt_free(void *p, int level) {
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
  mmuext(v == cur_cr3 ? MMUEXT_TLB_FLUSH_LOCAL : MMUEXT_NEW_BASEPTR, v);
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

/* Moves from the builder's L4 to boot_pml4 (the kernel's own). */
void pv_mm_init(uint64_t initial_l4) {
  cur_cr3 = initial_l4;
  void *p = boot_pml4;
  call(__HYPERVISOR_update_va_mapping, (uint64_t)p, (uint64_t)p | PTE_P | PTE_U, UVMF_INVLPG, 0);
  mmuext(MMUEXT_PIN_L4_TABLE, (uint64_t)p);
  pv_write_cr3((uint64_t)p);
  mmuext(MMUEXT_UNPIN_TABLE, initial_l4);
}
