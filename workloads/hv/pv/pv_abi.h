/* The paravirtual interface between hv_pv and its guest kernel, in the
 * spirit of Xen's x86-64 PV ABI (Barham et al., SOSP 2003; the numbers and
 * structure layouts follow Xen's public headers xen.h, sched.h,
 * event_channel.h, callback.h, physdev.h and arch-x86/xen-x86_64.h, where
 * this interface has the same operation).  Differences from Xen are marked
 * "hvsim:" below.  Shared by workloads/hv/pv and the guest's PV layer
 * (workloads/guests/minikernel/pv).
 *
 * Guest execution: the guest kernel runs in ring 3 (as 64-bit Xen PV
 * kernels do) with code selector PV_KERNEL_CS; its processes run in ring 3
 * with PV_USER_CS.  Hypercall: from guest kernel mode, SYSCALL with the
 * hypercall number in RAX and arguments in RDI, RSI, RDX, R10, R8; result
 * in RAX; RCX and R11 are clobbered.  The hypervisor writes a hypercall
 * page (32 bytes per hypercall: push %rcx; push %r11; mov $nr,%eax;
 * syscall; pop %r11; pop %rcx; ret) at the address the guest names in its
 * ELF note XEN_ELFNOTE_HYPERCALL_PAGE (type 2, name "Xen").  SYSCALL from
 * guest user mode is a system call, bounced to the guest's syscall
 * callback.
 *
 * Bounce frame (exceptions, system calls, event upcalls), on the guest
 * kernel stack (the one given to stack_switch when the guest was in user
 * mode, else the current stack aligned down to 16), lowest address first:
 *     rcx, r11, [error code, for vectors that have one], rip, cs, rflags, rsp, ss
 * The handler pops rcx and r11 and is left with a hardware-like frame.  The
 * faulting address of a #PF is in vcpu_info.arch.cr2.
 *
 * Address space: the hypervisor reserves L4 slot 0's first 32 MiB (its own
 * image, supervisor-only) and L4 slot 256 (its map of all machine memory);
 * it fills both in every L4 it validates and refuses guest updates of those
 * slots (hvsim: Xen reserves slots 256-271 only).  As in 64-bit Xen, guest
 * user mode runs on its own L4 (MMUEXT_NEW_USER_BASEPTR) without the
 * kernel's mappings: slot 0 of a user L4 holds only the hypervisor and the
 * user window (MMUEXT_SET_USER_WINDOW); the hypervisor switches CR3 when
 * the guest changes mode.  Guest memory is machine
 * memory from PV_GUEST_BASE up, which the guest sees identity mapped
 * (pseudo-physical = machine, "direct paging") through L1 tables it owns.
 */
#ifndef PV_ABI_H
#define PV_ABI_H

#include <stdint.h>

#define PV_GUEST_BASE 0x2000000ull /* 32 MiB */
#define PV_HV_DIRECTMAP 0xFFFF800000000000ull /* L4 slot 256 */
#define PV_KERNEL_CS 0x43 /* ring-3 64-bit code, guest kernel mode (GDT entry 8) */
#define PV_USER_CS 0x2b   /* ring-3 64-bit code, guest user mode (SEL_UCODE | 3) */
#define PV_USER_SS 0x23   /* ring-3 data (SEL_UDATA | 3), both modes */

/* Hypercall numbers (xen.h). */
#define __HYPERVISOR_set_trap_table 0
#define __HYPERVISOR_mmu_update 1
#define __HYPERVISOR_stack_switch 3
#define __HYPERVISOR_set_callbacks 4
#define __HYPERVISOR_multicall 13
#define __HYPERVISOR_update_va_mapping 14
#define __HYPERVISOR_set_timer_op 15
#define __HYPERVISOR_xen_version 17
#define __HYPERVISOR_console_io 18
#define __HYPERVISOR_iret 23
#define __HYPERVISOR_mmuext_op 26
#define __HYPERVISOR_sched_op 29
#define __HYPERVISOR_callback_op 30
#define __HYPERVISOR_event_channel_op 32
#define __HYPERVISOR_physdev_op 33
#define PV_NR_HYPERCALLS 34

/* Errors: negative errno values, as Xen returns them. */
#define PV_EPERM 1
#define PV_ENOENT 2
#define PV_EFAULT 14
#define PV_EBUSY 16
#define PV_EINVAL 22
#define PV_ENOSPC 28
#define PV_ENOSYS 38

/* mmu_update: ptr = machine address of the entry | command. */
#define MMU_NORMAL_PT_UPDATE 0
struct mmu_update { uint64_t ptr, val; };

/* update_va_mapping flags. */
#define UVMF_NONE 0
#define UVMF_TLB_FLUSH 1
#define UVMF_INVLPG 2

/* mmuext_op commands. */
#define MMUEXT_PIN_L1_TABLE 0
#define MMUEXT_PIN_L2_TABLE 1
#define MMUEXT_PIN_L3_TABLE 2
#define MMUEXT_PIN_L4_TABLE 3
#define MMUEXT_UNPIN_TABLE 4
#define MMUEXT_NEW_BASEPTR 5
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL 7
#define MMUEXT_NEW_USER_BASEPTR 15 /* the L4 loaded in guest user mode (0: none) */
/* hvsim: the L1 (arg1) that maps the 2 MiB at arg2 in every user L4 (an L4
 * once named by NEW_USER_BASEPTR), in the slot the hypervisor owns: the
 * user programs' window of the kernel image (hvsim's mini kernel links its
 * ring-3 programs into the image; Xen guests keep user and kernel apart by
 * address and need no such window). */
#define MMUEXT_SET_USER_WINDOW 0x100
struct mmuext_op {
  uint32_t cmd;
  uint32_t pad;
  uint64_t arg1; /* mfn << 12 (hvsim: a machine address) or linear address */
  uint64_t arg2;
};

/* multicall (xen.h multicall_entry_t). */
struct multicall_entry {
  uint64_t op, result;
  uint64_t args[6];
};

/* set_trap_table (arch-x86/xen.h trap_info); a zero address ends the list. */
#define TI_GET_DPL(ti) ((ti)->flags & 3)
#define TI_GET_IF(ti) ((ti)->flags & 4) /* mask events on delivery */
struct trap_info {
  uint8_t vector, flags;
  uint16_t cs;
  uint32_t pad;
  uint64_t address;
};

/* set_callbacks(event, failsafe, syscall) and callback_op. */
#define CALLBACKOP_register 0
#define CALLBACKTYPE_event 0
#define CALLBACKTYPE_failsafe 1
#define CALLBACKTYPE_syscall 2
struct callback_register { uint16_t type, flags; uint32_t pad; uint64_t address; };

/* iret: the guest pushes this on its stack and calls iret with RSP at it. */
#define VGCF_in_syscall (1u << 8)
struct iret_context { uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss; };

/* sched_op. */
#define SCHEDOP_yield 0
#define SCHEDOP_block 1
#define SCHEDOP_shutdown 2
#define SHUTDOWN_poweroff 0
#define SHUTDOWN_crash 3
/* hvsim: exit_code is added (Xen's sched_shutdown has only the reason);
 * hv_pv hands it to isa-debug-exit. */
struct sched_shutdown { uint32_t reason, exit_code; };

/* console_io. */
#define CONSOLEIO_write 0

/* xen_version. */
#define XENVER_version 0

/* event_channel_op (event_channel.h). */
#define EVTCHNOP_bind_virq 1
#define EVTCHNOP_close 3
#define EVTCHNOP_send 4
#define EVTCHNOP_bind_ipi 7
#define EVTCHNOP_unmask 9
#define VIRQ_TIMER 0
#define VIRQ_CONSOLE 2
#define PV_NR_EVTCHN 64
struct evtchn_bind_virq { uint32_t virq, vcpu, port; };
struct evtchn_bind_ipi { uint32_t vcpu, port; };
struct evtchn_port_op { uint32_t port; }; /* close, send, unmask */

/* physdev_op. */
#define PHYSDEVOP_set_iopl 6
struct physdev_set_iopl { uint32_t iopl; };

/* set_timer_op(deadline): hvsim: the deadline is a TSC value (Xen: system
 * time in ns); 0 cancels.  VIRQ_TIMER fires when the TSC passes it. */

/* Shared-info page (xen.h shared_info / vcpu_info, one vCPU). */
struct vcpu_info {
  uint8_t evtchn_upcall_pending, evtchn_upcall_mask;
  uint8_t pad[6];
  uint64_t evtchn_pending_sel;
  struct { uint64_t cr2, pad; } arch;
  uint8_t time[32];
};
struct shared_info {
  struct vcpu_info vcpu_info[32];
  uint64_t evtchn_pending[64];
  uint64_t evtchn_mask[64];
};

/* start_info (xen.h), at the address in RSI at the guest's entry. */
#define SIF_PRIVILEGED 1
struct start_info {
  char magic[32]; /* "xen-3.0-x86_64" */
  uint64_t nr_pages;
  uint64_t shared_info; /* machine address (hvsim: identity mapped) */
  uint32_t flags, pad;
  uint64_t store_mfn, store_evtchn, console_mfn, console_evtchn;
  uint64_t pt_base;      /* virtual address of the initial L4 */
  uint64_t nr_pt_frames; /* frames of the initial page tables */
  uint64_t mfn_list, mod_start, mod_len;
  char cmd_line[1024];
  /* hvsim: the guest's memory, [mem_base, mem_base + nr_pages * 4096), and
   * its first frame free for the guest's allocator. */
  uint64_t mem_base, first_free;
};

/* Reports to hvsim (sim/virt, docs/architecture.md "Paravirtualization"):
 * the hypervisor brackets every hypercall, bounce and emulation with the
 * magic operations PV begin (RDI = one of these codes) and PV end. */
#define PV_EV_HYPERCALL(nr) (nr)         /* 0..63 */
#define PV_EV_BOUNCE(vec) (0x100 + (vec)) /* exception bounced to the guest */
#define PV_EV_SYSCALL 0x200              /* guest system call bounced */
#define PV_EV_UPCALL 0x201               /* event-channel upcall delivered */
#define PV_EV_EMUL_IO 0x202              /* IN/OUT emulated (virtual IOPL) */

#endif
