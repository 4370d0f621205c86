/* Proposed-hardware extensions of hvsim (sim/ext, docs/extensions.md), as a
 * guest or hypervisor uses them.  Everything is found through CPUID leaf
 * 4856_0000h: EAX holds one bit per enabled extension, EBX:EDX:ECX spell
 * "hvsimExtFeat" (all zero when no extension is enabled or on other CPUs). */
#pragma once
#include <stdint.h>

#include "x86.h"

#define HVSIM_EXT_CPUID_LEAF 0x48560000u
#define HVSIM_EXT_FASTCALL (1u << 0) /* ext.fastcall: FASTCALL/FASTRET */

/* Hypercalls both bundled hypervisors serve, by VMCALL/VMMCALL or FASTCALL:
 * RAX = number, RBX = argument, result in RAX. */
#define HVSIM_HC_NOP 0x48560001ull /* returns RBX + 1 */

/* ext.fastcall's MSRs (host mode only; sim/ext/fastcall/fastcall.h). */
#define HVSIM_MSR_FASTCALL_CTL 0x48560010u /* [0] enable, [47:32] handler CS */
#define HVSIM_MSR_FASTCALL_RIP 0x48560011u
#define HVSIM_MSR_FASTCALL_RSP 0x48560012u
#define HVSIM_MSR_FASTCALL_CR3 0x48560013u

/* The enabled extensions' bits (0 without the signature). */
static inline uint32_t hvsim_ext_features(void) {
  struct cpuid_regs r = cpuid(HVSIM_EXT_CPUID_LEAF, 0);
  if (r.ebx != 0x69737668u /* "hvsi" */ || r.edx != 0x7478456du /* "mExt" */) return 0;
  return r.eax;
}

/* One of the bundled hypervisors (workloads/hv) is there: CPUID.1:ECX[31]
 * and leaf 4000_0000h EBX:ECX:EDX = "hvsimbundled" (other hypervisors, e.g.
 * QEMU's TCG, set the bit too but do not serve HVSIM_HC_*). */
#define HVSIM_HV_CPUID_LEAF 0x40000000u
static inline int hvsim_under_hypervisor(void) {
  if (!((cpuid(1, 0).ecx >> 31) & 1)) return 0;
  struct cpuid_regs r = cpuid(HVSIM_HV_CPUID_LEAF, 0);
  return r.ebx == 0x69737668u /* "hvsi" */ && r.ecx == 0x6e75626du /* "mbun" */ &&
         r.edx == 0x64656c64u /* "dled" */;
}

/* FASTCALL (0F 0A): the hypervisor's handler runs and returns with FASTRET;
 * RAX = nr, RBX = arg in, RAX out. */
static inline uint64_t hvsim_fastcall(uint64_t nr, uint64_t arg) {
  __asm__ volatile(".byte 0x0f, 0x0a" : "+a"(nr) : "b"(arg) : "memory");
  return nr;
}
static inline uint64_t hvsim_vmcall(uint64_t nr, uint64_t arg) {
  __asm__ volatile("vmcall" : "+a"(nr) : "b"(arg) : "memory");
  return nr;
}
static inline uint64_t hvsim_vmmcall(uint64_t nr, uint64_t arg) {
  __asm__ volatile("vmmcall" : "+a"(nr) : "b"(arg) : "memory");
  return nr;
}

/* Hypervisor side (lib/hv_fastcall.c, .S): when CPUID offers ext.fastcall,
 * point the handler MSRs at hv_fastcall_entry, which calls
 * hv_hypercall(nr, arg) with the guest's other registers preserved.
 * Returns 1 when enabled. */
int hv_fastcall_setup(void);
uint64_t hv_hypercall(uint64_t nr, uint64_t arg); /* the hypervisor's, shared by VMCALL paths */
