// Registration of the VMX instructions with a core's decoder.
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::core::isa {
class BinderTable;
}

namespace hvsim::vmx {

void register_insns(core::isa::BinderTable& t);
// VM-exit instruction information (SDM Vol. 3 28.2.5, Tables 28-12..28-14).
uint32_t vmx_insn_info(const core::Engine& e, const core::DecodedInsn& d, unsigned reg1,
                       unsigned reg2, bool is_reg);

}  // namespace hvsim::vmx
