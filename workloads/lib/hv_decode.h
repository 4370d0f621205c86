/* Decoding of guest instructions for the hypervisor workloads: prefixes,
 * REX, opcode, ModRM, SIB, displacement and immediate (Intel SDM Vol. 2A
 * chapter 2, AMD APM Vol. 3 chapter 1), for the opcodes the hypervisors
 * emulate or must step over:
 *   - one byte: the ALU r/m forms 00-3B, 80/81/83, 84-8B, C6/C7, STOS AA/AB;
 *   - 0F 01 (group 7: INVLPG), 0F 06 (CLTS), 0F 20-23 (MOV CR/DR, whose
 *     ModRM always names a register).
 * The register numbers include REX; what an instruction does is left to the
 * caller.  Guest registers are read through hv_get_gpr, which each
 * hypervisor defines. */
#ifndef WL_HV_DECODE_H
#define WL_HV_DECODE_H

#include <stdint.h>

#define HV_PFX_OPSIZE 1u /* 66 */
#define HV_PFX_ADDR 2u   /* 67 */
#define HV_PFX_LOCK 4u   /* F0 */
#define HV_PFX_REP 8u    /* F3 */
#define HV_PFX_REPNE 16u /* F2 */

struct hv_insn {
  unsigned len;       /* bytes */
  unsigned prefixes;  /* HV_PFX_* */
  uint8_t seg;        /* segment override prefix byte, or 0 */
  uint8_t rex;        /* REX byte (64-bit mode only), or 0 */
  uint8_t two_byte;   /* 1: 0F opcode */
  uint8_t opcode;     /* the opcode byte (after 0F for two-byte opcodes) */
  uint8_t has_modrm;
  uint8_t mod, reg, rm; /* reg with REX.R; rm with REX.B (when mod = 3 or no SIB) */
  uint8_t has_sib;
  uint8_t base, index, scale; /* SIB with REX.B / REX.X; index 4: none */
  uint8_t disp_size;  /* 0, 1 or 4 */
  uint8_t imm_size;   /* 0, 1, 2 or 4 */
  int32_t disp;
  int64_t imm;        /* sign-extended */
  unsigned opsize;    /* operand size of the full-size forms: 2, 4 or 8 */
};

/* Decodes the n bytes at b (what could be fetched; mode64: 64-bit code
 * segment).  Returns 0, or -1 for an opcode outside the list above or an
 * instruction longer than n bytes. */
int hv_decode(const uint8_t *b, unsigned n, int mode64, struct hv_insn *in);

/* The effective address of a memory operand (segment base not added),
 * next_rip being the address after the instruction (RIP-relative forms);
 * truncated to 32 bits when the address size is 32. */
uint64_t hv_insn_ea(const struct hv_insn *in, int mode64, uint64_t next_rip);

/* Defined by each hypervisor: guest GPR by encoding (0 = RAX ... 15). */
uint64_t hv_get_gpr(unsigned n);

#endif
