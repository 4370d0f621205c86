/* hvsim magic operations.
 *
 * One instruction encodes an operation:
 *
 *     nopw 0x4856XXXX(%rax,%rax,1)      bytes 66 0F 1F 84 00 XX XX 56 48
 *
 * i.e. a 9-byte multi-byte NOP (0F 1F /0, Intel SDM Vol. 2B "NOP") with a
 * ModRM/SIB memory operand and a 32-bit displacement whose high half is
 * 0x4856 ("HV") and whose low half XXXX is the operation.  The argument is
 * passed in RDI.  A NOP's memory operand is never accessed, so on QEMU or
 * real hardware the instruction does nothing; hvsim recognises the
 * displacement and performs the operation.
 *
 *   op 1  ROI begin   (RDI = region id)
 *   op 2  ROI end     (RDI = region id)
 *   op 3  reset statistics
 *   op 4  dump statistics
 *   op 5  checkpoint  (RDI = checkpoint id)
 *   op 6  PV begin    (RDI = event code, workloads/hv/pv/pv_abi.h PV_EV_*):
 *                     a paravirtual hypervisor starts handling a hypercall,
 *                     a bounced exception or an emulation
 *   op 7  PV end      the hypervisor returns to its guest
 */
#ifndef HVSIM_MAGIC_H
#define HVSIM_MAGIC_H

#include <stdint.h>

#define HVSIM_MAGIC_BASE 0x48560000u
#define HVSIM_OP_ROI_BEGIN 1
#define HVSIM_OP_ROI_END 2
#define HVSIM_OP_RESET_STATS 3
#define HVSIM_OP_DUMP_STATS 4
#define HVSIM_OP_CHECKPOINT 5
#define HVSIM_OP_PV_BEGIN 6
#define HVSIM_OP_PV_END 7

/* The bytes are spelled out so that no assembler picks another encoding. */
#define HVSIM_MAGIC(op, arg)                                              \
  __asm__ volatile(".byte 0x66, 0x0f, 0x1f, 0x84, 0x00\n\t"               \
                   ".long %c1" ::"D"((uint64_t)(arg)),                    \
                   "i"(HVSIM_MAGIC_BASE | (op))                           \
                   : "memory")

static inline void hvsim_roi_begin(uint64_t id) { HVSIM_MAGIC(HVSIM_OP_ROI_BEGIN, id); }
static inline void hvsim_roi_end(uint64_t id) { HVSIM_MAGIC(HVSIM_OP_ROI_END, id); }
static inline void hvsim_reset_stats(void) { HVSIM_MAGIC(HVSIM_OP_RESET_STATS, 0); }
static inline void hvsim_dump_stats(void) { HVSIM_MAGIC(HVSIM_OP_DUMP_STATS, 0); }
static inline void hvsim_checkpoint(uint64_t id) { HVSIM_MAGIC(HVSIM_OP_CHECKPOINT, id); }

#endif
