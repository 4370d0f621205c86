#include "hv_decode.h"

#include "wl.h"

enum { NONE, MODRM, MODRM_IMM8, MODRM_IMMZ, MODRM_REG };

/* The operands that follow an opcode: NONE, or a ModRM with no, an 8-bit
 * or an operand-sized (16/32-bit) immediate; -1 for an unknown opcode. */
static int operand_form(int two_byte, uint8_t op) {
  if (two_byte) {
    if (op == 0x01) return MODRM;
    if (op == 0x06) return NONE;
    if (op >= 0x20 && op <= 0x23) return MODRM_REG;
    return -1;
  }
  if (op < 0x40 && (op & 7) < 4) return MODRM; /* ADD..CMP r/m forms */
  if (op == 0x80 || op == 0x83 || op == 0xC6) return MODRM_IMM8;
  if (op == 0x81 || op == 0xC7) return MODRM_IMMZ;
  if (op >= 0x84 && op <= 0x8B) return MODRM;
  if (op == 0xAA || op == 0xAB) return NONE;
  return -1;
}

static int32_t le32(const uint8_t *b) { return (int32_t)(b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24); }

int hv_decode(const uint8_t *b, unsigned n, int mode64, struct hv_insn *in) {
  *in = (struct hv_insn){0};
  unsigned i = 0;
  for (; i < n; i++) {
    uint8_t p = b[i];
    if (p == 0x66) in->prefixes |= HV_PFX_OPSIZE;
    else if (p == 0x67) in->prefixes |= HV_PFX_ADDR;
    else if (p == 0xF0) in->prefixes |= HV_PFX_LOCK;
    else if (p == 0xF3) in->prefixes |= HV_PFX_REP;
    else if (p == 0xF2) in->prefixes |= HV_PFX_REPNE;
    else if (p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65) in->seg = p;
    else break;
  }
  if (mode64 && i < n && (b[i] & 0xF0) == 0x40) in->rex = b[i++];
  if (i < n && b[i] == 0x0F) {
    in->two_byte = 1;
    i++;
  }
  if (i >= n) return -1;
  in->opcode = b[i++];
  int form = operand_form(in->two_byte, in->opcode);
  if (form < 0) return -1;
  in->opsize = (in->rex & 8) ? 8 : (in->prefixes & HV_PFX_OPSIZE) ? 2 : 4;
  if (form != NONE) {
    if (i >= n) return -1;
    uint8_t modrm = b[i++];
    in->has_modrm = 1;
    in->mod = modrm >> 6;
    in->reg = ((modrm >> 3) & 7) | ((in->rex & 4) ? 8 : 0);
    in->rm = (modrm & 7) | ((in->rex & 1) ? 8 : 0);
    if (form == MODRM_REG) in->mod = 3; /* MOV CR/DR: a register whatever mod says */
    if (in->mod != 3) {
      if ((modrm & 7) == 4) {
        if (i >= n) return -1;
        uint8_t sib = b[i++];
        in->has_sib = 1;
        in->scale = sib >> 6;
        in->index = ((sib >> 3) & 7) | ((in->rex & 2) ? 8 : 0);
        in->base = (sib & 7) | ((in->rex & 1) ? 8 : 0);
        if (in->mod == 0 && (sib & 7) == 5) in->disp_size = 4;
      } else if (in->mod == 0 && (modrm & 7) == 5) {
        in->disp_size = 4; /* RIP-relative (64-bit mode) or disp32 */
      }
      if (in->mod == 1) in->disp_size = 1;
      else if (in->mod == 2) in->disp_size = 4;
      if (i + in->disp_size > n) return -1;
      if (in->disp_size == 1) in->disp = (int8_t)b[i];
      else if (in->disp_size == 4) in->disp = le32(b + i);
      i += in->disp_size;
    }
  }
  if (form == MODRM_IMM8) in->imm_size = 1;
  else if (form == MODRM_IMMZ) in->imm_size = in->opsize == 2 ? 2 : 4;
  if (i + in->imm_size > n) return -1;
  if (in->imm_size == 1) in->imm = (int8_t)b[i];
  else if (in->imm_size == 2) in->imm = (int16_t)(b[i] | b[i + 1] << 8);
  else if (in->imm_size == 4) in->imm = le32(b + i);
  in->len = i + in->imm_size;
  return 0;
}

uint64_t hv_insn_ea(const struct hv_insn *in, int mode64, uint64_t next_rip) {
  uint64_t ea = 0;
  if (in->has_sib) {
    if (in->index != 4) ea += hv_get_gpr(in->index) << in->scale;
    if (!(in->mod == 0 && (in->base & 7) == 5)) ea += hv_get_gpr(in->base);
  } else if (in->mod == 0 && (in->rm & 7) == 5) {
    if (mode64) ea = next_rip; /* RIP-relative */
  } else {
    ea = hv_get_gpr(in->rm);
  }
  ea += (uint64_t)(int64_t)in->disp;
  int addr32 = mode64 ? (in->prefixes & HV_PFX_ADDR) != 0 : !(in->prefixes & HV_PFX_ADDR);
  return addr32 ? ea & 0xffffffffu : ea;
}
