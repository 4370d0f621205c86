// CacheModel::access_full() for the default geometry (8-way L1D, 16-way L2
// and LLC, every level enabled, sets a power of two): the lookups, victims,
// stamps and counters of the loop over levels (CacheModel::access_levels),
// with the set layout known at compile time; and fetch_full()'s L1I hit
// (8-way L1I). Internal to sim/cache.
#pragma once

#include "sim/cache/cache_model.h"

namespace hvsim::cache {

struct FixedPath {
  static constexpr uint32_t kW1 = 8, kW2 = 16, kW3 = 16;  // ways of L1D, L2, LLC
  // The path the model's geometry and the host allow (SSE4.1: the victim
  // search takes the minimum of four stamps in one instruction).
  static CacheModel::Path best(const CacheModel& c);
  // CacheModel::access_full().
  static uint32_t access(CacheModel& c, uint64_t line, bool is_write, CacheSource source);
  // Whether the L1I's hits can be served here (8 ways, sets a power of
  // two); CacheModel::fetch_full().
  static bool fetch_fits(const CacheModel& c);
  static uint32_t fetch(CacheModel& c, uint64_t line);
  // fixed_path.cc: one level's lookup, victim and fill; the L1D miss.
  template <uint32_t kWays>
  struct Level;
  struct Miss;
};

}  // namespace hvsim::cache
