// Differential tests of the whole hierarchy (CacheModel): every access's
// latency and every counter against three plain LRU levels (ref_lru.h) that
// always scan, on random streams with much reuse. The model's fast paths
// (the L1 set's MRU slot, the set scans four ways at a time) must give the
// same hits, victims, dirty lines and writebacks as the plain path.
#include <gtest/gtest.h>

#include <cstdint>

#include "sim/cache/cache_model.h"
#include "tests/unit/cache/ref_lru.h"

namespace hvsim::cache {
namespace {
using test::RefLevel;

// L1D 8 sets x 8 ways, L2 16 x 16, LLC 32 x 16: small enough that a stream
// over a few thousand lines misses at every level.
CacheParams small() {
  CacheParams p;
  p.line_bytes = 64;
  p.l1d = {8 * 8 * 64, 8, 4};
  p.l2 = {16 * 16 * 64, 16, 14};
  p.llc = {32 * 16 * 64, 16, 40};
  p.memory_cycles = 200;
  return p;
}

// What lookup_fill does, level by level: the first level holding the line
// serves it (dirty only in the L1: the innermost level), every level before
// it takes the line (the L1 the dirty copy of a write).
struct RefHierarchy {
  explicit RefHierarchy(const CacheParams& p)
      : lv{RefLevel(p.l1d.size_bytes / 64 / p.l1d.ways, p.l1d.ways),
           RefLevel(p.l2.size_bytes / 64 / p.l2.ways, p.l2.ways),
           RefLevel(p.llc.size_bytes / 64 / p.llc.ways, p.llc.ways)},
        hit_cycles{p.l1d.hit_cycles, p.l2.hit_cycles, p.llc.hit_cycles},
        memory(p.memory_cycles) {}
  uint32_t access(uint64_t line, bool write, unsigned src) {
    for (unsigned i = 0; i < 3; ++i) {
      if (lv[i].access(line, write && i == 0)) {
        ++hits[i][src];
        return hit_cycles[i];
      }
      ++misses[i][src];
    }
    ++memory_accesses[src];
    return memory;
  }
  RefLevel lv[3];
  uint32_t hit_cycles[3];
  uint32_t memory;
  uint64_t hits[3][kNumCacheSources] = {}, misses[3][kNumCacheSources] = {};
  uint64_t memory_accesses[kNumCacheSources] = {};
};

void run_stream(uint64_t seed, uint64_t span, unsigned reuse_pct) {
  const CacheParams p = small();
  CacheModel c(p);
  RefHierarchy r(p);
  uint64_t x = seed, line = 0;
  for (int i = 0; i < 200000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    // Mostly the same line again or a neighbour (the MRU slot's case),
    // else anywhere in the span; writes and walks mixed in.
    if ((x >> 40) % 100 >= reuse_pct) line = (x >> 17) % span;
    else if ((x >> 30) & 1) line = (line + 1) % span;
    const bool write = ((x >> 25) & 3) == 0;
    const CacheSource src = ((x >> 50) & 15) == 0 ? CacheSource::kWalk : CacheSource::kData;
    const uint64_t pa = line * 64 + ((x >> 8) & 63);
    const uint32_t want = r.access(line, write, static_cast<unsigned>(src));
    ASSERT_EQ(c.access(pa, write, src), want) << "access " << i << " line " << line;
  }
  CacheLevel* lv[3] = {&c.l1d(), &c.l2(), &c.llc()};
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(lv[i]->writebacks, r.lv[i].writebacks) << "level " << i;
    for (unsigned s = 0; s < 2; ++s) {
      EXPECT_EQ(lv[i]->hits[s], r.hits[i][s]) << "level " << i << " source " << s;
      EXPECT_EQ(lv[i]->misses[s], r.misses[i][s]) << "level " << i << " source " << s;
    }
    for (uint64_t l = 0; l < span; ++l) EXPECT_EQ(lv[i]->contains(l), r.lv[i].contains(l));
  }
  EXPECT_EQ(c.memory_accesses[0], r.memory_accesses[0]);
  EXPECT_EQ(c.memory_accesses[1], r.memory_accesses[1]);
}

TEST(CacheModelDiff, SameLatenciesAndStateAsPlainLruWithMuchReuse) {
  run_stream(1, 3000, 80);
}

TEST(CacheModelDiff, SameLatenciesAndStateAsPlainLruOnScatteredLines) {
  run_stream(7, 900, 20);
}

}  // namespace
}  // namespace hvsim::cache
