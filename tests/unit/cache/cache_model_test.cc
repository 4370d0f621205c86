// Unit tests of the tags-only cache model: hits, misses, LRU eviction,
// disabled levels, writebacks, and the data-versus-walk split of the stats.
#include "sim/cache/cache_model.h"

#include <gtest/gtest.h>

#include "sim/base/params.h"
#include "sim/base/stats.h"

namespace hvsim::cache {
namespace {

constexpr auto kData = CacheSource::kData;
constexpr auto kWalk = CacheSource::kWalk;

// L1: 2 sets x 2 ways of 64-byte lines; L2: 4 sets x 2 ways; LLC: 8 x 2.
CacheParams tiny() {
  CacheParams p;
  p.line_bytes = 64;
  p.l1d = {256, 2, 4};
  p.l2 = {512, 2, 14};
  p.llc = {1024, 2, 40};
  p.memory_cycles = 200;
  return p;
}

TEST(CacheModel, MissThenHitAtEachLevel) {
  CacheModel c(tiny());
  EXPECT_EQ(c.access(0x1000, false, kData), 200u);
  EXPECT_EQ(c.access(0x1008, false, kData), 4u);  // same line
  EXPECT_EQ(c.l1d().misses[0], 1u);
  EXPECT_EQ(c.l2().misses[0], 1u);
  EXPECT_EQ(c.llc().misses[0], 1u);
  EXPECT_EQ(c.memory_accesses[0], 1u);
  EXPECT_EQ(c.l1d().hits[0], 1u);
}

// Lines 0x000, 0x080, 0x100 map to L1 set 0 (2 sets): the third evicts the
// least recently used, which is then found in L2.
TEST(CacheModel, LruEvictionFallsBackToL2) {
  CacheModel c(tiny());
  c.access(0x000, false, kData);
  c.access(0x080, false, kData);
  c.access(0x000, false, kData);  // 0x080 is now LRU in L1 set 0
  c.access(0x100, false, kData);  // evicts 0x080 from L1
  EXPECT_EQ(c.access(0x000, false, kData), 4u);
  EXPECT_EQ(c.access(0x080, false, kData), 14u);
  EXPECT_EQ(c.access(0x080, false, kData), 4u);  // refilled into L1
}

TEST(CacheModel, LlcHitAfterL1AndL2Evictions) {
  CacheModel c(tiny());
  // L2 set 0 (4 sets of 64 B lines): 0x000, 0x100, 0x200 conflict; the LLC
  // (8 sets) keeps 0x000 and 0x200 apart from 0x100's set mates.
  c.access(0x000, false, kData);
  c.access(0x100, false, kData);
  c.access(0x200, false, kData);
  EXPECT_FALSE(c.l1d().contains(0x000 >> 6));
  EXPECT_FALSE(c.l2().contains(0x000 >> 6));
  EXPECT_EQ(c.access(0x000, false, kData), 40u);
}

TEST(CacheModel, DisabledLevelsAreSkipped) {
  CacheParams p = tiny();
  p.l2.size_bytes = 0;
  CacheModel c(p);
  EXPECT_FALSE(c.l2().enabled());
  c.access(0x000, false, kData);
  c.access(0x080, false, kData);
  c.access(0x100, false, kData);  // evicts 0x000 from L1; no L2
  EXPECT_EQ(c.access(0x000, false, kData), 40u);
  EXPECT_EQ(c.l2().misses[0] + c.l2().hits[0], 0u);
  p.l1d.size_bytes = p.llc.size_bytes = 0;
  CacheModel none(p);
  EXPECT_EQ(none.access(0x40, false, kData), 200u);
  EXPECT_EQ(none.access(0x40, false, kData), 200u);
}

TEST(CacheModel, DirtyVictimCountsAWriteback) {
  CacheModel c(tiny());
  c.access(0x000, true, kData);  // write-allocate, dirty in L1
  EXPECT_TRUE(c.l1d().contains(0));
  c.access(0x080, false, kData);
  c.access(0x100, false, kData);  // evicts the dirty 0x000
  EXPECT_EQ(c.l1d().writebacks, 1u);
  c.access(0x180, false, kData);  // evicts clean 0x080
  EXPECT_EQ(c.l1d().writebacks, 1u);
}

TEST(CacheModel, WalkAndDataAccessesCountedApart) {
  CacheModel c(tiny());
  c.access(0x1000, false, kWalk);
  c.access(0x1000, false, kData);
  c.access(0x2000, false, kData);
  c.access(0x1000, true, kWalk);
  EXPECT_EQ(c.l1d().misses[1], 1u);
  EXPECT_EQ(c.l1d().hits[1], 1u);
  EXPECT_EQ(c.l1d().misses[0], 1u);
  EXPECT_EQ(c.l1d().hits[0], 1u);
  EXPECT_EQ(c.memory_accesses[1], 1u);
  EXPECT_EQ(c.memory_accesses[0], 1u);
  base::StatRegistry st;
  c.register_stats(st);
  EXPECT_EQ(st.value("cache.l1d.walk_hits"), 1u);
  EXPECT_EQ(st.value("cache.l1d.data_misses"), 1u);
  EXPECT_EQ(st.value("cache.memory.walk_accesses"), 1u);
}

TEST(CacheModel, DeterministicAcrossInstances) {
  CacheModel a(tiny()), b(tiny());
  uint64_t x = 12345, sa = 0, sb = 0;
  for (int i = 0; i < 5000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t pa = (x >> 20) & 0xFFFF;
    sa += a.access(pa, (x >> 3) & 1, kData);
    sb += b.access(pa, (x >> 3) & 1, kData);
  }
  EXPECT_EQ(sa, sb);
  EXPECT_EQ(a.l2().hits[0], b.l2().hits[0]);
}

// An instruction's access is charged per line it touches, a store with its
// full latency (the core model needs it); store_cap() is what a store costs
// an in-order core: an L1 hit (store buffer) unless stores block.
TEST(CacheModel, DataAccessSplitsLinesAndCapsStores) {
  CacheModel c(tiny());
  EXPECT_EQ(c.data_access(0x103c, 8, false), 400u);  // two lines, both from memory
  EXPECT_EQ(c.l1d().misses[0], 2u);
  EXPECT_EQ(c.data_access(0x103c, 8, false), 8u);   // two L1 hits
  EXPECT_EQ(c.data_access(0x2000, 4, true), 200u);  // a store miss, in full
  EXPECT_EQ(c.l1d().misses[0], 3u);                 // allocates the line
  EXPECT_EQ(c.store_cap(), 4u);                     // and costs an in-order core an L1 hit
  CacheParams p = tiny();
  p.stores_block = true;
  CacheModel blocking(p);
  EXPECT_EQ(blocking.data_access(0x2000, 4, true), 200u);
  EXPECT_EQ(blocking.store_cap(), ~0u);
}

// A DRAM access costs memory_cycles plus the RAM's own read latency.
TEST(CacheModel, DramExtraIsAddedToMemoryAccesses) {
  CacheModel c(tiny());
  c.set_dram_extra(30);
  EXPECT_EQ(c.data_access(0x4000, 8, false), 230u);
  EXPECT_EQ(c.data_access(0x4000, 8, false), 4u);  // an L1 hit is unchanged
}

// Instruction fetch goes through the L1I and misses into L2/LLC/memory; the
// stall is the serving level's latency beyond an L1I hit.
TEST(CacheModel, FetchThroughL1i) {
  CacheModel c(tiny());
  const uint32_t l1i_hit = tiny().l1i.hit_cycles;
  EXPECT_EQ(c.fetch_access(0x8000, 100), 2 * (200 - l1i_hit));  // two lines from memory
  EXPECT_EQ(c.l1i().misses[2], 2u);
  EXPECT_EQ(c.fetch_access(0x8000, 100), 0u);  // both in the L1I now
  EXPECT_EQ(c.l1i().hits[2], 2u);
  EXPECT_EQ(c.l1d().misses[0], 0u);  // the L1D saw none of it
  EXPECT_EQ(c.memory_accesses[2], 2u);
}

TEST(CacheModel, ParamsDefaultsAndChecks) {
  base::ParamRegistry reg;
  CacheParams::declare_params(reg);
  base::Config cfg(reg);
  CacheParams p = CacheParams::from_config(cfg);
  EXPECT_EQ(p.l1d.size_bytes, 32u * 1024);
  EXPECT_EQ(p.l1d.ways, 8u);
  EXPECT_EQ(p.l1d.hit_cycles, 4u);
  EXPECT_EQ(p.l2.size_bytes, 1024u * 1024);
  EXPECT_EQ(p.llc.hit_cycles, 40u);
  EXPECT_EQ(p.memory_cycles, 200u);
  EXPECT_FALSE(p.stores_block);
  cfg.set_override("cache.l1d.size_bytes=0");
  EXPECT_FALSE(CacheModel(CacheParams::from_config(cfg)).l1d().enabled());
  cfg.set_override("cache.l2.size_bytes=1000");
  EXPECT_THROW(CacheParams::from_config(cfg), base::ConfigError);
  cfg.set_override("cache.l2.size_bytes=0");
  cfg.set_override("cache.line_bytes=48");
  EXPECT_THROW(CacheParams::from_config(cfg), base::ConfigError);
}

}  // namespace
}  // namespace hvsim::cache
