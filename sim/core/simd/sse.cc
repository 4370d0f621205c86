// SSE and SSE2 (SDM Vol. 1 chapters 10-11): every XMM form, run on the host
// (hostop.cc). MOVSD/CMPSD come through the string family (isa.h); LDMXCSR,
// STMXCSR and FXSAVE/FXRSTOR are state instructions (sys/xstate.cc); the
// prefetches and fences are in isa/misc.cc. MOVNTI is a GPR store with no
// CR0/CR4 gate (SDM Vol. 2B MOVNTI: no #NM).
#include "sim/core/simd/simd.h"

namespace hvsim::core::simd {

namespace {

#define M(x) ZYDIS_MNEMONIC_##x
const ZydisMnemonic kSse[] = {
    // SSE/SSE2 instructions on MMX registers (the MMX family's binder
    // takes them when there is one; else they run here, simd.h Gate::kMmx).
    M(CVTPI2PS), M(CVTPI2PD), M(CVTPS2PI), M(CVTTPS2PI), M(CVTPD2PI), M(CVTTPD2PI),
    M(MOVDQ2Q), M(MOVQ2DQ),  // PSHUFW, MOVNTQ, MASKMOVQ: the MMX family (x87/mmx.cc)
    M(ADDPD), M(ADDPS), M(ADDSD), M(ADDSS), M(ANDNPD), M(ANDNPS), M(ANDPD), M(ANDPS), M(CMPPD),
    M(CMPPS), M(CMPSS), M(COMISD), M(COMISS), M(CVTDQ2PD), M(CVTDQ2PS), M(CVTPD2DQ),
    M(CVTPD2PS), M(CVTPS2DQ), M(CVTPS2PD), M(CVTSD2SI), M(CVTSD2SS), M(CVTSI2SD), M(CVTSI2SS),
    M(CVTSS2SD), M(CVTSS2SI), M(CVTTPD2DQ), M(CVTTPS2DQ), M(CVTTSD2SI), M(CVTTSS2SI), M(DIVPD),
    M(DIVPS), M(DIVSD), M(DIVSS), M(MAXPD), M(MAXPS), M(MAXSD), M(MAXSS), M(MINPD), M(MINPS),
    M(MINSD), M(MINSS), M(MOVAPD), M(MOVAPS), M(MOVD), M(MOVDQA), M(MOVDQU), M(MOVHLPS),
    M(MOVHPD), M(MOVHPS), M(MOVLHPS), M(MOVLPD), M(MOVLPS), M(MOVMSKPD), M(MOVMSKPS),
    M(MOVNTDQ), M(MOVNTPD), M(MOVNTPS), M(MOVQ), M(MOVSS), M(MOVUPD), M(MOVUPS),
    M(MULPD), M(MULPS), M(MULSD), M(MULSS), M(ORPD), M(ORPS), M(PACKSSDW), M(PACKSSWB),
    M(PACKUSWB), M(PADDB), M(PADDD), M(PADDQ), M(PADDSB), M(PADDSW), M(PADDUSB), M(PADDUSW),
    M(PADDW), M(PAND), M(PANDN), M(PAVGB), M(PAVGW), M(PCMPEQB), M(PCMPEQD), M(PCMPEQW),
    M(PCMPGTB), M(PCMPGTD), M(PCMPGTW), M(PEXTRW), M(PINSRW), M(PMADDWD), M(PMAXSW), M(PMAXUB),
    M(PMINSW), M(PMINUB), M(PMOVMSKB), M(PMULHUW), M(PMULHW), M(PMULLW), M(PMULUDQ), M(POR),
    M(PSADBW), M(PSHUFD), M(PSHUFHW), M(PSHUFLW), M(PSLLD), M(PSLLQ), M(PSLLW), M(PSRAD),
    M(PSRAW), M(PSRLD), M(PSRLQ), M(PSRLW), M(PSUBB), M(PSUBD), M(PSUBQ), M(PSUBSB), M(PSUBSW),
    M(PSUBUSB), M(PSUBUSW), M(PSUBW), M(PUNPCKHBW), M(PUNPCKHDQ), M(PUNPCKHQDQ), M(PUNPCKHWD),
    M(PUNPCKLBW), M(PUNPCKLDQ), M(PUNPCKLQDQ), M(PUNPCKLWD), M(PXOR), M(RCPPS), M(RCPSS),
    M(RSQRTPS), M(RSQRTSS), M(SHUFPD), M(SHUFPS), M(SQRTPD), M(SQRTPS), M(SQRTSD), M(SQRTSS),
    M(SUBPD), M(SUBPS), M(SUBSD), M(SUBSS), M(UCOMISD), M(UCOMISS), M(UNPCKHPD), M(UNPCKHPS),
    M(UNPCKLPD), M(UNPCKLPS), M(XORPD), M(XORPS),
};
#undef M

void bind_movnti(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                 DecodedInsn& d) {
  bind_host(zi, ops, d, Gate::kNone);
}

}  // namespace

void register_sse(isa::BinderTable& t) {
  register_list(t, kSse, sizeof kSse / sizeof kSse[0], &classify);
  t.add(ZYDIS_MNEMONIC_MOVNTI, &bind_movnti, timing::k_move);
}

unsigned sse_mnemonics() { return sizeof kSse / sizeof kSse[0] + 3; }  // + MOVSD CMPSD MOVNTI

}  // namespace hvsim::core::simd
