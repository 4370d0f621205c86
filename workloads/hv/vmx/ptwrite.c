/* Emulation of the guest's writes to its own page tables under mmu=shadow
 * (shadow.c keeps those frames read-only): the MOV, XCHG and OR/AND/XOR
 * forms with a memory destination that gcc emits, and REP STOS (page
 * zeroing).  Decoding is lib/hv_decode.c; the write is done on guest
 * memory and RIP moved past the instruction (SDM Vol. 2 for each). */
#include "hv.h"
#include "hv_decode.h"

static uint64_t reg_value(unsigned r, int size, int rex) {
  if (size == 1 && !rex && r >= 4 && r < 8) return (hv_get_gpr(r - 4) >> 8) & 0xFF; /* AH..BH */
  return hv_get_gpr(r);
}

static void reg_store(unsigned r, int size, int rex, uint64_t v) {
  if (size == 1 && !rex && r >= 4 && r < 8) {
    uint64_t o = hv_get_gpr(r - 4);
    hv_set_gpr(r - 4, (o & ~0xFF00ull) | ((v & 0xFF) << 8));
    return;
  }
  uint64_t o = hv_get_gpr(r);
  if (size == 1) v = (o & ~0xFFull) | (v & 0xFF);
  else if (size == 2) v = (o & ~0xFFFFull) | (v & 0xFFFF);
  else if (size == 4) v &= 0xFFFFFFFFull;
  hv_set_gpr(r, v);
}

static uint64_t read_mem(const void *p, int size) {
  switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: return *(const uint16_t *)p;
    case 4: return *(const uint32_t *)p;
    default: return *(const uint64_t *)p;
  }
}

static void write_mem(void *p, int size, uint64_t v) {
  switch (size) {
    case 1: *(uint8_t *)p = (uint8_t)v; break;
    case 2: *(uint16_t *)p = (uint16_t)v; break;
    case 4: *(uint32_t *)p = (uint32_t)v; break;
    default: *(uint64_t *)p = v; break;
  }
}

/* Logic-operation flags: CF = OF = 0, SF/ZF/PF from the result (SDM Vol.
 * 2 OR/AND/XOR); AF is undefined and left clear. */
static void set_logic_flags(uint64_t r, int size) {
  uint64_t fl = vmread(VMCS_GUEST_RFLAGS) & ~0x8D5ull; /* CF PF AF ZF SF OF */
  uint64_t mask = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
  r &= mask;
  if (r == 0) fl |= 1u << 6;
  if ((r >> (size * 8 - 1)) & 1) fl |= 1u << 7;
  unsigned par = (unsigned)(r & 0xFF);
  par ^= par >> 4;
  par ^= par >> 2;
  par ^= par >> 1;
  if (!(par & 1)) fl |= 1u << 2;
  vmwrite(VMCS_GUEST_RFLAGS, fl);
}

/* REP STOS with DF = 0 and 64-bit addressing (page zeroing): the
 * iterations that fall into the faulting page are done here; the
 * instruction resumes natively for the rest (SDM Vol. 2B STOS, REP). */
static int rep_stos(const struct hv_insn *in, uint64_t rip, uint64_t gpa, int *changed_present) {
  if (in->two_byte || (in->opcode != 0xAA && in->opcode != 0xAB) || (vmread(VMCS_GUEST_RFLAGS) & (1u << 10)))
    return -1;
  int size = in->opcode == 0xAA ? 1 : (int)in->opsize;
  uint64_t rdi = gregs.rdi, rcx = gregs.rcx, val = gregs.rax;
  if (rcx == 0 || (rdi & (uint64_t)(size - 1)) || (rdi & 0xFFF) != (gpa & 0xFFF)) return -1;
  uint64_t page = gpa & ~0xFFFull, off = gpa & 0xFFF;
  int changed = 0;
  while (rcx && off < 4096) {
    uint64_t *q = (uint64_t *)gpa_to_host(page + (off & ~7ull));
    uint64_t before = *q;
    write_mem(gpa_to_host(page + off), size, val);
    if (before != *q && (before & PTE_P)) changed = 1;
    off += (uint64_t)size;
    rdi += (uint64_t)size;
    rcx--;
  }
  gregs.rdi = rdi;
  gregs.rcx = rcx;
  if (rcx == 0) vmwrite(VMCS_GUEST_RIP, rip + in->len);
  *changed_present = changed;
  return 0;
}

int ptwrite_emulate(uint64_t addr, uint64_t gpa, int *changed_present) {
  uint64_t rip = vmread(VMCS_GUEST_RIP);
  uint8_t b[15];
  struct hv_guest_paging p = shadow_guest_paging();
  struct hv_insn in;
  if (hv_decode(b, hv_guest_fetch(&hv_guest, &p, rip, b, sizeof b), 1, &in) ||
      (in.prefixes & (HV_PFX_ADDR | HV_PFX_REPNE)))
    return -1;
  if (in.prefixes & HV_PFX_REP) return rep_stos(&in, rip, gpa, changed_present);
  if (in.two_byte || !in.has_modrm || in.mod == 3) return -1;
  uint8_t op = in.opcode;
  int size, kind; /* kind: 0 mov, 1 xchg, 2 or, 3 and, 4 xor */
  uint64_t src;
  switch (op) {
    case 0x88: case 0x89: case 0x86: case 0x87: case 0x08: case 0x09: case 0x20: case 0x21: case 0x30: case 0x31:
      size = (op & 1) ? (int)in.opsize : 1;
      src = reg_value(in.reg, size, in.rex);
      kind = (op & 0xFE) == 0x88 ? 0 : (op & 0xFE) == 0x86 ? 1 : op < 0x10 ? 2 : op < 0x30 ? 3 : 4;
      break;
    case 0xC6: case 0xC7: case 0x80: case 0x81: case 0x83: {
      unsigned sub = in.reg & 7;
      size = (op == 0xC6 || op == 0x80) ? 1 : (int)in.opsize;
      if (op == 0xC6 || op == 0xC7) {
        if (sub != 0) return -1;
        kind = 0;
      } else if (sub == 1) kind = 2;
      else if (sub == 4) kind = 3;
      else if (sub == 6) kind = 4;
      else return -1;
      src = (uint64_t)in.imm;
      break;
    }
    default:
      return -1;
  }
  if ((addr & 0xFFF) + (uint64_t)size > 4096) return -1;
  void *m = gpa_to_host(gpa);
  uint64_t *q = (uint64_t *)gpa_to_host(gpa & ~7ull);
  uint64_t before = *q, old = read_mem(m, size), val = src;
  if (kind == 2) val = old | src;
  else if (kind == 3) val = old & src;
  else if (kind == 4) val = old ^ src;
  write_mem(m, size, val);
  if (kind == 1) reg_store(in.reg, size, in.rex, old);
  if (kind >= 2) set_logic_flags(val, size);
  vmwrite(VMCS_GUEST_RIP, rip + in.len);
  *changed_present = *q != before && (before & PTE_P);
  return 0;
}
