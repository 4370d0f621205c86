// Decimal arithmetic adjustments (SDM Vol. 2): AAA AAS DAA DAS AAM AAD. All
// are invalid in 64-bit mode (#UD). Flags the SDM leaves undefined: SF, ZF
// and PF follow the final AL, OF and (for AAM/AAD) AF and CF are cleared.
// Registered from register_arith (this family has no registration slot of its own).
#include "sim/core/isa/flags.h"
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

inline uint8_t al(const Engine& e) { return static_cast<uint8_t>(e.s.gpr[RAX]); }
inline uint8_t ah(const Engine& e) { return static_cast<uint8_t>(e.s.gpr[RAX] >> 8); }

void exec_aaa(Engine& e, const DecodedInsn&) {
  if (e.long64()) raise(kUD);
  uint16_t ax = static_cast<uint16_t>(e.s.gpr[RAX]);
  uint64_t f = 0;
  if ((ax & 0xf) > 9 || (e.s.rflags & AF)) {
    ax = static_cast<uint16_t>(ax + 0x106);
    f = AF | CF;
  }
  ax &= 0xff0f;
  e.set_gpr<uint16_t>(RAX, ax);
  flags::merge(e.s.rflags, kArithFlags, f | flags::zf_sf_pf<uint8_t>(static_cast<uint8_t>(ax)));
}

void exec_aas(Engine& e, const DecodedInsn&) {
  if (e.long64()) raise(kUD);
  uint16_t ax = static_cast<uint16_t>(e.s.gpr[RAX]);
  uint64_t f = 0;
  if ((ax & 0xf) > 9 || (e.s.rflags & AF)) {
    ax = static_cast<uint16_t>(ax - 6);
    ax = static_cast<uint16_t>(ax - 0x100);  // AH = AH - 1
    f = AF | CF;
  }
  ax &= 0xff0f;
  e.set_gpr<uint16_t>(RAX, ax);
  flags::merge(e.s.rflags, kArithFlags, f | flags::zf_sf_pf<uint8_t>(static_cast<uint8_t>(ax)));
}

template <bool sub>
void exec_daa(Engine& e, const DecodedInsn&) {
  if (e.long64()) raise(kUD);
  const uint8_t old_al = al(e);
  const bool old_cf = e.s.rflags & CF;
  uint8_t a = old_al;
  bool cf = false, af = false;
  if ((a & 0xf) > 9 || (e.s.rflags & AF)) {
    cf = old_cf || (sub ? a < 6 : a > 0xff - 6);
    a = static_cast<uint8_t>(sub ? a - 6 : a + 6);
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    a = static_cast<uint8_t>(sub ? a - 0x60 : a + 0x60);
    cf = true;
  } else if (!sub) {
    cf = false;  // DAA clears CF here; DAS keeps the CF of the low-digit step
  }
  e.set_gpr<uint8_t>(RAX, a);
  uint64_t f = flags::zf_sf_pf<uint8_t>(a) | (cf ? CF : 0) | (af ? AF : 0);
  flags::merge(e.s.rflags, kArithFlags, f);
}

void exec_aam(Engine& e, const DecodedInsn& d) {
  if (e.long64()) raise(kUD);
  uint8_t base = static_cast<uint8_t>(d.imm);
  if (base == 0) raise(kDE);
  uint8_t a = al(e);
  uint8_t q = static_cast<uint8_t>(a / base), r = static_cast<uint8_t>(a % base);
  e.set_gpr<uint16_t>(RAX, static_cast<uint16_t>(q << 8 | r));
  flags::merge(e.s.rflags, kArithFlags, flags::zf_sf_pf<uint8_t>(r));
}

void exec_aad(Engine& e, const DecodedInsn& d) {
  if (e.long64()) raise(kUD);
  uint8_t base = static_cast<uint8_t>(d.imm);
  uint8_t r = static_cast<uint8_t>(al(e) + ah(e) * base);
  e.set_gpr<uint16_t>(RAX, r);
  flags::merge(e.s.rflags, kArithFlags, flags::zf_sf_pf<uint8_t>(r));
}

}  // namespace

void register_bcd(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_AAA, HVSIM_PLAIN(exec_aaa), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_AAS, HVSIM_PLAIN(exec_aas), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_DAA, HVSIM_PLAIN(exec_daa<false>), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_DAS, HVSIM_PLAIN(exec_daa<true>), timing::k_alu);
  t.add(ZYDIS_MNEMONIC_AAM, HVSIM_PLAIN(exec_aam), timing::k_mul);
  t.add(ZYDIS_MNEMONIC_AAD, HVSIM_PLAIN(exec_aad), timing::k_mul);
}

}  // namespace hvsim::core::isa
