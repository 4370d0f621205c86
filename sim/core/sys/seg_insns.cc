// Segment-register instructions: MOV Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/
// LSS, LAR, LSL, VERR, VERW, SWAPGS, RD/WR FS/GS BASE (SDM Vol. 2A/2B).
#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/register.h"
#include "sim/core/sys/segments.h"

namespace hvsim::core::sys {

namespace {

uint16_t read_selector(Engine& e, const DecodedInsn& d, int i) {
  if (d.op[i].kind == OpKind::kReg) return static_cast<uint16_t>(e.s.gpr[d.op[i].reg]);
  return e.read<uint16_t>(e.mem_linear(d, 2, false));
}

void after_load(Engine& e, unsigned sreg) {
  if (sreg == SS) {
    e.update_mode();  // the stack width follows SS.B
    set_interrupt_shadow(e);
    e.s.interrupt_shadow = kShadowMovSs;  // also holds debug traps (SDM Vol. 3 6.8.3)
  }
}

// MOV Sreg, r/m16 (SDM Vol. 2A MOV).
void mov_to_sreg(Engine& e, const DecodedInsn& d) {
  const unsigned sreg = d.op[0].reg;
  if (sreg == CS || sreg >= kNumSegs) raise(kUD);
  load_data_segment(e, sreg, read_selector(e, d, 1));
  after_load(e, sreg);
}

// MOV r/m, Sreg: a register destination is zero-extended, memory gets 16 bits.
void mov_from_sreg(Engine& e, const DecodedInsn& d) {
  const unsigned sreg = d.op[1].reg;
  if (sreg >= kNumSegs) raise(kUD);
  const uint16_t v = e.s.seg[sreg].selector;
  if (d.op[0].kind == OpKind::kReg) {
    if (d.op[0].size == 2)
      e.set_gpr<uint16_t>(d.op[0].reg, v);
    else
      e.s.gpr[d.op[0].reg] = v;  // 32/64-bit destination: zero-extended
  } else {
    e.write<uint16_t>(e.mem_linear(d, 2, true), v);
  }
}

// PUSH Sreg: the selector is zero-extended to the operand size.
void push_sreg(Engine& e, const DecodedInsn& d) {
  const uint16_t v = e.s.seg[d.op[0].reg].selector;
  switch (d.opsize) {
    case 8:
      e.push<uint64_t>(v);
      break;
    case 4:
      e.push<uint32_t>(v);
      break;
    default:
      e.push<uint16_t>(v);
      break;
  }
}

// POP Sreg: the load may fault, and RSP moves only after it succeeded.
void pop_sreg(Engine& e, const DecodedInsn& d) {
  const unsigned sreg = d.op[0].reg;
  if (sreg == CS) raise(kUD);
  const uint64_t sp = e.sp_masked(e.s.gpr[RSP]);
  const uint16_t sel = e.read<uint16_t>(e.linear(SS, sp, d.opsize, false));
  load_data_segment(e, sreg, sel);
  e.set_sp(sp + d.opsize);
  after_load(e, sreg);
}

// LDS/LES/LFS/LGS/LSS r, m16:16/32/64.
template <unsigned kSreg>
void load_far_pointer(Engine& e, const DecodedInsn& d) {
  if (d.op[1].kind != OpKind::kMem) raise(kUD);
  const uint64_t off_ea = e.ea(d);
  const unsigned n = d.opsize;
  uint64_t off;
  if (n == 8)
    off = e.read<uint64_t>(e.linear(d.mem.seg, off_ea, 8, false));
  else if (n == 4)
    off = e.read<uint32_t>(e.linear(d.mem.seg, off_ea, 4, false));
  else
    off = e.read<uint16_t>(e.linear(d.mem.seg, off_ea, 2, false));
  const uint64_t sel_ea = Engine::mask_addr(off_ea + n, d.addrsize);
  const uint16_t sel = e.read<uint16_t>(e.linear(d.mem.seg, sel_ea, 2, false));
  load_data_segment(e, kSreg, sel);
  if (n == 8)
    e.set_gpr<uint64_t>(d.op[0].reg, off);
  else if (n == 4)
    e.set_gpr<uint32_t>(d.op[0].reg, static_cast<uint32_t>(off));
  else
    e.set_gpr<uint16_t>(d.op[0].reg, static_cast<uint16_t>(off));
  after_load(e, kSreg);
}

// The descriptor LAR/LSL/VERR/VERW examine, or false (ZF = 0) when the
// selector is null or outside its table.
bool probe_descriptor(Engine& e, uint16_t sel, Descriptor* d) {
  uint64_t la;
  if (sel_null(sel) || !descriptor_addr(e, sel, 8, &la)) return false;
  d->lo = e.read_sys<uint64_t>(la);
  return true;
}

// DPL against CPL and RPL, skipped for conforming code (SDM Vol. 2A LAR).
bool visible(const Engine& e, const Descriptor& d, uint16_t sel) {
  if (d.conforming()) return true;
  return d.dpl() >= e.s.cpl && d.dpl() >= sel_rpl(sel);
}

void set_zf(Engine& e, bool z) {
  e.s.rflags = z ? (e.s.rflags | ZF) : (e.s.rflags & ~ZF);
}

void require_protected(const Engine& e) {
  if (!protected_mode(e)) raise(kUD);
}

// LAR (SDM Vol. 2A): valid system types differ in IA-32e mode.
void lar(Engine& e, const DecodedInsn& d) {
  require_protected(e);
  const uint16_t sel = read_selector(e, d, 1);
  Descriptor desc;
  bool ok = probe_descriptor(e, sel, &desc);
  if (ok && !desc.s()) {
    const unsigned t = desc.type();
    ok = ia32e(e)
             ? (t == kLdt || t == kTss32Avail || t == kTss32Busy || t == kCallGate32)
             : (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 0xb || t == 0xc);
  }
  if (ok) ok = visible(e, desc, sel);
  set_zf(e, ok);
  if (!ok) return;
  // Bits 19:16 (limit) are undefined by the SDM ("00FxFF00H"); hardware returns them.
  const uint32_t ar = static_cast<uint32_t>(desc.lo >> 32) & 0x00ffff00;
  if (d.opsize == 2)
    e.set_gpr<uint16_t>(d.op[0].reg, static_cast<uint16_t>(ar));
  else
    e.s.gpr[d.op[0].reg] = ar;
}

// LSL (SDM Vol. 2A).
void lsl(Engine& e, const DecodedInsn& d) {
  require_protected(e);
  const uint16_t sel = read_selector(e, d, 1);
  Descriptor desc;
  bool ok = probe_descriptor(e, sel, &desc);
  if (ok && !desc.s()) {
    const unsigned t = desc.type();
    ok = ia32e(e) ? (t == kLdt || t == kTss32Avail || t == kTss32Busy)
                  : (t == 1 || t == 2 || t == 3 || t == 9 || t == 0xb);
  }
  if (ok) ok = visible(e, desc, sel);
  set_zf(e, ok);
  if (!ok) return;
  if (d.opsize == 2)
    e.set_gpr<uint16_t>(d.op[0].reg, static_cast<uint16_t>(desc.limit()));
  else
    e.s.gpr[d.op[0].reg] = desc.limit();
}

// VERR / VERW (SDM Vol. 2B).
template <bool kWrite>
void verify(Engine& e, const DecodedInsn& d) {
  require_protected(e);
  const uint16_t sel = read_selector(e, d, 0);
  Descriptor desc;
  bool ok = probe_descriptor(e, sel, &desc) && desc.s() && visible(e, desc, sel);
  if (ok) ok = kWrite ? desc.writable_data() : desc.readable();
  set_zf(e, ok);
}

// SWAPGS (SDM Vol. 2B): 64-bit mode, CPL 0.
void swapgs(Engine& e, const DecodedInsn&) {
  if (!e.long64()) raise(kUD);
  if (e.s.cpl != 0) raise(kGP, 0);
  std::swap(e.s.seg[GS].base, e.s.kernel_gs_base);
}

// RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE (SDM Vol. 2B): 64-bit mode, CR4.FSGSBASE.
template <unsigned kSreg, bool kWrite>
void fsgsbase(Engine& e, const DecodedInsn& d) {
  if (!e.long64() || !(e.s.cr4 & CR4_FSGSBASE)) raise(kUD);
  const unsigned r = d.op[0].reg;
  if (kWrite) {
    uint64_t v = d.opsize == 8 ? e.s.gpr[r] : static_cast<uint32_t>(e.s.gpr[r]);
    if (!canonical(e, v)) raise(kGP, 0);
    e.s.seg[kSreg].base = v;
  } else if (d.opsize == 8) {
    e.s.gpr[r] = e.s.seg[kSreg].base;
  } else {
    e.s.gpr[r] = static_cast<uint32_t>(e.s.seg[kSreg].base);
  }
}

}  // namespace

bool bind_push_pop_sreg(const ZydisDecodedInstruction& zi, DecodedInsn& d) {
  if (d.nops < 1 || d.op[0].kind != OpKind::kReg || d.op[0].rclass != RegClass::kSeg) return false;
  d.exec = zi.mnemonic == ZYDIS_MNEMONIC_PUSH ? &push_sreg : &pop_sreg;
  d.tclass = timing::k_far;
  if (zi.mnemonic == ZYDIS_MNEMONIC_POP) d.flags |= kEndsBlock;
  return true;
}

bool bind_mov_sreg(DecodedInsn& d) {
  if (d.nops != 2) return false;
  if (d.op[0].kind == OpKind::kReg && d.op[0].rclass == RegClass::kSeg) {
    d.exec = &mov_to_sreg;
    d.tclass = timing::k_far;
    d.flags |= kEndsBlock;  // MOV SS starts an interrupt shadow; SS.B changes the stack width
    return true;
  }
  if (d.op[1].kind == OpKind::kReg && d.op[1].rclass == RegClass::kSeg) {
    d.exec = &mov_from_sreg;
    d.tclass = timing::k_move;
    return true;
  }
  return false;
}

void register_segment_insns(BinderTable& t) {
  using namespace timing;
  t.add(ZYDIS_MNEMONIC_LDS, &bind_plain<&load_far_pointer<DS>>, k_far);
  t.add(ZYDIS_MNEMONIC_LES, &bind_plain<&load_far_pointer<ES>>, k_far);
  t.add(ZYDIS_MNEMONIC_LFS, &bind_plain<&load_far_pointer<FS>>, k_far);
  t.add(ZYDIS_MNEMONIC_LGS, &bind_plain<&load_far_pointer<GS>>, k_far);
  t.add(ZYDIS_MNEMONIC_LSS, &bind_plain<&load_far_pointer<SS>>, k_far, true);
  t.add(ZYDIS_MNEMONIC_LAR, &bind_plain<&lar>, k_system);
  t.add(ZYDIS_MNEMONIC_LSL, &bind_plain<&lsl>, k_system);
  t.add(ZYDIS_MNEMONIC_VERR, &bind_plain<&verify<false>>, k_system);
  t.add(ZYDIS_MNEMONIC_VERW, &bind_plain<&verify<true>>, k_system);
  t.add(ZYDIS_MNEMONIC_SWAPGS, &bind_plain<&swapgs>, k_system);
  t.add(ZYDIS_MNEMONIC_RDFSBASE, &bind_plain<&fsgsbase<FS, false>>, k_move);
  t.add(ZYDIS_MNEMONIC_RDGSBASE, &bind_plain<&fsgsbase<GS, false>>, k_move);
  t.add(ZYDIS_MNEMONIC_WRFSBASE, &bind_plain<&fsgsbase<FS, true>>, k_move);
  t.add(ZYDIS_MNEMONIC_WRGSBASE, &bind_plain<&fsgsbase<GS, true>>, k_move);
}

}  // namespace hvsim::core::sys
