// Extended page tables (SDM Vol. 3 29.3): 4-level EPT with 4 KiB, 2 MiB and
// 1 GiB pages, R/W/X permissions, accessed/dirty flags (EPTP bit 6),
// violations and misconfigurations. Plugged into the page walker as its
// stage-2 hook, so each guest paging-structure reference is translated
// (and charged) through EPT: a 4-level guest walk over 4-level EPT makes up
// to 24 references.
#pragma once

#include <cstdint>

#include "sim/core/engine.h"
#include "sim/mmu/stage2_walk.h"
#include "sim/mmu/walker.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::vmx {

struct VmxCaps;

// Why the last translate() failed.
struct EptFault {
  bool misconfig = false;
  uint64_t gpa = 0;
  uint64_t qualification = 0;  // Table 28-7 bits 0-5 and 8 (bit 7 is the caller's)
  bool is_walk = false;        // a guest paging-structure access
  bool pml_full = false;       // the PML log was full (a PML-full VM exit)
};

// EPTP fields (24.6.11).
inline uint64_t eptp_pml4(uint64_t eptp) { return eptp & 0x000ffffffffff000ull; }
inline bool eptp_ad(uint64_t eptp) { return eptp & (1u << 6); }
// An EPTP value valid on this model (checked at VM entry and by VMFUNC).
bool eptp_valid(uint64_t eptp, const VmxCaps& caps);

// The EPT entry format for the shared stage-2 walk (29.3.2, 29.3.3.1):
// R/W/X in bits 2:0 (present when any is set), misconfigurations as
// reserved entries, A/D in bits 8/9 when the EPTP enables them.
class EptFormat final : public mmu::Stage2Format {
 public:
  mmu::Stage2Entry decode(uint64_t entry, unsigned level) const override;
  uint8_t needs(mmu::Access access, bool is_walk) const override;
  bool ad = false, big1g = true, big2m = true;
};

class Ept : public mmu::Stage2 {
  friend struct ::hvsim::checkpoint::Access;
 public:
  explicit Ept(core::Engine& e) : e_(e) {}
  void set_eptp(uint64_t eptp, const VmxCaps& caps);
  uint64_t eptp() const { return eptp_; }

  bool translate(uint64_t gpa, mmu::Access access, bool is_walk, uint64_t* hpa,
                 uint8_t* rights = nullptr) override;
  const EptFault& last_fault() const { return fault_; }
  // Page-modification logging (29.3.6): `log` receives each page whose
  // leaf dirty flag goes from 0 to 1 (only with A/D flags on); null: off.
  void set_dirty_log(mmu::Stage2DirtyLog* log) { format_.dirty_log = log; }

  uint64_t refs = 0;        // EPT entries read
  uint64_t walks = 0;       // stage-2 translations
  uint64_t violations = 0, misconfigs = 0;

 private:
  core::Engine& e_;
  uint64_t eptp_ = 0;
  EptFormat format_;
  EptFault fault_;
};

}  // namespace hvsim::vmx
