/* The mini kernel's paravirtual layer (the PV build, -DMK_PV): what its
 * sources call for page-table stores, CR3/INVLPG/CR2/CR8 and MSRs becomes
 * hypercalls to hv_pv (workloads/hv/pv/pv_abi.h), in the way of Linux's
 * pv_ops on Xen.  Included by mk.h; natively mk.h has direct versions. */
#ifndef MK_PV_MK_H
#define MK_PV_MK_H

#include <stdint.h>

#include "pv_abi.h"

extern char hypercall_page[];
extern struct shared_info *pv_shared;

/* A hypercall through the hypercall page (pv_abi.h). */
static inline long pv_hc(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4) {
  register uint64_t r10 __asm__("r10") = a4;
  long ret;
  __asm__ volatile("call *%[e]"
                   : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10)
                   : [e] "r"((uint64_t)hypercall_page + nr * 32)
                   : "memory", "cc", "r8", "r9");
  return ret;
}
#define DOMID_SELF 0x7FF0u

/* Page tables (pv_mm.c).  mk_set_pte validates through mmu_update; between
 * mk_lazy_begin and mk_lazy_end the updates (and the frames' read-only /
 * writable remappings, pins and INVLPGs) are queued and issued as one
 * multicall, as Linux's lazy MMU mode does. */
void mk_set_pte(uint64_t *slot, uint64_t v);
void *mk_pt_alloc(int level);       /* a zeroed frame, mapped read-only, for a table of that level */
void mk_pt_free(void *p, int level); /* back to the allocator, writable again */
void mk_lazy_begin(void);
void mk_lazy_end(void);

uint64_t pv_read_cr3(void);
void pv_write_cr3(uint64_t v);
void pv_invlpg(uint64_t va);
uint64_t pv_read_cr2(void);
void pv_wrmsr(uint32_t msr, uint64_t v);
uint64_t pv_rdmsr(uint32_t msr);
/* No TPR in a PV guest: a virtual one (the nanobenchmark's cr8wr). */
void write_cr8(uint64_t v);
uint64_t read_cr8(void);
/* nano.hypercall in the PV build: n null hypercalls (xen_version). */
int pv_nano_hypercall(uint64_t n);

#define read_cr3 pv_read_cr3
#define write_cr3 pv_write_cr3
#define invlpg pv_invlpg
#define read_cr2 pv_read_cr2
#define wrmsr pv_wrmsr
#define rdmsr pv_rdmsr

#endif
