/* hv_pv: a paravirtual hypervisor in the spirit of Xen's x86-64 PV (see
 * README.md and pv_abi.h).  The hypervisor runs in ring 0 on the machine;
 * one guest kernel runs deprivileged in ring 3 on page tables it owns and
 * updates only through validated hypercalls. */
#ifndef HV_PV_H
#define HV_PV_H

#include "pv_abi.h"
#include "wl.h"

#define HV_EXIT_SETUP 0x7a /* the hypervisor could not start the guest */
#define HV_EXIT_CRASH 0x7e /* the guest crashed (as WL_EXIT_FATAL) */

#define HV_HOLE_END PV_GUEST_BASE        /* [0, 32 MiB): the hypervisor's own */
#define HV_GUEST_MAX_END 0x40000000ull   /* guest memory ends below 1 GiB */
#define HV_MAX_FRAMES ((HV_GUEST_MAX_END - PV_GUEST_BASE) >> 12)
#define HV_VEC_SYSCALL 0x100              /* wl_frame.vector of a SYSCALL entry */

/* Page types and counts (Xen's struct page_info, simplified): a frame is
 * either untyped (it may be mapped writable) or a page table of one level;
 * it becomes a table only while no writable mapping of it exists, and no
 * writable mapping of a table can be made. */
enum { PGT_none = 0, PGT_l1 = 1, PGT_l2, PGT_l3, PGT_l4 };
struct page_info {
  uint8_t type;        /* PGT_* */
  uint8_t pinned;      /* MMUEXT_PIN_Ln_TABLE holds one type reference */
  uint8_t user_l4;     /* an L4 named by NEW_USER_BASEPTR: slot 0 is the user view */
  uint8_t pad;
  uint32_t type_count; /* references as a table: higher-level entries, pins, the hypervisor */
  uint32_t wr_count;   /* writable mappings in validated L1 tables */
  uint32_t stamp;      /* TLB flush clock when a writable mapping went away (mm.c) */
  uint64_t nz;         /* a table's groups of 8 entries that may be non-zero (bit g: entries 8g..8g+7) */
};

struct vcpu {
  int kernel_mode;              /* guest kernel (1) or guest user (0) mode */
  uint64_t kernel_ss, kernel_sp; /* stack_switch */
  uint64_t event_cb, syscall_cb, failsafe_cb;
  struct trap_info traps[256];  /* set_trap_table: the virtual IDT */
  uint64_t cr3;                 /* guest kernel mode's L4 (machine address), pinned */
  uint64_t cr3_user;            /* guest user mode's L4, 0 = the kernel's */
  uint32_t iopl;                /* virtual IOPL (physdev_op set_iopl) */
  uint64_t timer_deadline;      /* TSC; 0 = none */
};

struct domain {
  uint64_t mem_base, mem_end;  /* guest memory, machine addresses */
  struct start_info *si;
  struct shared_info *shared;
  uint64_t l4_slot0, l4_slot256; /* the entries forced into every guest L4 */
  uint64_t l4_slot0_user;        /* slot 0 of a user L4: the hypervisor and the user window */
  uint64_t *user_l2;             /* the L2 behind l4_slot0_user */
  uint8_t port_virq[PV_NR_EVTCHN]; /* per port: 1 + VIRQ, or 0x80 for an IPI port, 0 = free */
  uint32_t virq_port[8];           /* VIRQ -> port (0 = unbound) */
  uint64_t hypercalls[PV_NR_HYPERCALLS], bounces[32], syscalls, upcalls, emulated_io;
  uint64_t mmu_entries, multicall_entries, refused;
};

extern struct vcpu vcpu;
extern struct domain dom;

/* mm.c */
void mm_init(uint64_t mem_base, uint64_t mem_end);
struct page_info *page_info_of(uint64_t pa); /* 0 outside guest memory */
int get_page_type(uint64_t pa, int type);
void put_page_type(uint64_t pa);
static inline uint64_t *hv_map(uint64_t pa) { return (uint64_t *)(PV_HV_DIRECTMAP + pa); }
/* Guest-virtual accesses through the guest's current page tables, checked as
 * a ring-3 access would be (P, U, and W for writes).  0 or -PV_EFAULT. */
int copy_from_guest(void *dst, uint64_t va, uint64_t len);
int copy_to_guest(uint64_t va, const void *src, uint64_t len);
long do_mmu_update(uint64_t reqs, uint64_t count, uint64_t done_va);
long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags);
long do_mmuext_op(uint64_t ops, uint64_t count, uint64_t done_va);
/* TLB maintenance for the guest.  With PCIDs (when CPUID offers PCID and
 * INVPCID) guest kernel mode runs on PCID 1 and user mode on PCID 2, so a
 * mode switch keeps both modes' translations (as Xen does with PCID); the
 * guest's flushes then reach both. */
int pcid_init(void); /* 1 when PCIDs are used */
void flush_tlb(void);          /* every guest translation */
void flush_va(uint64_t va);    /* va's translations, both modes */
void load_mode_cr3(int user);  /* the L4 of a guest mode, without a flush when PCIDs allow */
/* The guest changes mode: the L4 of the new mode is loaded. */
static inline void switch_to_kernel_mode(void) {
  if (vcpu.cr3_user) load_mode_cr3(0);
}
static inline void switch_to_user_mode(void) {
  if (vcpu.cr3_user) load_mode_cr3(1);
}

/* traps.c */
void traps_init(void);
void hv_syscall(struct wl_frame *f);
void pv_shutdown(uint32_t code) __attribute__((noreturn));
void raise_virq(uint32_t virq);

/* entry.S */
void hv_syscall_entry(void);
void hv_enter_guest(uint64_t rip, uint64_t rsp, uint64_t rsi) __attribute__((noreturn));

/* hvsim sees each hypercall, bounce and emulation (pv_abi.h, PV_EV_*). */
static inline void pv_ev_begin(uint64_t code) { HVSIM_MAGIC(HVSIM_OP_PV_BEGIN, code); }
static inline void pv_ev_end(void) { HVSIM_MAGIC(HVSIM_OP_PV_END, 0); }

#endif
