// Flag instructions: CLC, STC, CMC, CLD, STD, LAHF, SAHF (SDM Vol. 2), SALC.
// CLI and STI depend on privilege and belong to the system family.
#include "sim/core/isa/isa.h"

namespace hvsim::core::isa {

namespace {

void clc(Engine& e, const DecodedInsn&) { e.s.rflags &= ~CF; }
void stc(Engine& e, const DecodedInsn&) { e.s.rflags |= CF; }
void cmc(Engine& e, const DecodedInsn&) { e.s.rflags ^= CF; }
void cld(Engine& e, const DecodedInsn&) { e.s.rflags &= ~DF; }
void std_(Engine& e, const DecodedInsn&) { e.s.rflags |= DF; }

// LAHF: AH <- SF:ZF:0:AF:0:PF:1:CF.
void lahf(Engine& e, const DecodedInsn&) {
  uint8_t ah = static_cast<uint8_t>((e.s.rflags & (SF | ZF | AF | PF | CF)) | 0x2);
  e.set_gpr<uint8_t>(RAX, ah, true);
}

// SAHF: SF, ZF, AF, PF, CF <- AH.
void sahf(Engine& e, const DecodedInsn&) {
  uint64_t ah = (e.s.gpr[RAX] >> 8) & (SF | ZF | AF | PF | CF);
  e.s.rflags = (e.s.rflags & ~static_cast<uint64_t>(SF | ZF | AF | PF | CF)) | ah;
}

// SALC (D6h, undocumented; #UD in 64-bit mode, which Zydis decodes as
// invalid): AL <- CF ? FFh : 00h, flags unchanged.
void salc(Engine& e, const DecodedInsn&) {
  e.set_gpr<uint8_t>(RAX, (e.s.rflags & CF) ? 0xff : 0x00);
}

}  // namespace

void register_flags(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_CLC, HVSIM_PLAIN(clc), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_STC, HVSIM_PLAIN(stc), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_CMC, HVSIM_PLAIN(cmc), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_CLD, HVSIM_PLAIN(cld), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_STD, HVSIM_PLAIN(std_), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_LAHF, HVSIM_PLAIN(lahf), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_SAHF, HVSIM_PLAIN(sahf), timing::k_flags);
  t.add(ZYDIS_MNEMONIC_SALC, HVSIM_PLAIN(salc), timing::k_flags);
}

}  // namespace hvsim::core::isa
