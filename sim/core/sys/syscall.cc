// SYSCALL / SYSRET (SDM Vol. 2B; AMD APM Vol. 2 6.1.1) and SYSENTER /
// SYSEXIT (SDM Vol. 2B): flat segments with fixed descriptor caches.
#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/register.h"

namespace hvsim::core::sys {

namespace {

// Type, S, DPL, P plus L / D / G in the Segment::attr layout.
Segment flat(uint16_t sel, unsigned type, unsigned dpl, bool l, bool db) {
  Segment sg;
  sg.selector = sel;
  sg.base = 0;
  sg.limit = 0xffffffff;
  sg.attr = type | kAttrS | (dpl << 5) | kAttrP | kAttrG | (l ? kAttrL : 0u) | (db ? kAttrDB : 0u);
  return sg;
}

void syscall(Engine& e, const DecodedInsn&) {
  ArchState& s = e.s;
  // Intel: SYSCALL is valid only in 64-bit mode. AMD (APM Vol. 3 SYSCALL):
  // also in compatibility mode (target CSTAR) and in legacy protected mode
  // (target STAR[31:0], 32-bit flat CS, no R11).
  const bool amd = e.cpuid().is_amd();
  if (!(s.efer & EFER_SCE) || (!e.long64() && !amd)) raise(kUD);
  if (s.mode == Mode::kReal || s.mode == Mode::kVm86) raise(kUD);
  const uint16_t sel = static_cast<uint16_t>(s.star >> 32);
  if (!(s.efer & EFER_LMA)) {
    s.gpr[RCX] = static_cast<uint32_t>(s.rip);
    s.rip = static_cast<uint32_t>(s.star);
    s.rflags &= ~(VM | IF | RF);
    s.seg[CS] = flat(sel & 0xfffc, 0xb, 0, false, true);
    s.seg[SS] = flat(static_cast<uint16_t>((sel + 8) & 0xfffc), 0x3, 0, false, true);
    e.set_cpl(0);
    e.update_mode();
    e.debug_tf_at_end();
    return;
  }
  s.gpr[RCX] = s.rip;
  s.gpr[R11] = s.rflags & ~RF;
  s.rip = e.long64() ? s.lstar : s.cstar;
  s.rflags &= ~(s.sfmask | RF);
  s.rflags |= 2;
  s.seg[CS] = flat(sel & 0xfffc, 0xb, 0, true, false);
  s.seg[SS] = flat(static_cast<uint16_t>((sel + 8) & 0xfffc), 0x3, 0, false, true);
  e.set_cpl(0);
  e.update_mode();
  e.debug_tf_at_end();
}

void sysret(Engine& e, const DecodedInsn& d) {
  ArchState& s = e.s;
  if (!e.long64() || !(s.efer & EFER_SCE)) raise(kUD);
  if (s.cpl != 0) raise(kGP, 0);
  const uint16_t sel = static_cast<uint16_t>(s.star >> 48);
  if (d.opsize == 8) {
    if (!canonical(e, s.gpr[RCX])) raise(kGP, 0);
    s.rip = s.gpr[RCX];
    s.seg[CS] = flat(static_cast<uint16_t>((sel + 16) | 3), 0xb, 3, true, false);
  } else {
    s.rip = static_cast<uint32_t>(s.gpr[RCX]);
    s.seg[CS] = flat(static_cast<uint16_t>(sel | 3), 0xb, 3, false, true);
  }
  s.rflags = (s.gpr[R11] & 0x3c7fd7) | 2;
  s.seg[SS] = flat(static_cast<uint16_t>((sel + 8) | 3), 0x3, 3, false, true);
  e.set_cpl(3);
  e.update_mode();
  e.debug_tf_at_end();
}

void sysenter(Engine& e, const DecodedInsn&) {
  ArchState& s = e.s;
  if (s.mode == Mode::kReal) raise(kGP, 0);
  const uint16_t cs = static_cast<uint16_t>(s.sysenter_cs);
  if (sel_null(cs)) raise(kGP, 0);
  const bool lma = ia32e(e);
  s.rflags &= ~(VM | IF | RF);
  s.seg[CS] = flat(cs & 0xfffc, 0xb, 0, lma, !lma);
  s.seg[SS] = flat(static_cast<uint16_t>((cs & 0xfffc) + 8), 0x3, 0, false, true);
  s.rip = lma ? s.sysenter_eip : static_cast<uint32_t>(s.sysenter_eip);
  s.gpr[RSP] = lma ? s.sysenter_esp : static_cast<uint32_t>(s.sysenter_esp);
  e.set_cpl(0);
  e.update_mode();
}

void sysexit(Engine& e, const DecodedInsn& d) {
  ArchState& s = e.s;
  if (s.mode == Mode::kReal || s.mode == Mode::kVm86 || s.cpl != 0) raise(kGP, 0);
  const uint16_t base = static_cast<uint16_t>(s.sysenter_cs);
  if (sel_null(base)) raise(kGP, 0);
  if (d.opsize == 8) {
    if (!canonical(e, s.gpr[RDX]) || !canonical(e, s.gpr[RCX])) raise(kGP, 0);
    s.seg[CS] = flat(static_cast<uint16_t>((base + 32) | 3), 0xb, 3, true, false);
    s.seg[SS] = flat(static_cast<uint16_t>((base + 40) | 3), 0x3, 3, false, true);
    s.rip = s.gpr[RDX];
    s.gpr[RSP] = s.gpr[RCX];
  } else {
    s.seg[CS] = flat(static_cast<uint16_t>((base + 16) | 3), 0xb, 3, false, true);
    s.seg[SS] = flat(static_cast<uint16_t>((base + 24) | 3), 0x3, 3, false, true);
    s.rip = static_cast<uint32_t>(s.gpr[RDX]);
    s.gpr[RSP] = static_cast<uint32_t>(s.gpr[RCX]);
  }
  e.set_cpl(3);
  e.update_mode();
}

}  // namespace

void register_fast_syscalls(BinderTable& t) {
  using namespace timing;
  t.add(ZYDIS_MNEMONIC_SYSCALL, &bind_plain<&syscall>, k_far, true);
  t.add(ZYDIS_MNEMONIC_SYSRET, &bind_plain<&sysret>, k_far, true);
  t.add(ZYDIS_MNEMONIC_SYSENTER, &bind_plain<&sysenter>, k_far, true);
  t.add(ZYDIS_MNEMONIC_SYSEXIT, &bind_plain<&sysexit>, k_far, true);
}

}  // namespace hvsim::core::sys
