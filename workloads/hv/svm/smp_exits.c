/* exits.c, guest_mem.c and vmcb_event.c compiled a second time, for
 * smp.c: the same handlers on the handling vCPU's VMCB and registers
 * (pointers smp.c sets under its lock), the end of the run through smp.c
 * (per-vCPU counts).
 * The uniprocessor objects stay byte for byte what they were, so a
 * uniprocessor run, and `hvsim demo`, are unchanged. */
#define hv_vmcb (*hv_smp_vmcb)
#define hv_regs (*hv_smp_regs)
#define hv_handle_exit hv_smp_handle_exit
#define hv_get_gpr hv_smp_get_gpr
#define hv_set_gpr hv_smp_set_gpr
#define hv_guest_long_mode hv_smp_guest_long_mode
#define hv_decode_at_rip hv_smp_decode_at_rip
#define hv_skip_insn hv_smp_skip_insn
#define hv_inject_exception hv_smp_inject_exception
#define hv_fatal hv_smp_fatal
#define hv_print_exit_counts hv_smp_print_exit_counts
#include "hv.h" /* its declarations renamed alike (hv_vmcb: the pointer) */

struct vmcb *hv_smp_vmcb;
struct hv_gprs *hv_smp_regs;

#include "exits.c"
#include "guest_mem.c"
#include "vmcb_event.c"
