/* The guest's view of memory: guest-virtual to guest-physical through the
 * guest's own page tables (4-level long-mode paging, AMD APM Vol. 2 5.3),
 * and decoding of the few instructions whose exits carry no operands
 * without decode assists: MOV to/from CRn (0F 22 / 0F 20), CLTS (0F 06)
 * and INVLPG (0F 01 /7), with the 64-bit ModRM/SIB addressing forms (APM
 * Vol. 3 1.4 "ModRM and SIB Bytes"). */
#include "hv.h"

int hv_guest_paging(void) { return hv_npt ? (hv_vmcb.save.cr0 >> 31) & 1 : (shadow_read_cr(0) >> 31) & 1; }

int hv_guest_long_mode(void) {
  return (hv_vmcb.save.efer & EFER_LMA) && (hv_vmcb.save.cs.attrib & (1u << 9)); /* CS.L */
}

int64_t hv_guest_translate(uint64_t va) {
  if (!hv_guest_paging()) return (int64_t)(va & 0xffffffffu);
  uint64_t table = (hv_npt ? hv_vmcb.save.cr3 : shadow_read_cr(3)) & PTE_ADDR;
  for (int level = 4; level >= 1; level--) {
    unsigned shift = 12 + 9 * (unsigned)(level - 1);
    uint64_t *e = hv_gpa_to_hva(&hv_guest, table + ((va >> shift) & 511) * 8, 8);
    if (!e || !(*e & PTE_P)) return -1;
    if (level == 1 || ((level == 2 || level == 3) && (*e & PTE_PS))) {
      uint64_t size = 1ull << shift;
      return (int64_t)(((*e & PTE_ADDR) & ~(size - 1)) | (va & (size - 1)));
    }
    table = *e & PTE_ADDR;
  }
  return -1;
}

int hv_guest_read(uint64_t va, void *buf, unsigned n) {
  uint8_t *out = buf;
  for (unsigned i = 0; i < n; i++) {
    int64_t pa = hv_guest_translate(va + i);
    uint8_t *p = pa < 0 ? 0 : hv_gpa_to_hva(&hv_guest, (uint64_t)pa, 1);
    if (!p) return -1;
    out[i] = *p;
  }
  return 0;
}

static uint64_t gpr(unsigned r) {
  if (r == R_RAX) return hv_vmcb.save.rax;
  if (r == R_RSP) return hv_vmcb.save.rsp;
  return hv_regs.r[r];
}

int hv_decode_at_rip(struct hv_insn *in) {
  uint8_t b[15];
  uint64_t rip = hv_vmcb.save.rip + hv_vmcb.save.cs.base;
  int longmode = hv_guest_long_mode();
  if (!longmode) rip &= 0xffffffffu;
  /* Fetch what is mapped of the 15 bytes (an instruction may end just
   * before an unmapped page). */
  unsigned avail = 0;
  while (avail < 15 && hv_guest_read(rip + avail, &b[avail], 1) == 0) avail++;
  if (!avail) return -1;
  unsigned i = 0, rex = 0, seg_fs_gs = 0, addr32 = !longmode;
  for (; i < avail; i++) {
    uint8_t p = b[i];
    if (p == 0x66 || p == 0xf0 || p == 0xf2 || p == 0xf3 || p == 0x2e || p == 0x36 || p == 0x3e || p == 0x26) continue;
    if (p == 0x64 || p == 0x65) { seg_fs_gs = p; continue; }
    if (p == 0x67) { addr32 = longmode ? 1 : 0; continue; }
    break;
  }
  if (longmode && i < avail && (b[i] & 0xf0) == 0x40) rex = b[i++];
  if (i + 2 > avail || b[i] != 0x0f) return -1;
  uint8_t op = b[i + 1];
  i += 2;
  in->op = HV_OP_UNKNOWN;
  if (op == 0x06) {
    in->op = HV_OP_CLTS;
    in->len = i;
    return 0;
  }
  if (i >= avail) return -1;
  uint8_t modrm = b[i++];
  unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
  if (op == 0x20 || op == 0x22) { /* the ModRM is a register form whatever mod says */
    in->op = op == 0x22 ? HV_OP_MOV_TO_CR : HV_OP_MOV_FROM_CR;
    in->cr = reg | ((rex & 4) ? 8 : 0);
    in->gpr = rm | ((rex & 1) ? 8 : 0);
    in->len = i;
    return 0;
  }
  if (op != 0x01 || reg != 7 || mod == 3) return -1;
  /* INVLPG m: effective address. */
  uint64_t ea = 0;
  if (rm == 4) {
    if (i >= avail) return -1;
    uint8_t sib = b[i++];
    unsigned scale = sib >> 6, index = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0), base = (sib & 7) | ((rex & 1) ? 8 : 0);
    if (index != 4) ea += gpr(index) << scale;
    if ((base & 7) == 5 && mod == 0) {
      if (i + 4 > avail) return -1;
      ea += (uint64_t)(int64_t)(int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 | (uint32_t)b[i + 3] << 24);
      i += 4;
    } else {
      ea += gpr(base);
    }
  } else if (rm == 5 && mod == 0) {
    if (i + 4 > avail) return -1;
    int32_t d = (int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 | (uint32_t)b[i + 3] << 24);
    i += 4;
    ea = longmode ? hv_vmcb.save.rip + i + (uint64_t)(int64_t)d : (uint32_t)d; /* RIP-relative: next RIP */
  } else {
    ea = gpr(rm | ((rex & 1) ? 8 : 0));
  }
  if (mod == 1) {
    if (i + 1 > avail) return -1;
    ea += (uint64_t)(int64_t)(int8_t)b[i++];
  } else if (mod == 2) {
    if (i + 4 > avail) return -1;
    ea += (uint64_t)(int64_t)(int32_t)(b[i] | b[i + 1] << 8 | b[i + 2] << 16 | (uint32_t)b[i + 3] << 24);
    i += 4;
  }
  if (addr32) ea &= 0xffffffffu;
  if (seg_fs_gs == 0x64) ea += hv_vmcb.save.fs.base;
  if (seg_fs_gs == 0x65) ea += hv_vmcb.save.gs.base;
  if (!longmode) ea = (ea + hv_vmcb.save.ds.base) & 0xffffffffu;
  in->op = HV_OP_INVLPG;
  in->addr = ea;
  in->len = i;
  return 0;
}
