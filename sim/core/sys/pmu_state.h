// Performance-monitoring and machine-check registers as plain data (part of
// ArchState). The logic is in sys/pmu.cc (Intel architectural perfmon, SDM
// Vol. 3 ch. 20 "Performance Monitoring"; AMD core counters, APM Vol. 2
// 13.2) and sys/mce.cc (SDM Vol. 3 ch. 16 "Machine-Check Architecture").
#pragma once

#include <cstdint>

namespace hvsim::core {

// What the counters can count: the engine's own counts, read lazily when a
// counter is read or written and at quantum boundaries (sys/pmu.cc).
enum PmuSource : uint8_t {
  kPmuNone,            // an event hvsim does not model: counts nothing
  kPmuInstructions,    // instructions retired
  kPmuCycles,          // core cycles (also the reference cycles: TSC rate = core clock)
  kPmuBranches,        // near branch instructions retired (isa/control.cc)
  kPmuBranchMisses,    // mispredicted branches: always 0 (no predictor is modelled)
  kPmuLlcRefs,         // accesses that reached the last-level cache
  kPmuLlcMisses,       // accesses that missed it
  kPmuDtlbMisses,      // L1 DTLB misses (loads and stores)
  kPmuDtlbLoadWalks,   // loads that missed every TLB level (a page walk)
  kPmuDtlbStoreWalks,  // stores that missed every TLB level
  kPmuItlbWalks,       // fetches that missed every TLB level
  kPmuWalks,           // page walks (mmu.walks)
  kPmuWalkRefs,        // paging-structure entries read by walks
  kPmuSources
};

struct PmuState {
  static constexpr unsigned kGp = 6;      // 4 Intel IA32_PMCi, 6 AMD PERF_CTRi
  static constexpr unsigned kFixed = 3;   // Intel fixed-function counters
  static constexpr unsigned kWidth = 48;  // counter width in bits (CPUID.0AH EAX[23:16])
  uint64_t evtsel[kGp] = {};              // IA32_PERFEVTSELi / AMD PERF_CTLi
  uint64_t pmc[kGp] = {};                 // counter values (kWidth bits)
  uint64_t fixed_ctr_ctrl = 0;            // IA32_FIXED_CTR_CTRL
  uint64_t fixed[kFixed] = {};
  uint64_t global_ctrl = 0xf;       // IA32_PERF_GLOBAL_CTRL: the GP enables are set at reset
  uint64_t global_status = 0;       // IA32_PERF_GLOBAL_STATUS
  uint64_t branches = 0;            // near branches retired (counted by isa/control.cc)
  uint64_t last[kPmuSources] = {};  // the sources' values at the last sync
  uint8_t primed = 0;               // last[] holds a snapshot (0 after reset: take one first)
};

struct MachineCheckState {
  static constexpr unsigned kMaxBanks = 10;
  uint64_t mcg_status = 0, mcg_ctl = ~0ull;
  uint64_t bank[kMaxBanks][4] = {};  // IA32_MCi_CTL, _STATUS, _ADDR, _MISC
};

}  // namespace hvsim::core
