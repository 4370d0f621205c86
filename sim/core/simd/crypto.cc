// AES-NI and PCLMULQDQ (SDM Vol. 2A AESENC..., PCLMULQDQ), legacy and VEX.128
// forms, run on the host (hostop.cc).
#include "sim/core/simd/simd.h"

namespace hvsim::core::simd {

namespace {

#define M(x) ZYDIS_MNEMONIC_##x
const ZydisMnemonic kCrypto[] = {
    M(AESDEC), M(AESDECLAST), M(AESENC), M(AESENCLAST), M(AESIMC), M(AESKEYGENASSIST),
    M(PCLMULQDQ), M(VAESDEC), M(VAESDECLAST), M(VAESENC), M(VAESENCLAST), M(VAESIMC),
    M(VAESKEYGENASSIST), M(VPCLMULQDQ),
};
#undef M

}  // namespace

void register_crypto(isa::BinderTable& t) {
  register_list(t, kCrypto, sizeof kCrypto / sizeof kCrypto[0], &classify);
}

unsigned crypto_mnemonics() { return sizeof kCrypto / sizeof kCrypto[0]; }

}  // namespace hvsim::core::simd
