// The VMCS: the field table (vmcs_fields.def), encodings (SDM Vol. 3 24.11.2,
// appendix B) and our storage layout inside the VMCS region. The layout is
// implementation-specific (SDM 24.2): offset 0 revision identifier, 4 VMX-abort
// indicator, 8 launch state, then 8 bytes per field in table order, so that
// VMCLEAR/VMPTRLD of a region keeps its content.
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::vmx {

enum class Width : uint8_t { W16, W64, W32, WN };  // encoding bits 14:13
enum FieldType : uint8_t { kControl, kExitInfo, kGuest, kHost };  // encoding bits 11:10

enum class F : uint16_t {
#define VMCS_FIELD(name, enc, w, t, ro) name,
#include "sim/vmx/vmcs_fields.def"
#undef VMCS_FIELD
  kCount
};
constexpr unsigned kNumFields = static_cast<unsigned>(F::kCount);

struct FieldInfo {
  const char* name;
  uint32_t encoding;
  Width width;
  FieldType type;
  bool read_only;
};

const FieldInfo& field_info(F f);
// The field an encoding names; *high for the high 32 bits of a 64-bit field
// (access type 1). False: unsupported component (VM-instruction error 12).
bool lookup_field(uint64_t encoding, F* f, bool* high);
// Highest index (encoding bits 9:1) of any field, for IA32_VMX_VMCS_ENUM.
uint32_t highest_field_index();
// Masks a value to the field's width (natural width: 64 bits).
uint64_t truncate_to_width(F f, uint64_t v);

constexpr uint64_t kVmcsRevisionOffset = 0;
constexpr uint32_t kShadowIndicator = 1u << 31;  // bit 31 of the revision dword (24.2)
constexpr uint64_t kVmcsAbortOffset = 4;
constexpr uint64_t kVmcsLaunchOffset = 8;
constexpr uint64_t kVmcsFieldsOffset = 16;
constexpr uint64_t field_offset(F f) { return kVmcsFieldsOffset + 8 * static_cast<uint64_t>(f); }
static_assert(field_offset(F::kCount) <= 4096, "the VMCS layout must fit a 4 KiB region");

// Launch state (SDM 24.1): clear after VMCLEAR, launched after VMLAUNCH.
enum LaunchState : uint32_t { kClear = 0, kLaunched = 1 };

// Reads and writes fields of the VMCS at physical address `pa`.
class VmcsRef {
 public:
  VmcsRef(core::Engine& e, uint64_t pa) : e_(e), pa_(pa) {}
  uint64_t get(F f) const { return e_.read_phys(pa_ + field_offset(f), 8); }
  void set(F f, uint64_t v) { e_.write_phys(pa_ + field_offset(f), truncate_to_width(f, v), 8); }
  uint32_t launch_state() const {
    return static_cast<uint32_t>(e_.read_phys(pa_ + kVmcsLaunchOffset, 4));
  }
  void set_launch_state(uint32_t s) { e_.write_phys(pa_ + kVmcsLaunchOffset, s, 4); }
  uint64_t pa() const { return pa_; }

 private:
  core::Engine& e_;
  uint64_t pa_;
};

}  // namespace hvsim::vmx
