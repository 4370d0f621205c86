/* The exit handlers of exits.c compiled a second time, for smp.c: the
 * same code under other names, its exit counts in the handling vCPU's
 * array, and the end of the run through smp.c (per-vCPU counts). exits.c
 * itself (the uniprocessor loop) stays byte for byte what it was, so a
 * uniprocessor run, and `hvsim demo`, are unchanged. */
#define hv_run hv_smp_unused_run
#define hv_get_gpr hv_smp_get_gpr
#define hv_set_gpr hv_smp_set_gpr
#define hv_skip_instruction hv_smp_skip_instruction
#define hv_inject hv_smp_inject
#define hv_inject_gp hv_smp_inject_gp
#define hv_inject_pf hv_smp_inject_pf
#define hv_dump_guest hv_smp_dump_guest
#define hv_print_counts hv_smp_unused_print_counts
#define hv_exit hv_smp_exit
#define counts (*hv_smp_counts)
#include "exits.c"

void hv_smp_handle_exit(uint32_t reason_full) { handle_exit(reason_full); }
void hv_smp_use_counts(uint64_t *c) { hv_smp_counts = (uint64_t(*)[VMX_EXIT_REASONS])c; }
