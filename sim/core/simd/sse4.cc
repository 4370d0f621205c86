// SSE3, SSSE3, SSE4.1 and SSE4.2 (SDM Vol. 1 12.x): every XMM form runs on
// the host (hostop.cc); CRC32 on GPRs is computed here (SDM Vol. 2A CRC32:
// the CRC-32C polynomial 11EDC6F41H, bit-reflected, no inversion). POPCNT
// is in isa/bits.cc.
#include "sim/core/simd/simd.h"

namespace hvsim::core::simd {

namespace {

#define M(x) ZYDIS_MNEMONIC_##x
const ZydisMnemonic kSse4[] = {
    M(ADDSUBPD), M(ADDSUBPS), M(BLENDPD), M(BLENDPS), M(BLENDVPD), M(BLENDVPS), M(DPPD),
    M(DPPS), M(EXTRACTPS), M(HADDPD), M(HADDPS), M(HSUBPD), M(HSUBPS), M(INSERTPS), M(LDDQU),
    M(MOVDDUP), M(MOVNTDQA), M(MOVSHDUP), M(MOVSLDUP), M(MPSADBW), M(PABSB), M(PABSD),
    M(PABSW), M(PACKUSDW), M(PALIGNR), M(PBLENDVB), M(PBLENDW), M(PCMPEQQ), M(PCMPESTRI),
    M(PCMPESTRM), M(PCMPGTQ), M(PCMPISTRI), M(PCMPISTRM), M(PEXTRB), M(PEXTRD), M(PEXTRQ),
    M(PEXTRW), M(PHADDD), M(PHADDSW), M(PHADDW), M(PHMINPOSUW), M(PHSUBD), M(PHSUBSW),
    M(PHSUBW), M(PINSRB), M(PINSRD), M(PINSRQ), M(PMADDUBSW), M(PMAXSB), M(PMAXSD), M(PMAXUD),
    M(PMAXUW), M(PMINSB), M(PMINSD), M(PMINUD), M(PMINUW), M(PMOVSXBD), M(PMOVSXBQ),
    M(PMOVSXBW), M(PMOVSXDQ), M(PMOVSXWD), M(PMOVSXWQ), M(PMOVZXBD), M(PMOVZXBQ), M(PMOVZXBW),
    M(PMOVZXDQ), M(PMOVZXWD), M(PMOVZXWQ), M(PMULDQ), M(PMULHRSW), M(PMULLD), M(PSHUFB),
    M(PSIGNB), M(PSIGND), M(PSIGNW), M(PTEST), M(ROUNDPD), M(ROUNDPS), M(ROUNDSD), M(ROUNDSS),
};
#undef M

uint32_t crc32c_byte(uint32_t crc, uint8_t b) {
  crc ^= b;
  for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
  return crc;
}

template <typename T>
void crc32(Engine& e, const DecodedInsn& d) {
  const T src = e.read_op<T>(d, 1);
  uint32_t crc = static_cast<uint32_t>(e.s.gpr[d.op[0].reg]);
  for (unsigned i = 0; i < sizeof(T); ++i) crc = crc32c_byte(crc, static_cast<uint8_t>(src >> (8 * i)));
  e.s.gpr[d.op[0].reg] = crc;  // 32-bit and 64-bit destinations are both zero-extended
}

void bind_crc32(const ZydisDecodedInstruction&, const ZydisDecodedOperand*, DecodedInsn& d) {
  if (d.nops != 2 || d.op[0].kind != OpKind::kReg || d.op[0].rclass != RegClass::kGpr) return;
  d.exec = HVSIM_BY_SIZE(crc32, d.op[1].size);
}

}  // namespace

void register_sse4(isa::BinderTable& t) {
  register_list(t, kSse4, sizeof kSse4 / sizeof kSse4[0], &classify);
  t.add(ZYDIS_MNEMONIC_CRC32, &bind_crc32, timing::k_simd_string);
}

unsigned sse4_mnemonics() { return sizeof kSse4 / sizeof kSse4[0] + 1; }

}  // namespace hvsim::core::simd
