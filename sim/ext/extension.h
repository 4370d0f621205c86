// The hook for ISA extensions (ARCHITECTURE.md "ISA extensions"): the decoder
// asks every enabled extension before Zydis, so a proposed instruction lives
// in one file under sim/ext and never edits the core.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sim/base/params.h"
#include "sim/core/decoded_insn.h"

namespace hvsim::ext {

class Extension {
 public:
  virtual ~Extension() = default;
  virtual const char* name() const = 0;
  // Claims an encoding: returns the instruction's length and fills `d`
  // (exec, tclass, operands), or returns 0 when the bytes are not its own.
  // `decode_mode` is the Zydis machine mode the core decodes in.
  virtual unsigned decode(const uint8_t* bytes, size_t avail, unsigned decode_mode,
                          hvsim::core::DecodedInsn& d) const = 0;
};

}  // namespace hvsim::ext
