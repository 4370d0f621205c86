// Model-specific registers as one table: number, name, read, write
// (SDM Vol. 4 ch. 2). VMX and SVM capability MSRs slot in with add_msrs().
#pragma once

#include <cstdint>
#include <span>

#include "sim/core/engine.h"

namespace hvsim::core::sys {

struct MsrDef {
  uint32_t index;
  const char* name;
  uint64_t (*read)(Engine& e, uint32_t index);           // null: write-only (#GP on RDMSR)
  void (*write)(Engine& e, uint32_t index, uint64_t v);  // null: read-only; may raise #GP(0)
};

// The MSR `index` names, or nullptr (RDMSR/WRMSR then raise #GP(0)).
const MsrDef* find_msr(uint32_t index);
// Adds definitions (later ones override earlier ones with the same index).
// Call at start-up, before any engine runs.
void add_msrs(std::span<const MsrDef> defs);

// RDMSR / WRMSR semantics without the CPL check (also for VMX/SVM MSR loads).
uint64_t read_msr(Engine& e, uint32_t index);
void write_msr(Engine& e, uint32_t index, uint64_t v);

namespace msr {
enum : uint32_t {
  kTsc = 0x10,
  kApicBase = 0x1b,
  kMtrrCap = 0xfe,
  kSysenterCs = 0x174,
  kSysenterEsp = 0x175,
  kSysenterEip = 0x176,
  kMiscEnable = 0x1a0,
  kMtrrPhysBase0 = 0x200,
  kMtrrFix64k = 0x250,
  kMtrrFix16k80 = 0x258,
  kMtrrFix16kA0 = 0x259,
  kMtrrFix4kC0 = 0x268,
  kMtrrFix4kF8 = 0x26f,
  kPat = 0x277,
  kMtrrDefType = 0x2ff,
  kEfer = 0xc0000080,
  kStar = 0xc0000081,
  kLstar = 0xc0000082,
  kCstar = 0xc0000083,
  kSfmask = 0xc0000084,
  kFsBase = 0xc0000100,
  kGsBase = 0xc0000101,
  kKernelGsBase = 0xc0000102,
  kTscAux = 0xc0000103,
  kXss = 0xda0,
};
constexpr unsigned kVariableMtrrs = 8;
}  // namespace msr

}  // namespace hvsim::core::sys
