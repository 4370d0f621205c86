/* The guest's registers and memory as the exit handlers see them, and the
 * decoding of the few instructions whose intercepts carry no operands
 * without decode assists: MOV to/from CRn (0F 22 / 0F 20), CLTS (0F 06)
 * and INVLPG (0F 01 /7).  Walking the guest's tables and decoding are
 * lib/hv_shadow.c and lib/hv_decode.c; what is SVM's here is where the
 * registers live (RAX and RSP in the VMCB, the others in hv_regs) and the
 * segment bases (VMCB save area). */
#include "hv.h"
#include "hv_decode.h"

uint64_t hv_get_gpr(unsigned r) {
  r &= 15;
  if (r == R_RAX) return hv_vmcb.save.rax;
  if (r == R_RSP) return hv_vmcb.save.rsp;
  return hv_regs.r[r];
}

void hv_set_gpr(unsigned r, uint64_t v) {
  r &= 15;
  if (r == R_RAX) hv_vmcb.save.rax = v;
  else if (r == R_RSP) hv_vmcb.save.rsp = v;
  else hv_regs.r[r] = v;
}

int hv_guest_long_mode(void) {
  return (hv_vmcb.save.efer & EFER_LMA) && (hv_vmcb.save.cs.attrib & (1u << 9)); /* CS.L */
}

/* The guest's CR0, CR3 and EFER: the VMCB's under nested paging, the
 * shadow's copies otherwise. */
static struct hv_guest_paging guest_paging(void) {
  if (hv_npt) return (struct hv_guest_paging){hv_vmcb.save.cr0, hv_vmcb.save.cr3, hv_vmcb.save.efer};
  return (struct hv_guest_paging){shadow_read_cr(0), shadow_read_cr(3), shadow_guest_efer()};
}

int hv_decode_at_rip(struct hv_cr_op *op) {
  uint8_t b[15];
  int longmode = hv_guest_long_mode();
  uint64_t rip = hv_vmcb.save.rip + hv_vmcb.save.cs.base;
  if (!longmode) rip &= 0xffffffffu;
  /* What is mapped of the 15 bytes (an instruction may end just before an
   * unmapped page). */
  struct hv_guest_paging p = guest_paging();
  unsigned avail = hv_guest_fetch(&hv_guest, &p, rip, b, sizeof b);
  struct hv_insn in;
  if (hv_decode(b, avail, longmode, &in) || !in.two_byte) return -1;
  op->len = in.len;
  switch (in.opcode) {
    case 0x06:
      op->kind = HV_OP_CLTS;
      return 0;
    case 0x20:
    case 0x22:
      op->kind = in.opcode == 0x22 ? HV_OP_MOV_TO_CR : HV_OP_MOV_FROM_CR;
      op->cr = in.reg;
      op->gpr = in.rm;
      return 0;
    case 0x01: {
      if ((in.reg & 7) != 7 || in.mod == 3) return -1;
      uint64_t ea = hv_insn_ea(&in, longmode, hv_vmcb.save.rip + in.len);
      if (in.seg == 0x64) ea += hv_vmcb.save.fs.base;
      if (in.seg == 0x65) ea += hv_vmcb.save.gs.base;
      if (!longmode) ea = (ea + hv_vmcb.save.ds.base) & 0xffffffffu;
      op->kind = HV_OP_INVLPG;
      op->addr = ea;
      return 0;
    }
    default:
      return -1;
  }
}
