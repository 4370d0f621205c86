// The TLB hierarchy: an L1 ITLB (fetches), an L1 DTLB (reads and writes) and
// a unified L2 TLB behind both (SDM Vol. 3 4.10.2).
//
// Cost: each level probed adds its hit_cycles (an L1 hit costs the L1's; an
// L1 miss that hits in L2 costs L1 + L2; a miss in both costs L1 + L2 and
// the walk follows).
// Fills: a walk fills the L1 of its kind and the L2; an L2 hit refills the
// L1. The levels are non-inclusive: an L2 eviction leaves the L1 copy.
// A write that finds an entry whose dirty flag is not known to be set is a
// miss: the processor must walk to set D (SDM 4.8), and the walk's fill
// replaces the clean entry.
// Page sizes per level are a parameter such as "4k,2m" (see tlb.h for how a
// page larger than the level holds is splintered).
#pragma once

#include <cstdint>
#include <string>

#include "sim/mmu/tlb.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::base {
class Config;
class ParamRegistry;
class StatRegistry;
}  // namespace hvsim::base

namespace hvsim::mmu {

struct TlbLevelParams {
  TlbGeometry geometry;
  uint32_t hit_cycles = 0;
};

struct TlbHierarchyParams {
  // Defaults in the spirit of a recent Intel core (Skylake-class: 128-entry
  // 8-way ITLB, 64-entry 4-way DTLB, 1536-entry 12-way STLB ~8 cycles).
  TlbLevelParams itlb{{128, 8, kPage4K | kPage2M}, 0};
  TlbLevelParams dtlb{{64, 4, kPage4K | kPage2M | kPage1G}, 0};
  TlbLevelParams l2{{1536, 12, kPage4K | kPage2M | kPage1G}, 8};

  static void declare_params(hvsim::base::ParamRegistry& reg);  // mmu.itlb/dtlb/l2tlb.*
  // Throws base::ConfigError when entries is not a multiple of ways.
  static TlbHierarchyParams from_config(const hvsim::base::Config& cfg);
  // "4k,2m" -> kPage4K | kPage2M; throws base::ConfigError on anything else.
  static uint8_t parse_sizes(const std::string& s, const std::string& key);
};

enum TlbLevel : uint8_t { kTlbMiss = 0, kTlbL1 = 1, kTlbL2 = 2 };

struct TlbLookup {
  const TlbEntry* entry = nullptr;  // null on a miss
  TlbLevel level = kTlbMiss;
  uint32_t cycles = 0;
};

class TlbHierarchy {
  friend struct ::hvsim::checkpoint::Access;
 public:
  explicit TlbHierarchy(const TlbHierarchyParams& p = {});

  // Looks `la` up for an access of kind `acc` (kExec: ITLB, else DTLB, then
  // L2). Counts hits and misses per level and kind.
  TlbLookup lookup(uint64_t la, Access acc, const TlbTags& t);
  // Caches a walk's result in the L1 of `acc`'s kind and in the L2.
  void fill(uint64_t la, Access acc, const Translation& tr, const TlbTags& t);
  // Applies an invalidation to every level.
  void flush(const TlbFlush& f);

  Tlb& itlb() { return l1_[0]; }
  Tlb& dtlb() { return l1_[1]; }
  Tlb& l2() { return l2_; }

  void register_stats(hvsim::base::StatRegistry& reg);

  // An L1 hit served outside lookup(): the core's host-pointer TLB holds
  // only what the L1 TLBs hold, so a hit in it is an L1 hit of `acc`'s kind.
  void count_l1_hit(Access acc) { ++hits[static_cast<unsigned>(acc)][0]; }

  // [kind][0 = L1, 1 = L2], kind = Access (kRead, kWrite, kExec).
  uint64_t hits[3][2] = {};
  uint64_t misses[3][2] = {};
  uint64_t clean_write_misses = 0;  // writes that found only entries with D not known

 private:
  Tlb& l1_of(Access acc) { return l1_[acc == Access::kExec ? 0 : 1]; }

  Tlb l1_[2];  // ITLB, DTLB
  Tlb l2_;
  uint32_t l1_cycles_[2];
  uint32_t l2_cycles_;
};

}  // namespace hvsim::mmu
