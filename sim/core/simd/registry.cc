// Registration of the vector families and the shared binder (simd.h).
#include <cstring>
#include <string_view>

#include "sim/core/simd/simd.h"
#include "sim/core/sys/xstate.h"

namespace hvsim::core::simd {

namespace {

// Binders another family registered earlier for a mnemonic this family
// takes over (none in the current order: isa/families.cc registers this
// family before the MMX family, whose dispatcher sees the shared mnemonics
// first and hands their XMM forms here). MMX-register forms that reach
// bind_vector (CVTPI2PS mm, MOVDQ2Q, ...) run here with the MMX gate.
isa::BindFn g_other[ZYDIS_MNEMONIC_MAX_VALUE + 1];

bool has_mmx_operand(const DecodedInsn& d) {
  for (unsigned i = 0; i < d.nops; ++i)
    if (d.op[i].kind == OpKind::kReg && d.op[i].rclass == RegClass::kMmx) return true;
  return false;
}

bool has(std::string_view s, const char* sub) { return s.find(sub) != std::string_view::npos; }

}  // namespace

void bind_vector(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                 DecodedInsn& d) {
  if (has_mmx_operand(d)) {
    // The MMX family's binder, if one was registered; else run it here.
    if (isa::BindFn f = g_other[zi.mnemonic])
      f(zi, ops, d);
    else if (host_has(zi.meta.isa_ext) || zi.meta.isa_ext == ZYDIS_ISA_EXT_MMX)
      bind_host(zi, ops, d, Gate::kMmx);
    return;
  }
  if (!host_has(zi.meta.isa_ext)) return;  // never advertised: #UD
  const Gate g = (zi.attributes & ZYDIS_ATTRIB_HAS_VEX) ? Gate::kAvx : Gate::kSse;
  bind_host(zi, ops, d, g);
}

timing::InsnClass classify(ZydisMnemonic m) {
  using namespace timing;
  std::string_view s = ZydisMnemonicGetString(m);
  const bool packed_int = s.starts_with("p") || s.starts_with("vp");
  if (has(s, "aes") || has(s, "clmul")) return k_crypto;
  if (has(s, "cmpestr") || has(s, "cmpistr") || has(s, "crc32")) return k_simd_string;
  if (has(s, "fmadd") || has(s, "fmsub") || has(s, "fnmadd") || has(s, "fnmsub")) return k_fp_fma;
  if (has(s, "cvt")) return k_fp_cvt;
  if (has(s, "div")) return k_fp_div;
  if (has(s, "sqrt") && !has(s, "rsqrt")) return k_fp_sqrt;
  if (packed_int && (has(s, "mul") || has(s, "madd") || has(s, "sadbw"))) return k_simd_imul;
  if (has(s, "mpsadbw")) return k_simd_imul;
  if (has(s, "mul") || has(s, "dpp") || has(s, "rcp") || has(s, "rsqrt")) return k_fp_mul;
  if (has(s, "mov") || has(s, "lddqu") || has(s, "broadcast") || has(s, "extract") ||
      has(s, "insert") || has(s, "pextr") || has(s, "pinsr"))
    return has(s, "pmovsx") || has(s, "pmovzx") || has(s, "movmsk") ? k_simd_shuffle
                                                                       : k_simd_move;
  if (has(s, "shuf") || has(s, "unpck") || has(s, "perm") || has(s, "pack") ||
      has(s, "alignr") || has(s, "blend"))
    return k_simd_shuffle;
  if (!packed_int &&
      (has(s, "add") || has(s, "sub") || has(s, "min") || has(s, "max") || has(s, "cmp") ||
       has(s, "comi") || has(s, "round")))
    return k_fp_add;
  return k_simd_int;
}

void register_list(isa::BinderTable& t, const ZydisMnemonic* list, unsigned n,
                   timing::InsnClass (*cls)(ZydisMnemonic)) {
  for (unsigned i = 0; i < n; ++i) {
    const ZydisMnemonic m = list[i];
    const isa::BindFn prev = t.replace(m, &bind_vector, cls(m)).bind;
    if (prev != &bind_vector) g_other[m] = prev;  // some mnemonics are in two lists (PEXTRW)
  }
}

}  // namespace hvsim::core::simd

namespace hvsim::core::isa {

// MOVSD and CMPSD with XMM operands (isa.h): the SSE2 forms.
void bind_sse_string_form(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops,
                          DecodedInsn& d) {
  if (!simd::host_has(zi.meta.isa_ext)) return;
  d.tclass = zi.mnemonic == ZYDIS_MNEMONIC_CMPSD ? timing::k_fp_add : timing::k_simd_move;
  simd::bind_host(zi, ops, d, simd::Gate::kSse);
}

void register_simd(BinderTable& t) {
  simd::register_sse(t);
  simd::register_sse4(t);
  simd::register_avx(t);
  simd::register_crypto(t);
  simd::register_avx_mem(t);
  sys::register_xstate(t);
}

}  // namespace hvsim::core::isa
