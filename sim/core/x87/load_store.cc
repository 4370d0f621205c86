// x87 data transfer (SDM Vol. 1 8.3.3, 8.3.4): FLD/FST/FSTP (m32, m64, m80,
// ST(i)), FILD/FIST/FISTP (m16, m32, m64), FISTTP (SSE3), FBLD/FBSTP, the
// constants (8.3.5), FXCH, FCMOVcc (with CF/ZF/PF), FFREE/FFREEP,
// FINCSTP/FDECSTP. All run on the host FPU (hostrun.cc): conversions,
// rounding by FCW.RC/PC, stack overflow/underflow (IE+SF, C1), the masked
// and unmasked responses and the "no store on unmasked IE/OE/UE" rule are
// the hardware's.
#include "sim/core/x87/x87.h"

namespace hvsim::core::x87 {

void register_load_store(isa::BinderTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_FLD, ZYDIS_MNEMONIC_FST, ZYDIS_MNEMONIC_FSTP, ZYDIS_MNEMONIC_FSTPNCE,
        ZYDIS_MNEMONIC_FILD, ZYDIS_MNEMONIC_FIST, ZYDIS_MNEMONIC_FISTP, ZYDIS_MNEMONIC_FISTTP,
        ZYDIS_MNEMONIC_FBLD, ZYDIS_MNEMONIC_FBSTP, ZYDIS_MNEMONIC_FLD1, ZYDIS_MNEMONIC_FLDZ,
        ZYDIS_MNEMONIC_FLDPI, ZYDIS_MNEMONIC_FLDL2E, ZYDIS_MNEMONIC_FLDL2T,
        ZYDIS_MNEMONIC_FLDLG2, ZYDIS_MNEMONIC_FLDLN2, ZYDIS_MNEMONIC_FXCH,
        ZYDIS_MNEMONIC_FFREE, ZYDIS_MNEMONIC_FFREEP, ZYDIS_MNEMONIC_FINCSTP,
        ZYDIS_MNEMONIC_FDECSTP, ZYDIS_MNEMONIC_FCMOVB, ZYDIS_MNEMONIC_FCMOVBE,
        ZYDIS_MNEMONIC_FCMOVE, ZYDIS_MNEMONIC_FCMOVNB, ZYDIS_MNEMONIC_FCMOVNBE,
        ZYDIS_MNEMONIC_FCMOVNE, ZYDIS_MNEMONIC_FCMOVNU, ZYDIS_MNEMONIC_FCMOVU})
    add_host(t, m, timing::k_x87_move);
}

}  // namespace hvsim::core::x87
