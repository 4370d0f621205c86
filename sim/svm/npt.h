// Nested paging (AMD APM Vol. 2 15.25): guest-physical to system-physical
// through the host's long-mode (4-level) page-table format rooted at N_CR3,
// 4 KiB / 2 MiB / 1 GiB pages, P/RW/US/NX, with every nested access a user
// access (15.25.5). Plugged into the walker as its stage-2 hook, so each
// guest page-table reference goes through it too (up to 24 references).
#pragma once

#include <cstdint>

#include "sim/core/engine.h"
#include "sim/mmu/stage2_walk.h"
#include "sim/mmu/walker.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::svm {

struct NptFault {
  uint64_t gpa = 0;
  uint64_t info1 = 0;  // the #PF-style error code with bits 32/33 (15.25.6)
};

// The nested page-table format for the shared stage-2 walk: long-mode
// entries (5.3), P/RW/US/NX, PS at levels 2 and 3, A/D always kept.
class NptFormat final : public mmu::Stage2Format {
 public:
  mmu::Stage2Entry decode(uint64_t entry, unsigned level) const override;
  uint8_t needs(mmu::Access access, bool is_walk) const override;
  bool nxe = true, big1g = true;
};

class Npt : public mmu::Stage2 {
  friend struct ::hvsim::checkpoint::Access;
 public:
  explicit Npt(core::Engine& e) : e_(e) {}
  // N_CR3 and the host paging state at VMRUN (NX enabled by host EFER.NXE).
  void set_root(uint64_t ncr3, bool nxe, uint32_t maxpa, bool big1g);
  // Host CR4.SMEP: like EFER.NXE it makes a fetch's NPF report ID (bit 4).
  void set_host_smep(bool on) { host_smep_ = on; }
  bool translate(uint64_t gpa, mmu::Access access, bool is_walk, uint64_t* hpa,
                 uint8_t* rights = nullptr) override;
  const NptFault& last_fault() const { return fault_; }

  uint64_t refs = 0, walks = 0, faults = 0;

 private:
  core::Engine& e_;
  NptFormat format_;
  NptFault fault_;
  bool host_smep_ = false;
};

}  // namespace hvsim::svm
