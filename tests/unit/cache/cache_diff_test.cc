// Differential tests of the whole hierarchy (CacheModel): every access's
// latency and every counter against three plain LRU levels (ref_lru.h) that
// always scan, on random streams with much reuse. The model's fast paths
// (the L1 set's MRU slot, the set scans four ways at a time) must give the
// same hits, victims, dirty lines and writebacks as the plain path.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

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

using Path = CacheModel::Path;

// What a stream mixes in beyond data accesses and walks.
struct Stream {
  uint64_t seed = 1, span = 3000;
  unsigned reuse_pct = 80;
  uint64_t base = 0;           // lines are base + [0, span)
  unsigned wrap_every = 0;     // every so many accesses, one level's clock near its wrap
  unsigned wide_at = ~0u;      // from this access on, every 7th line is >= 2^32 - 1
  int accesses = 200000;
};

// The model on `path` against the plain reference: every latency, counter,
// writeback and line held. A second model on the loop over levels runs the
// same stream in lockstep: the same state throughout (stamps, clocks, MRU
// slots: what a checkpoint saves), checked every 4096 accesses and at the end.
void run_stream(const CacheParams& p, Path path, const Stream& st) {
  CacheModel c(p), levels(p);
  const Path used = c.set_path_for_test(path);
  ASSERT_EQ(levels.set_path_for_test(Path::kLevels), Path::kLevels);
  RefHierarchy r(p);
  uint64_t x = st.seed, line = 0;
  CacheLevel* const lv[2][3] = {{&c.l1d(), &c.l2(), &c.llc()},
                                {&levels.l1d(), &levels.l2(), &levels.llc()}};
  for (int i = 0; i < st.accesses; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    // Mostly the same line again or a neighbour (the MRU slot's case),
    // else anywhere in the span; writes and walks mixed in.
    if ((x >> 40) % 100 >= st.reuse_pct) line = (x >> 17) % st.span;
    else if ((x >> 30) & 1) line = (line + 1) % st.span;
    const bool write = ((x >> 25) & 3) == 0;
    const CacheSource src = ((x >> 50) & 15) == 0 ? CacheSource::kWalk : CacheSource::kData;
    uint64_t l = st.base + line;
    if (static_cast<unsigned>(i) >= st.wide_at && line % 7 == 0) l += 0xffffffffull;
    if (st.wrap_every && i % st.wrap_every == 0) {
      const unsigned k = (i / st.wrap_every) % 3;  // each level in turn
      const uint32_t clock = CacheLevel::kClockMax - static_cast<uint32_t>((x >> 5) % 3);
      lv[0][k]->set_clock_for_test(clock);
      lv[1][k]->set_clock_for_test(clock);
    }
    const uint64_t pa = l * 64 + ((x >> 8) & 63);
    const uint32_t want = r.access(l, write, static_cast<unsigned>(src));
    ASSERT_EQ(c.access(pa, write, src), want) << "access " << i << " line " << l;
    ASSERT_EQ(levels.access(pa, write, src), want) << "access " << i << " line " << l;
    if (i % 4096 == 0) {
      ASSERT_TRUE(c.same_state_for_test(levels)) << "access " << i;
    }
  }
  EXPECT_TRUE(c.same_state_for_test(levels));
  EXPECT_EQ(c.path(), used);
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(lv[0][i]->writebacks, r.lv[i].writebacks) << "level " << i;
    for (unsigned s = 0; s < 2; ++s) {
      EXPECT_EQ(lv[0][i]->hits[s], r.hits[i][s]) << "level " << i << " source " << s;
      EXPECT_EQ(lv[0][i]->misses[s], r.misses[i][s]) << "level " << i << " source " << s;
    }
    for (uint64_t l = 0; l < st.span; ++l)
      EXPECT_EQ(lv[0][i]->contains(st.base + l), r.lv[i].contains(st.base + l));
  }
  EXPECT_EQ(c.memory_accesses[0], r.memory_accesses[0]);
  EXPECT_EQ(c.memory_accesses[1], r.memory_accesses[1]);
}

// Every path this host has for the default geometry (small() has its ways
// and power-of-two sets): the fixed path must be the one taken.
std::vector<Path> fixed_paths() {
  CacheModel c(small());
  std::vector<Path> v{Path::kLevels, Path::kFixed};
  EXPECT_EQ(c.set_path_for_test(Path::kFixed), Path::kFixed);
  if (c.set_path_for_test(Path::kFixedSse41) == Path::kFixedSse41) v.push_back(Path::kFixedSse41);
  return v;
}

TEST(CacheModelDiff, SameLatenciesAndStateAsPlainLruWithMuchReuse) {
  for (Path path : fixed_paths()) run_stream(small(), path, Stream{});
}

TEST(CacheModelDiff, SameLatenciesAndStateAsPlainLruOnScatteredLines) {
  for (Path path : fixed_paths()) run_stream(small(), path, Stream{.seed = 7, .span = 900, .reuse_pct = 20});
}

// Each level's LRU clock pushed to its wrap every 50 accesses: renumbered
// by the loop over levels (an L1D clock at its wrap) or by the fixed
// path's wrap variant (an L2 or LLC clock).
TEST(CacheModelDiff, SameAcrossEachLevelsClockWrap) {
  for (Path path : fixed_paths())
    run_stream(small(), path, Stream{.seed = 3, .span = 2000, .reuse_pct = 50, .wrap_every = 50});
}

// Lines below 2^32 - 1 take the fixed path until the first line at or
// above it makes the levels wide (some keys then alias): the loop over
// levels from then on, on the state the fixed path left.
TEST(CacheModelDiff, SameAroundLinesAtFourGiB) {
  for (Path path : fixed_paths())
    run_stream(small(), path,
               Stream{.seed = 5, .span = 2000, .reuse_pct = 50, .base = 0xffffffffull - 2000,
                      .wide_at = 100000});
}

// Instruction fetches (through the L1I into the L2 and LLC; the L1I's hits
// on the fixed path too) mixed with data accesses, the L1I's clock pushed
// to its wrap every so often. From access 50000 on half the fetched lines
// are above 2^32: the L1I, L2 and LLC become wide while the L1D is not, and
// lines whose keys alias theirs must then take the loop over levels.
// Against a model on that loop in lockstep (the loop itself is checked
// against the plain reference above).
TEST(CacheModelDiff, SameWithFetchesAndWhenTheyMakeTheOuterLevelsWide) {
  for (Path path : fixed_paths()) {
    CacheModel c(small()), levels(small());
    ASSERT_EQ(c.set_path_for_test(path), path);
    levels.set_path_for_test(Path::kLevels);
    uint64_t x = 17;
    for (int i = 0; i < 100000; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t line = (x >> 20) % 1500;
      if (i % 300 == 0) {
        const uint32_t clock = CacheLevel::kClockMax - static_cast<uint32_t>((x >> 5) % 3);
        c.l1i().set_clock_for_test(clock);
        levels.l1i().set_clock_for_test(clock);
      }
      if (((x >> 40) & 7) < 3) {
        // From access 50000 on, half the fetched lines are 2^32 above
        // the others and the data lines: their keys alias.
        const bool wide = i >= 50000 && ((x >> 45) & 1);
        const uint64_t pa = ((wide ? (1ull << 32) : 0) + 4096 + line) * 64;
        ASSERT_EQ(c.fetch_access(pa, 16), levels.fetch_access(pa, 16)) << "access " << i;
        continue;
      }
      const bool write = ((x >> 25) & 3) == 0;
      const uint64_t pa = (4096 + line) * 64;  // some lines fetched too
      ASSERT_EQ(c.access(pa, write, CacheSource::kData), levels.access(pa, write, CacheSource::kData))
          << "access " << i << " path " << static_cast<int>(path);
      if (i % 1024 == 0) {
        ASSERT_TRUE(c.same_state_for_test(levels)) << "access " << i;
      }
    }
    EXPECT_TRUE(c.same_state_for_test(levels));
  }
}

// Other geometries take the loop over levels (here a 4-way L1D and a
// 12-way L2 of 12 sets, not a power of two), as does a disabled level or
// a number of sets not a power of two.
TEST(CacheModelDiff, OtherGeometryTakesTheLoopOverLevels) {
  CacheParams p = small();
  p.l1d = {16 * 4 * 64, 4, 4};
  p.l2 = {12 * 12 * 64, 12, 14};
  p.llc = {64 * 16 * 64, 16, 40};
  CacheModel c(p);
  EXPECT_EQ(c.path(), Path::kLevels);
  EXPECT_EQ(c.set_path_for_test(Path::kFixedSse41), Path::kLevels);
  run_stream(p, Path::kFixedSse41, Stream{.seed = 11, .span = 1500, .reuse_pct = 50});
  CacheParams q = small();
  q.l2.size_bytes = 0;  // disabled
  EXPECT_EQ(CacheModel(q).path(), Path::kLevels);
  q = small();
  q.llc = {24 * 16 * 64, 16, 40};  // 24 sets
  EXPECT_EQ(CacheModel(q).path(), Path::kLevels);
}

}  // namespace
}  // namespace hvsim::cache
