// MOV to/from CR0/CR2/CR3/CR4/CR8, MOV DRn, CLTS, LMSW, SMSW
// (SDM Vol. 2A/2B; Vol. 3 2.5, 17.2).
#include "sim/core/sys/control_regs.h"
#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/register.h"

namespace hvsim::core::sys {

namespace {

// Privileged instructions: CPL 0 (virtual-8086 mode runs at CPL 3).
void require_cpl0(const Engine& e) {
  if (e.s.cpl != 0 || e.s.mode == Mode::kVm86) raise(kGP, 0);
}

// MOV CRn/DRn always move 64 bits in 64-bit mode and 32 bits otherwise.
uint64_t gpr_operand(const Engine& e, unsigned r) {
  return e.long64() ? e.s.gpr[r] : static_cast<uint32_t>(e.s.gpr[r]);
}
void set_gpr_operand(Engine& e, unsigned r, uint64_t v) {
  e.s.gpr[r] = e.long64() ? v : static_cast<uint32_t>(v);
}

void mov_to_cr(Engine& e, const DecodedInsn& d) {
  require_cpl0(e);
  uint64_t v = gpr_operand(e, d.op[1].reg);
  const unsigned cr = d.op[0].reg;
  if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8) raise(kUD);
  // In a guest: may exit (CR masks, CR3-target list, CR8 exiting) or load
  // a value with the host-owned bits kept.
  if (virt::GuestHooks* g = e.guest()) v = g->cr_write(cr, d.op[1].reg, v);  // CR2: SVM only
  switch (d.op[0].reg) {
    case 0:
      write_cr0(e, v);
      break;
    case 2:
      e.s.cr2 = v;
      break;
    case 3:
      write_cr3(e, v);
      break;
    case 4:
      write_cr4(e, v);
      break;
    case 8:
      write_cr8(e, v);
      break;
    default:
      raise(kUD);
  }
}

void mov_from_cr(Engine& e, const DecodedInsn& d) {
  require_cpl0(e);
  uint64_t v;
  switch (d.op[1].reg) {
    case 0:
      v = e.s.cr0;
      break;
    case 2:
      v = e.s.cr2;
      break;
    case 3:
      v = e.s.cr3;
      break;
    case 4:
      v = e.s.cr4;
      break;
    case 8:
      v = e.cr8();
      break;
    default:
      raise(kUD);
  }
  if (virt::GuestHooks* g = e.guest())  // CR2 reads exit under SVM only
    v = g->cr_read(d.op[1].reg, d.op[0].reg, v);
  set_gpr_operand(e, d.op[0].reg, v);
}

// DR4/DR5 alias DR6/DR7 unless CR4.DE, which makes them #UD (SDM Vol. 3 17.2.2).
unsigned debug_reg(const Engine& e, unsigned r) {
  if (r == 4 || r == 5) {
    if (e.s.cr4 & CR4_DE) raise(kUD);
    return r + 2;
  }
  if (r > 7) raise(kUD);
  return r;
}

// DR7.GD: any MOV DR is a #DB fault with DR6.BD set; the processor clears
// GD so that the handler can use the debug registers (SDM Vol. 3 17.2.4).
// After the privilege, #UD and VM-exit checks (SDM Vol. 3 25.1.1).
void general_detect(Engine& e) {
  if (e.s.dr[7] & kDr7Gd) raise_db(kDr6Bd);  // DR6/DR7 written at delivery (exceptions.cc)
}

void mov_to_dr(Engine& e, const DecodedInsn& d) {
  require_cpl0(e);
  const unsigned r = debug_reg(e, d.op[0].reg);
  if (virt::GuestHooks* g = e.guest()) g->dr_access(d.op[0].reg, d.op[1].reg, true);
  general_detect(e);
  uint64_t v = gpr_operand(e, d.op[1].reg);
  if (r >= 6 && (v >> 32)) raise(kGP, 0);
  if (r == 6)
    v = (v & 0xe00f) | 0xffff0ff0;  // SDM 17.2.3: reserved bits read as 1, bit 12 as 0
  else if (r == 7)
    v = (v & ~0xd800ull) | 0x400;  // SDM 17.2.4: bit 10 reads 1, 11-12 and 14-15 read 0
  e.s.dr[r] = v;
  if (r != 6) e.debug_sync();  // breakpoints armed or disarmed
}

void mov_from_dr(Engine& e, const DecodedInsn& d) {
  require_cpl0(e);
  const unsigned r = debug_reg(e, d.op[1].reg);
  if (virt::GuestHooks* g = e.guest()) g->dr_access(d.op[1].reg, d.op[0].reg, false);
  general_detect(e);
  set_gpr_operand(e, d.op[0].reg, e.s.dr[r]);
}

void clts(Engine& e, const DecodedInsn&) {
  require_cpl0(e);
  if (virt::GuestHooks* g = e.guest()) {
    g->clts();  // exits when the host owns CR0.TS and its shadow has TS set
    return;     // otherwise CLTS clears only guest-owned TS (handled by the hook)
  }
  e.s.cr0 &= ~CR0_TS;
}

// LMSW (SDM Vol. 2A): loads CR0[3:0]; PE can be set but not cleared.
void lmsw(Engine& e, const DecodedInsn& d) {
  require_cpl0(e);
  uint16_t v;
  if (d.op[0].kind == OpKind::kReg) {
    v = static_cast<uint16_t>(e.s.gpr[d.op[0].reg]);
    if (virt::GuestHooks* g = e.guest()) v = g->lmsw(v, false, 0);
  } else {
    const uint64_t la = e.mem_linear(d, 2, false);
    v = e.read<uint16_t>(la);
    if (virt::GuestHooks* g = e.guest()) v = g->lmsw(v, true, la);
  }
  const uint64_t cr0 = (e.s.cr0 & ~0xeull) | (v & 0xe) | ((v | e.s.cr0) & CR0_PE);
  write_cr0(e, cr0);
}

// SMSW (SDM Vol. 2B): #GP at CPL > 0 with CR4.UMIP.
void smsw(Engine& e, const DecodedInsn& d) {
  if ((e.s.cr4 & CR4_UMIP) && e.s.cpl > 0) raise(kGP, 0);
  if (d.op[0].kind == OpKind::kMem) {
    e.write<uint16_t>(e.mem_linear(d, 2, true), static_cast<uint16_t>(e.s.cr0));
  } else if (d.opsize == 2) {
    e.set_gpr<uint16_t>(d.op[0].reg, static_cast<uint16_t>(e.s.cr0));
  } else if (d.opsize == 4) {
    e.set_gpr<uint32_t>(d.op[0].reg, static_cast<uint32_t>(e.s.cr0));
  } else {
    e.s.gpr[d.op[0].reg] = e.s.cr0;
  }
}

}  // namespace

bool bind_mov_crdr(DecodedInsn& d) {
  if (d.nops != 2 || d.op[0].kind != OpKind::kReg || d.op[1].kind != OpKind::kReg) return false;
  if (d.op[0].rclass == RegClass::kCr) {
    d.exec = &mov_to_cr;
    d.flags |= kEndsBlock;
  } else if (d.op[1].rclass == RegClass::kCr) {
    d.exec = &mov_from_cr;
  } else if (d.op[0].rclass == RegClass::kDr) {
    d.exec = &mov_to_dr;
    d.flags |= kEndsBlock;
  } else if (d.op[1].rclass == RegClass::kDr) {
    d.exec = &mov_from_dr;
  } else {
    return false;
  }
  d.tclass = timing::k_system;
  return true;
}

void register_cr(BinderTable& t) {
  using namespace timing;
  t.add(ZYDIS_MNEMONIC_CLTS, &bind_plain<&clts>, k_system);
  t.add(ZYDIS_MNEMONIC_LMSW, &bind_plain<&lmsw>, k_system, true);
  t.add(ZYDIS_MNEMONIC_SMSW, &bind_plain<&smsw>, k_system);
}

}  // namespace hvsim::core::sys
