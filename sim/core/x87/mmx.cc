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
// (none yet: #UD). EMMS, PSHUFW, MOVNTQ and MASKMOVQ exist only for MMX
// registers (MASKMOVDQU is the XMM one).
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

// MASKMOVQ mm1, mm2 (SDM Vol. 2B): stores each byte of MM1 whose byte in MM2
// has its top bit set to DS:rDI (a segment override applies); the
// non-temporal hint has no effect. Done here rather than on the host because
// its memory operand is implicit. No byte is stored unless every selected
// byte can be (the write is probed first).
void maskmovq(Engine& e, const DecodedInsn& d) {
  x87::check_nm(e, true);
  x87::pending_ignored(e);
  X87State& x = e.s.x87;
  const uint64_t data = x.r[d.op[0].reg].signif, mask = x.r[d.op[1].reg].signif;
  const uint64_t la = e.linear(d.mem.seg, Engine::mask_addr(e.s.gpr[RDI], d.addrsize), 8, true);
  if (mask & 0x8080808080808080ull) e.probe_write(la, 8);
  for (unsigned i = 0; i < 8; ++i)
    if ((mask >> (8 * i + 7)) & 1) e.write<uint8_t>(la + i, static_cast<uint8_t>(data >> (8 * i)));
  // Every MMX instruction: TOP = 0 and every register tagged non-empty
  // (SDM Vol. 1 9.5.1; hvsim keeps the tags as FNSAVE reports them).
  x.fsw &= static_cast<uint16_t>(~0x3800);
  uint16_t tags = 0;
  for (unsigned i = 0; i < 8; ++i) tags = static_cast<uint16_t>(tags | x87::classify_tag(x.r[i]) << (2 * i));
  x.ftw = tags;
}

void bind_maskmovq(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                   DecodedInsn& d) {
  if (!has_mmx_operand(zi, ops)) return;
  d.mem.seg = DS;
  for (unsigned i = 0; i < zi.operand_count; ++i)
    if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].mem.segment != ZYDIS_REGISTER_NONE)
      d.mem.seg = static_cast<uint8_t>(ZydisRegisterGetId(ops[i].mem.segment));
  d.exec = &maskmovq;
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
  t.add(ZYDIS_MNEMONIC_MASKMOVQ, &bind_maskmovq, timing::k_mmx);
  for (ZydisMnemonic m : kShared) g_other[m] = t.replace(m, &bind_shared, timing::k_mmx);
  for (ZydisMnemonic m : kSharedMul) g_other[m] = t.replace(m, &bind_shared, timing::k_mmx_mul);
}

}  // namespace hvsim::core::isa
