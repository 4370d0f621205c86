// x87 control instructions (SDM Vol. 1 8.3.12-8.3.13, 8.1.10): FNINIT,
// FLDCW, FNSTCW, FNSTSW (m16 and AX), FNCLEX, FNSTENV/FLDENV, FNSAVE/FRSTOR,
// FWAIT, FNOP and the 8087/287 leftovers that are NOPs (FNENI, FNDISI,
// FNSETPM). The no-wait forms (FN*) never look at pending exceptions (SDM
// Vol. 1 8.3.11); every other x87 instruction and FWAIT do (x87.h). None of
// them changes FIP/FDP/FOP except FNINIT and the loads of the environment.
//
// Environment layouts (SDM Vol. 1 Figures 8-9..8-12): the operand size
// picks the 14-byte (16-bit) or 28-byte (32-bit) format, real and virtual-
// 8086 mode the real-mode variants, which hold linear pointers (segment * 16
// + offset) and FOP instead of selectors; 64-bit mode uses the 32-bit
// protected-mode format. FNSAVE/FRSTOR append ST(0)..ST(7), 10 bytes each
// (94 or 108 bytes). Reserved halves of the 32-bit format are stored as
// FFFFh, as Intel hardware does.
#include <cstring>

#include "sim/core/x87/x87.h"

namespace hvsim::core {
namespace x87 {

namespace {

void put16(uint8_t* p, uint32_t v) {
  const uint16_t w = static_cast<uint16_t>(v);
  std::memcpy(p, &w, 2);
}
void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
uint32_t get16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

bool real_format(const Engine& e) { return e.s.mode == Mode::kReal || e.s.mode == Mode::kVm86; }

// The full tag word as FNSTENV/FNSAVE store it: empty stays empty, the
// others are recomputed from the register contents (SDM Vol. 1 8.1.7).
uint16_t full_tags(const X87State& x) {
  uint16_t t = 0;
  for (unsigned i = 0; i < 8; ++i) {
    unsigned tag = (x.ftw >> (2 * i)) & 3;
    if (tag != 3) tag = classify_tag(x.r[i]);
    t = static_cast<uint16_t>(t | tag << (2 * i));
  }
  return t;
}

// Writes the environment in the guest's format; returns its size.
unsigned store_env(const Engine& e, unsigned opsize, uint8_t* b) {
  const X87State& x = e.s.x87;
  const uint16_t ftw = full_tags(x);
  const bool real = real_format(e);
  const uint32_t ip = real ? static_cast<uint32_t>((x.fcs << 4) + x.fip) : static_cast<uint32_t>(x.fip);
  const uint32_t dp = real ? static_cast<uint32_t>((x.fds << 4) + x.fdp) : static_cast<uint32_t>(x.fdp);
  const uint32_t fop = x.fop & 0x7ff;
  if (opsize == 2) {
    put16(b + 0, x.fcw);
    put16(b + 2, x.fsw);
    put16(b + 4, ftw);
    put16(b + 6, ip);
    put16(b + 8, real ? ((ip >> 16) & 0xf) << 12 | fop : x.fcs);
    put16(b + 10, dp);
    put16(b + 12, real ? ((dp >> 16) & 0xf) << 12 : x.fds);
    return 14;
  }
  put32(b + 0, 0xffff0000u | x.fcw);
  put32(b + 4, 0xffff0000u | x.fsw);
  put32(b + 8, 0xffff0000u | ftw);
  if (real) {
    put32(b + 12, 0xffff0000u | (ip & 0xffff));
    put32(b + 16, (ip >> 16) << 12 | fop);
    put32(b + 20, 0xffff0000u | (dp & 0xffff));
    put32(b + 24, (dp >> 16) << 12);
  } else {
    put32(b + 12, ip);
    put32(b + 16, x.fcs | fop << 16);
    put32(b + 20, dp);
    put32(b + 24, 0xffff0000u | x.fds);
  }
  return 28;
}

// Reads the environment in the guest's format into `x` (tags still raw).
unsigned load_env(const Engine& e, unsigned opsize, const uint8_t* b, X87State& x) {
  const bool real = real_format(e);
  if (opsize == 2) {
    x.fcw = static_cast<uint16_t>(get16(b + 0));
    x.fsw = static_cast<uint16_t>(get16(b + 2));
    x.ftw = static_cast<uint16_t>(get16(b + 4));
    if (real) {
      x.fip = get16(b + 6) | (get16(b + 8) >> 12) << 16;
      x.fop = static_cast<uint16_t>(get16(b + 8) & 0x7ff);
      x.fdp = get16(b + 10) | (get16(b + 12) >> 12) << 16;
      x.fcs = x.fds = 0;
    } else {
      x.fip = get16(b + 6);
      x.fop = 0;  // the 16-bit protected format has no FOP: the host loads 0
      x.fcs = static_cast<uint16_t>(get16(b + 8));
      x.fdp = get16(b + 10);
      x.fds = static_cast<uint16_t>(get16(b + 12));
    }
    return 14;
  }
  x.fcw = static_cast<uint16_t>(get32(b + 0));
  x.fsw = static_cast<uint16_t>(get32(b + 4));
  x.ftw = static_cast<uint16_t>(get32(b + 8));
  if (real) {
    x.fip = (get32(b + 12) & 0xffff) | ((get32(b + 16) >> 12) & 0xffff) << 16;
    x.fop = static_cast<uint16_t>(get32(b + 16) & 0x7ff);
    x.fdp = (get32(b + 20) & 0xffff) | ((get32(b + 24) >> 12) & 0xffff) << 16;
    x.fcs = x.fds = 0;
  } else {
    x.fip = get32(b + 12);
    x.fcs = static_cast<uint16_t>(get32(b + 16));
    x.fop = static_cast<uint16_t>((get32(b + 16) >> 16) & 0x7ff);
    x.fdp = get32(b + 20);
    x.fds = static_cast<uint16_t>(get32(b + 24));
  }
  return 28;
}

// FSW.ES (and B, its 8087-compatible mirror) follow the unmasked exception
// flags whenever FCW or FSW is loaded as a whole (checked against the host by
// tests/isa/x87_diff_test.cc).
void recompute_es(X87State& x) {
  const bool es = x.fsw & ~x.fcw & kFswExc;
  x.fsw = static_cast<uint16_t>((x.fsw & ~(kFswES | kFswB)) | (es ? kFswES | kFswB : 0));
}

void fninit_state(X87State& x) {
  x.fcw = 0x037f;
  x.fsw = 0;
  x.ftw = 0xffff;
  x.fip = x.fdp = 0;
  x.fop = x.fcs = x.fds = 0;
}

void fninit(Engine& e, const DecodedInsn&) {
  check_nm(e, false);
  fninit_state(e.s.x87);
}

void fnclex(Engine& e, const DecodedInsn&) {
  check_nm(e, false);
  e.s.x87.fsw &= static_cast<uint16_t>(~(kFswExc | kFswSF | kFswES | kFswB));
}

void fnstsw(Engine& e, const DecodedInsn& d) {
  check_nm(e, false);
  if (d.op[0].kind == OpKind::kReg)
    e.set_gpr<uint16_t>(RAX, e.s.x87.fsw);
  else
    e.write<uint16_t>(e.mem_linear(d, 2, true), e.s.x87.fsw);
}

void fnstcw(Engine& e, const DecodedInsn& d) {
  check_nm(e, false);
  e.write<uint16_t>(e.mem_linear(d, 2, true), e.s.x87.fcw);
}

void fnstenv_or_fnsave(Engine& e, const DecodedInsn& d, bool save) {
  check_nm(e, false);
  uint8_t b[108];
  unsigned n = store_env(e, d.opsize, b);
  if (save) {
    const X87State& x = e.s.x87;
    for (unsigned i = 0; i < 8; ++i) {
      const Float80& r = x.r[(x.top() + i) & 7];
      std::memcpy(b + n + 10 * i, &r.signif, 8);
      std::memcpy(b + n + 10 * i + 8, &r.sign_exp, 2);
    }
    n += 80;
  }
  const uint64_t la = e.mem_linear(d, n, true);
  e.probe_write(la, n);
  write_bytes(e, la, b, n);
  if (save)
    fninit_state(e.s.x87);  // FNSAVE then initialises the FPU (SDM Vol. 2A FSAVE)
  else {
    e.s.x87.fcw |= kFswExc;  // FNSTENV masks every exception (SDM Vol. 2A FSTENV),
    recompute_es(e.s.x87);   // which clears ES and B (as the host does)
  }
}
void fnstenv(Engine& e, const DecodedInsn& d) { fnstenv_or_fnsave(e, d, false); }
void fnsave(Engine& e, const DecodedInsn& d) { fnstenv_or_fnsave(e, d, true); }

void fldenv_or_frstor(Engine& e, const DecodedInsn& d, bool rstor) {
  check_nm(e, false);
  pending_ignored(e);  // a waiting instruction; loading a new FSW replaces what was pending
  const unsigned env = d.opsize == 2 ? 14 : 28;
  const unsigned n = rstor ? env + 80 : env;
  uint8_t b[108];
  read_bytes(e, e.mem_linear(d, n, false), b, n);
  X87State x = e.s.x87;
  load_env(e, d.opsize, b, x);
  if (rstor)
    for (unsigned i = 0; i < 8; ++i) {
      Float80& r = x.r[(x.top() + i) & 7];
      std::memcpy(&r.signif, b + env + 10 * i, 8);
      std::memcpy(&r.sign_exp, b + env + 10 * i + 8, 2);
    }
  // Only "empty" is taken from the tag word loaded (SDM Vol. 1 8.1.7).
  x.ftw = full_tags(x);
  // As the hardware does: FCW bit 6 reads as 1 and bits 15:13 as 0; ES and
  // B are recomputed. An unmasked flag loaded this way is pending (#MF at
  // the next waiting instruction).
  x.fcw = static_cast<uint16_t>((x.fcw & 0x1f3f) | 0x40);
  recompute_es(x);
  e.s.x87 = x;
}
void fldenv(Engine& e, const DecodedInsn& d) { fldenv_or_frstor(e, d, false); }
void frstor(Engine& e, const DecodedInsn& d) { fldenv_or_frstor(e, d, true); }

// WAIT/FWAIT: #NM only when CR0.MP and CR0.TS are both set (SDM Vol. 3
// Table 2-2); then a pending unmasked exception is reported.
void fwait(Engine& e, const DecodedInsn&) {
  if ((e.s.cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) raise(kNM);
  pending_ignored(e);
}

// FNENI/FNDISI (8087) and FNSETPM (287) are NOPs on later processors.
void legacy_nop(Engine& e, const DecodedInsn&) { check_nm(e, false); }

}  // namespace

void register_control(isa::BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_FNINIT, HVSIM_PLAIN(fninit), timing::k_x87_control);
  t.add(ZYDIS_MNEMONIC_FNCLEX, HVSIM_PLAIN(fnclex), timing::k_x87_control);
  t.add(ZYDIS_MNEMONIC_FNSTSW, HVSIM_PLAIN(fnstsw), timing::k_x87_control);
  t.add(ZYDIS_MNEMONIC_FNSTCW, HVSIM_PLAIN(fnstcw), timing::k_x87_control);
  t.add(ZYDIS_MNEMONIC_FLDCW, &bind_host, timing::k_x87_control);
  t.add(ZYDIS_MNEMONIC_FNOP, &bind_host, timing::k_x87_control);
  t.add(ZYDIS_MNEMONIC_FWAIT, HVSIM_PLAIN(fwait), timing::k_x87_control);
  t.add(ZYDIS_MNEMONIC_FNSTENV, HVSIM_PLAIN(fnstenv), timing::k_x87_env);
  t.add(ZYDIS_MNEMONIC_FLDENV, HVSIM_PLAIN(fldenv), timing::k_x87_env);
  t.add(ZYDIS_MNEMONIC_FNSAVE, HVSIM_PLAIN(fnsave), timing::k_x87_env);
  t.add(ZYDIS_MNEMONIC_FRSTOR, HVSIM_PLAIN(frstor), timing::k_x87_env);
  for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FENI8087_NOP, ZYDIS_MNEMONIC_FDISI8087_NOP,
                          ZYDIS_MNEMONIC_FSETPM287_NOP})
    t.add(m, HVSIM_PLAIN(legacy_nop), timing::k_x87_control);
}

}  // namespace x87

namespace isa {

void register_x87(BinderTable& t) {
  x87::register_load_store(t);
  x87::register_arith(t);
  x87::register_compare(t);
  x87::register_transcendental(t);
  x87::register_control(t);
}

}  // namespace isa
}  // namespace hvsim::core
