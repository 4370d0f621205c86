// x87 transcendental instructions (SDM Vol. 1 8.3.10-8.3.11): FSIN, FCOS,
// FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 (FSCALE and FPREM/FPREM1 are
// with the arithmetic in arith.cc). Their results are not specified bit for
// bit by the architecture: Intel and AMD parts differ in the last bits and
// in the argument reduction of FSIN/FCOS/FPTAN (the 66-bit pi of SDM Vol. 1
// 8.3.10). They run on the host FPU, so a run reproduces the host's results
// (and C2 for out-of-range arguments); results from different host vendors
// can differ, like the hardware does.
#include "sim/core/x87/x87.h"

namespace hvsim::core::x87 {

void register_transcendental(isa::BinderTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_FSIN, ZYDIS_MNEMONIC_FCOS, ZYDIS_MNEMONIC_FSINCOS, ZYDIS_MNEMONIC_FPTAN,
        ZYDIS_MNEMONIC_FPATAN, ZYDIS_MNEMONIC_F2XM1, ZYDIS_MNEMONIC_FYL2X,
        ZYDIS_MNEMONIC_FYL2XP1})
    add_host(t, m, timing::k_x87_trans);
}

}  // namespace hvsim::core::x87
