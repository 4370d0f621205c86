// What the timing models need to know about an instruction that is fixed at
// decode: the registers and flags it reads and writes (explicit and implicit
// operands), the registers that form its addresses, its branch kind, and
// whether it serializes or fences. Computed once from Zydis's operand and
// flag tables; the decoder keeps it in DecodedInsn and the engine copies it
// into each RetireInfo.
#pragma once

#include <cstdint>

#include <Zydis/Zydis.h>

#include "sim/timing/retire_info.h"

namespace hvsim::timing {

// RegMask bit of a Zydis register (any width: AH, EAX and RAX are RAX), or 0
// for registers the models do not rename (RIP, RFLAGS, CRs, DRs, ...).
uint64_t reg_bit(ZydisRegister r);
// FlagMask of a Zydis CPU flag mask.
uint8_t flag_bits(uint32_t zydis_flags);

DecodeDeps decode_deps(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops);

}  // namespace hvsim::timing
