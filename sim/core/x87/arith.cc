// x87 basic arithmetic (SDM Vol. 1 8.3.6-8.3.9): FADD/FSUB/FSUBR/FMUL/FDIV/
// FDIVR in their ST(0)/ST(i), m32/m64, pop (P) and integer (I) forms, FABS,
// FCHS, FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM, FPREM1. Run on the host FPU
// with the guest's FCW: precision control (24/53/64 bits), rounding control,
// denormal, underflow, overflow and precision flags, and the bias-adjusted
// results of unmasked overflow/underflow to a register (SDM Vol. 1 8.5.4,
// 8.5.5) come from the hardware.
#include "sim/core/x87/x87.h"

namespace hvsim::core::x87 {

void register_arith(isa::BinderTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FIADD, ZYDIS_MNEMONIC_FSUB,
        ZYDIS_MNEMONIC_FSUBP, ZYDIS_MNEMONIC_FISUB, ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FSUBRP,
        ZYDIS_MNEMONIC_FISUBR, ZYDIS_MNEMONIC_FMUL, ZYDIS_MNEMONIC_FMULP, ZYDIS_MNEMONIC_FIMUL,
        ZYDIS_MNEMONIC_FABS, ZYDIS_MNEMONIC_FCHS, ZYDIS_MNEMONIC_FRNDINT, ZYDIS_MNEMONIC_FSCALE,
        ZYDIS_MNEMONIC_FXTRACT})
    add_host(t, m, timing::k_x87_arith);
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FDIVP, ZYDIS_MNEMONIC_FIDIV, ZYDIS_MNEMONIC_FDIVR,
        ZYDIS_MNEMONIC_FDIVRP, ZYDIS_MNEMONIC_FIDIVR, ZYDIS_MNEMONIC_FSQRT, ZYDIS_MNEMONIC_FPREM,
        ZYDIS_MNEMONIC_FPREM1})
    add_host(t, m, timing::k_x87_div);
}

}  // namespace hvsim::core::x87
