// The ooo model's memory side: overlapping misses limited by the MSHRs,
// store-to-load forwarding, stores off the critical path, MLP statistics.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/unit/timing/stream.h"

namespace hvsim::timing {
namespace {

using namespace testing;

constexpr uint32_t kDram = 200;  // a miss to memory, as the cache model reports it

// n loads to distinct lines, each missing to DRAM; independent (base R15) or
// a pointer chase (base = the previous destination).
uint64_t misses(unsigned n, bool dependent, ooo::OooParams p = {}) {
  ooo::OooCore c{p};
  for (unsigned i = 0; i < n; ++i)
    c.retire(load(0, dependent ? 0 : 15, 0x100000 + uint64_t{i} * 4096, kDram));
  return c.cycles();
}

TEST(OooMemory, IndependentMissesOverlapUpToTheMshrCount) {
  const ooo::OooParams p;  // 10 MSHRs
  const uint64_t one = misses(1, false), ten = misses(p.mshrs, false),
                 twenty = misses(2 * p.mshrs, false), chain = misses(p.mshrs, true);
  std::printf(
      "DRAM misses: 1 -> %llu cycles, %u independent -> %llu, %u -> %llu, "
      "%u dependent -> %llu\n",
      (unsigned long long)one, p.mshrs, (unsigned long long)ten, 2 * p.mshrs,
      (unsigned long long)twenty, p.mshrs, (unsigned long long)chain);
  EXPECT_LT(ten, one + 20);        // all ten in flight together
  EXPECT_GE(twenty, one + kDram);  // the eleventh waits for an MSHR
  EXPECT_LT(twenty, one + kDram + 20);
  EXPECT_GE(chain, uint64_t{p.mshrs} * kDram);  // a pointer chase cannot overlap
}

TEST(OooMemory, MshrCountChangesOverlap) {
  ooo::OooParams p;
  p.mshrs = 4;
  EXPECT_GE(misses(8, false, p), 2 * kDram);
  p.mshrs = 8;
  EXPECT_LT(misses(8, false, p), kDram + 20);
}

TEST(OooMemory, MlpStatistic) {
  ooo::OooCore c{ooo::OooParams{}};
  for (unsigned i = 0; i < 100; ++i)
    c.retire(load(i % 8, 15, 0x100000 + uint64_t{i} * 4096, kDram));
  const ooo::MissStats& m = c.miss_stats();
  const double mlp = static_cast<double>(m.miss_cycles) / static_cast<double>(m.busy_cycles);
  std::printf("MLP of 100 independent misses: %.2f\n", mlp);
  EXPECT_EQ(m.misses, 100u);
  EXPECT_GT(mlp, 9.0);
  EXPECT_LE(mlp, 10.0);
}

TEST(OooMemory, SecondAccessToALineBeingFilledWaitsForTheFill) {
  ooo::OooCore c{ooo::OooParams{}};
  c.retire(load(1, 15, 0x100000, kDram));
  // The cache model already holds the line (functional fill): it reports a
  // hit, but the data is only there when the first miss completes.
  c.retire(load(2, 15, 0x100008, 4));
  EXPECT_GE(c.cycles(), kDram);
  EXPECT_EQ(c.miss_stats().merged, 1u);
}

TEST(OooMemory, StoreToLoadForwarding) {
  const ooo::OooParams p;
  ooo::OooCore c{p};
  c.retire(op2(k_alu, 1, 1));
  c.retire(store(15, 1, 0x5000, 4));
  const uint64_t before = c.cycles();
  // MOV RAX, [0x5000] then ADD RAX, RAX: the load is served by the store.
  c.retire(load(0, 15, 0x5000, 4));
  c.retire(op2(k_alu, 0, 0));
  EXPECT_EQ(c.miss_stats().forwarded, 1u);
  EXPECT_GE(c.cycles() - before, p.store_forward_cycles);
}

TEST(OooMemory, LockedInstructionWaitsForOlderStoresAndHoldsYoungerLoads) {
  auto run = [](bool locked) {
    ooo::OooCore c{ooo::OooParams{}};
    c.retire(store(15, 1, 0x200000, kDram));         // a store that misses
    RetireInfo lock_add = load(2, 14, 0x300000, 4);  // LOCK ADD [R14], ... (hits)
    lock_add.tclass = k_atomic;
    lock_add.add_access(0x300000, 8, MemKind::kStore, 4);
    if (locked) lock_add.flags |= kFence;
    c.retire(lock_add);
    c.retire(load(3, 13, 0x400000, 4));  // a younger, independent load
    return c.cycles();
  };
  const uint64_t plain = run(false), locked = run(true);
  EXPECT_LT(plain, kDram);             // the store's miss is off the critical path
  EXPECT_GE(locked, uint64_t{kDram});  // the locked RMW waits for it
}

TEST(OooMemory, StoreMissesAreOffTheCriticalPath) {
  ooo::OooCore c{ooo::OooParams{}};
  for (int i = 0; i < 8; ++i) c.retire(store(15, 1, 0x200000 + uint64_t(i) * 4096, kDram));
  for (int i = 0; i < 100; ++i) c.retire(op2(k_alu, 0, 1));
  // The stores retire into the store queue; their RFOs overlap the adds.
  EXPECT_LT(c.cycles(), 150u);
}

TEST(OooMemory, LoadQueueFullStallsRename) {
  ooo::OooParams p;
  p.lq_entries = 4;
  p.mshrs = 64;
  ooo::OooCore small{p};
  p.lq_entries = 72;
  ooo::OooCore big{p};
  for (unsigned i = 0; i < 32; ++i) {
    small.retire(load(i % 8, 15, 0x100000 + uint64_t{i} * 4096, kDram));
    big.retire(load(i % 8, 15, 0x100000 + uint64_t{i} * 4096, kDram));
  }
  EXPECT_GE(small.cycles(), 8 * kDram);  // four misses at a time
  EXPECT_LT(big.cycles(), kDram + 40);
}

}  // namespace
}  // namespace hvsim::timing
