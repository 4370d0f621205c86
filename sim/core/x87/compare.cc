// x87 comparison and classification (SDM Vol. 1 8.3.7, 8.1.4 Table 8-6,
// 8-7): FCOM/FCOMP/FCOMPP, FUCOM/FUCOMP/FUCOMPP, FICOM/FICOMP (m16, m32),
// FCOMI/FCOMIP/FUCOMI/FUCOMIP (result in ZF/PF/CF; OF, SF and AF cleared),
// FTST and FXAM (C3..C0 class codes, C1 = sign, including empty registers
// and unsupported formats). Run on the host FPU (hostrun.cc); the FCOMI
// forms carry the host's RFLAGS back to the guest.
#include "sim/core/x87/x87.h"

namespace hvsim::core::x87 {

void register_compare(isa::BinderTable& t) {
  for (ZydisMnemonic m :
       {ZYDIS_MNEMONIC_FCOM, ZYDIS_MNEMONIC_FCOMP, ZYDIS_MNEMONIC_FCOMPP, ZYDIS_MNEMONIC_FUCOM,
        ZYDIS_MNEMONIC_FUCOMP, ZYDIS_MNEMONIC_FUCOMPP, ZYDIS_MNEMONIC_FICOM,
        ZYDIS_MNEMONIC_FICOMP, ZYDIS_MNEMONIC_FCOMI, ZYDIS_MNEMONIC_FCOMIP,
        ZYDIS_MNEMONIC_FUCOMI, ZYDIS_MNEMONIC_FUCOMIP, ZYDIS_MNEMONIC_FTST, ZYDIS_MNEMONIC_FXAM})
    add_host(t, m, timing::k_x87_compare);
}

}  // namespace hvsim::core::x87
