#include "sim/vmx/vmcs.h"

namespace hvsim::vmx {

namespace {
constexpr Width W16 = Width::W16, W32 = Width::W32, W64 = Width::W64, WN = Width::WN;

constexpr FieldInfo kFields[] = {
#define VMCS_FIELD(name, enc, w, t, ro) {#name, enc, w, t, ro},
#include "sim/vmx/vmcs_fields.def"
#undef VMCS_FIELD
};
static_assert(sizeof(kFields) / sizeof(kFields[0]) == kNumFields);

// Every table entry's width and type agree with its encoding (24.11.2).
constexpr bool table_consistent() {
  for (const FieldInfo& f : kFields) {
    if (f.encoding & 1) return false;
    if (static_cast<unsigned>(f.width) != ((f.encoding >> 13) & 3)) return false;
    if (static_cast<unsigned>(f.type) != ((f.encoding >> 10) & 3)) return false;
    if (f.read_only != (f.type == kExitInfo)) return false;
  }
  return true;
}
static_assert(table_consistent(), "vmcs_fields.def disagrees with the encoding rules");
}  // namespace

const FieldInfo& field_info(F f) { return kFields[static_cast<unsigned>(f)]; }

bool lookup_field(uint64_t encoding, F* f, bool* high) {
  if (encoding >> 32) return false;  // bits 63:32 must be 0 (VMREAD/VMWRITE)
  const uint32_t enc = static_cast<uint32_t>(encoding);
  const bool hi = enc & 1;
  const uint32_t base = enc & ~1u;
  for (unsigned i = 0; i < kNumFields; ++i) {
    if (kFields[i].encoding != base) continue;
    if (hi && kFields[i].width != Width::W64) return false;  // only 64-bit fields have a high half
    *f = static_cast<F>(i);
    *high = hi;
    return true;
  }
  return false;
}

uint32_t highest_field_index() {
  uint32_t m = 0;
  for (const FieldInfo& f : kFields) m = ((f.encoding >> 1) & 0x1ff) > m ? ((f.encoding >> 1) & 0x1ff) : m;
  return m;
}

uint64_t truncate_to_width(F f, uint64_t v) {
  switch (field_info(f).width) {
    case Width::W16: return v & 0xffff;
    case Width::W32: return v & 0xffffffff;
    default: return v;
  }
}

}  // namespace hvsim::vmx
