// MMX technology (SDM Vol. 1 ch. 9) and the MMX-register forms added by SSE,
// SSE2 and SSSE3 (PSHUFW, PMINUB, PAVGB, PSADBW, PMOVMSKB, PEXTRW, PINSRW,
// MOVNTQ, PADDQ, PMULUDQ, PSHUFB, PALIGNR, PHADDW, ...). They run on the
// host like the x87 instructions (hostrun.cc), so the architectural side
// effects on the x87 state (SDM Vol. 1 9.5.1: TOP = 0 and every tag valid
// after any MMX instruction, bits 79:64 of the register set to 1s when an
// MMX register is written; EMMS empties every tag) are the hardware's. They
// check for a pending x87 exception (#MF) like waiting x87 instructions;
// CR0.EM = 1 makes them #UD, CR0.TS = 1 #NM (SDM Vol. 3 Table 2-2).
//
// Most of these mnemonics also have XMM forms (PADDB xmm, ...), which the
// SSE family binds. A mnemonic has one binder, so the MMX family installs a
// small dispatcher with BinderTable::replace: MMX-register forms are bound
// here, every other form goes to the binder that was registered before
// (none yet: #UD). EMMS, PSHUFW and MOVNTQ exist only for MMX registers.
#include "sim/core/x87/x87.h"

namespace hvsim::core::isa {

namespace {

Binder g_other[ZYDIS_MNEMONIC_MAX_VALUE + 1];  // the SSE binder of a shared mnemonic

bool has_mmx_operand(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops) {
  for (unsigned i = 0; i < zi.operand_count_visible; ++i)
    if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        ZydisRegisterGetClass(ops[i].reg.value) == ZYDIS_REGCLASS_MMX)
      return true;
  return false;
}

void bind_shared(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                 DecodedInsn& d) {
  if (has_mmx_operand(zi, ops)) {
    x87::bind_host(zi, ops, d);
    return;
  }
  const Binder& other = g_other[zi.mnemonic];
  if (!other.bind) return;  // #UD
  d.tclass = other.tclass;
  if (other.ends_block) d.flags |= kEndsBlock;
  other.bind(zi, ops, d);
}

void bind_mmx_only(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                   DecodedInsn& d) {
  if (zi.mnemonic == ZYDIS_MNEMONIC_EMMS || has_mmx_operand(zi, ops)) x87::bind_host(zi, ops, d);
}

constexpr ZydisMnemonic kShared[] = {
    ZYDIS_MNEMONIC_MOVD,      ZYDIS_MNEMONIC_MOVQ,      ZYDIS_MNEMONIC_PACKSSWB,
    ZYDIS_MNEMONIC_PACKSSDW,  ZYDIS_MNEMONIC_PACKUSWB,  ZYDIS_MNEMONIC_PADDB,
    ZYDIS_MNEMONIC_PADDW,     ZYDIS_MNEMONIC_PADDD,     ZYDIS_MNEMONIC_PADDQ,
    ZYDIS_MNEMONIC_PADDSB,    ZYDIS_MNEMONIC_PADDSW,    ZYDIS_MNEMONIC_PADDUSB,
    ZYDIS_MNEMONIC_PADDUSW,   ZYDIS_MNEMONIC_PAND,      ZYDIS_MNEMONIC_PANDN,
    ZYDIS_MNEMONIC_POR,       ZYDIS_MNEMONIC_PXOR,      ZYDIS_MNEMONIC_PCMPEQB,
    ZYDIS_MNEMONIC_PCMPEQW,   ZYDIS_MNEMONIC_PCMPEQD,   ZYDIS_MNEMONIC_PCMPGTB,
    ZYDIS_MNEMONIC_PCMPGTW,   ZYDIS_MNEMONIC_PCMPGTD,   ZYDIS_MNEMONIC_PSLLW,
    ZYDIS_MNEMONIC_PSLLD,     ZYDIS_MNEMONIC_PSLLQ,     ZYDIS_MNEMONIC_PSRAW,
    ZYDIS_MNEMONIC_PSRAD,     ZYDIS_MNEMONIC_PSRLW,     ZYDIS_MNEMONIC_PSRLD,
    ZYDIS_MNEMONIC_PSRLQ,     ZYDIS_MNEMONIC_PSUBB,     ZYDIS_MNEMONIC_PSUBW,
    ZYDIS_MNEMONIC_PSUBD,     ZYDIS_MNEMONIC_PSUBQ,     ZYDIS_MNEMONIC_PSUBSB,
    ZYDIS_MNEMONIC_PSUBSW,    ZYDIS_MNEMONIC_PSUBUSB,   ZYDIS_MNEMONIC_PSUBUSW,
    ZYDIS_MNEMONIC_PUNPCKHBW, ZYDIS_MNEMONIC_PUNPCKHWD, ZYDIS_MNEMONIC_PUNPCKHDQ,
    ZYDIS_MNEMONIC_PUNPCKLBW, ZYDIS_MNEMONIC_PUNPCKLWD, ZYDIS_MNEMONIC_PUNPCKLDQ,
    ZYDIS_MNEMONIC_PAVGB,     ZYDIS_MNEMONIC_PAVGW,     ZYDIS_MNEMONIC_PEXTRW,
    ZYDIS_MNEMONIC_PINSRW,    ZYDIS_MNEMONIC_PMAXSW,    ZYDIS_MNEMONIC_PMAXUB,
    ZYDIS_MNEMONIC_PMINSW,    ZYDIS_MNEMONIC_PMINUB,    ZYDIS_MNEMONIC_PMOVMSKB,
    ZYDIS_MNEMONIC_PABSB,     ZYDIS_MNEMONIC_PABSW,     ZYDIS_MNEMONIC_PABSD,
    ZYDIS_MNEMONIC_PALIGNR,   ZYDIS_MNEMONIC_PHADDW,    ZYDIS_MNEMONIC_PHADDD,
    ZYDIS_MNEMONIC_PHADDSW,   ZYDIS_MNEMONIC_PHSUBW,    ZYDIS_MNEMONIC_PHSUBD,
    ZYDIS_MNEMONIC_PHSUBSW,   ZYDIS_MNEMONIC_PSHUFB,    ZYDIS_MNEMONIC_PSIGNB,
    ZYDIS_MNEMONIC_PSIGNW,    ZYDIS_MNEMONIC_PSIGND,
};
constexpr ZydisMnemonic kSharedMul[] = {
    ZYDIS_MNEMONIC_PMADDWD,   ZYDIS_MNEMONIC_PMULHW,   ZYDIS_MNEMONIC_PMULLW,
    ZYDIS_MNEMONIC_PMULHUW,   ZYDIS_MNEMONIC_PMULUDQ,  ZYDIS_MNEMONIC_PSADBW,
    ZYDIS_MNEMONIC_PMADDUBSW, ZYDIS_MNEMONIC_PMULHRSW,
};

}  // namespace

void register_mmx(BinderTable& t) {
  t.add(ZYDIS_MNEMONIC_EMMS, &bind_mmx_only, timing::k_mmx);
  t.add(ZYDIS_MNEMONIC_PSHUFW, &bind_mmx_only, timing::k_mmx);
  t.add(ZYDIS_MNEMONIC_MOVNTQ, &bind_mmx_only, timing::k_mmx);
  for (ZydisMnemonic m : kShared) g_other[m] = t.replace(m, &bind_shared, timing::k_mmx);
  for (ZydisMnemonic m : kSharedMul) g_other[m] = t.replace(m, &bind_shared, timing::k_mmx_mul);
}

}  // namespace hvsim::core::isa
