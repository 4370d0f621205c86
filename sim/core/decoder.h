// Decodes x86 bytes into DecodedInsn: enabled ISA extensions first, then
// Zydis, then the family binders that pick the semantic function.
#pragma once

#include <Zydis/Zydis.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/decoded_insn.h"
#include "sim/core/isa/isa.h"
#include "sim/ext/extension.h"
#include "sim/timing/latencies.h"

namespace hvsim::core {

// The decode modes, in Zydis's terms; a block is cached per (pa, mode).
enum DecodeMode : uint8_t { kDecReal16, kDecProt16, kDecProt32, kDecCompat16, kDecCompat32,
                            kDecLong64, kNumDecodeModes };

enum class DecodeStatus { kOk, kNeedMoreBytes };

class Decoder {
 public:
  explicit Decoder(const timing::Latencies& lat);
  void add_extension(const hvsim::ext::Extension* e) { exts_.push_back(e); }
  // Registers another family's binders (VMX/SVM instructions, at start-up).
  void extend(void (*reg)(isa::BinderTable&)) { reg(table_); }

  // Decodes the instruction at `bytes` (`avail` valid bytes). Invalid or
  // unimplemented encodings decode to an instruction that raises #UD.
  // kNeedMoreBytes: the instruction runs past `avail` (page end): retry with more.
  DecodeStatus decode(const uint8_t* bytes, size_t avail, DecodeMode mode, DecodedInsn& d) const;

 private:
  void bind(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
            DecodedInsn& d) const;
  void charge(DecodedInsn& d) const;

  const timing::Latencies& lat_;
  ZydisDecoder zydis_[kNumDecodeModes];
  isa::BinderTable table_;
  std::vector<const hvsim::ext::Extension*> exts_;
};

// The semantic function of every invalid or unimplemented encoding.
void exec_ud(Engine& e, const DecodedInsn& d);

}  // namespace hvsim::core
