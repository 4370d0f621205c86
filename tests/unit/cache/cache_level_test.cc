// Unit tests of one CacheLevel's compact sets (32-bit keys and stamps):
// exact against a plain LRU with full 64-bit lines and 64-bit stamps, across
// the LRU clock's renumbering at its wrap and for lines >= 2^32 whose low
// 32 bits alias.
#include <gtest/gtest.h>

#include <vector>

#include "sim/cache/cache_model.h"
#include "tests/unit/cache/ref_lru.h"

namespace hvsim::cache {
namespace {
using test::RefLevel;

bool access(CacheLevel& c, uint64_t line, bool write) {
  uint32_t* victim = nullptr;
  if (c.lookup(line, write, &victim)) return true;
  c.fill_way(victim, line, write);
  return false;
}

// Random traffic over a few sets, with lines drawn around a base (0, or
// near 2^32 so keys alias); the clock is pushed to its wrap every so often.
void run_against_reference(uint64_t size, uint32_t ways, uint64_t base, uint64_t span) {
  CacheLevel c({size, ways, 1}, 64);
  RefLevel r(size / 64 / ways, ways);
  uint64_t x = 99;
  for (int i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t line = base + (x >> 33) % span;
    if ((x >> 20) & 1) line += 1ull << 32;  // the same key, another line
    const bool write = (x >> 7) & 1;
    if (i % 97 == 0) c.set_clock_for_test(CacheLevel::kClockMax - (i % 5));
    ASSERT_EQ(access(c, line, write), r.access(line, write)) << "access " << i;
  }
  EXPECT_EQ(c.writebacks, r.writebacks);
  for (uint64_t l = base; l < base + span; ++l) {
    EXPECT_EQ(c.contains(l), r.contains(l));
    EXPECT_EQ(c.contains(l + (1ull << 32)), r.contains(l + (1ull << 32)));
  }
}

TEST(CacheLevel, ExactAgainstPlainLruAcrossClockWrap) {
  run_against_reference(16 * 64 * 4, 4, 0, 300);  // 16 sets x 4 ways
}

TEST(CacheLevel, ExactWithAliasingKeysAboveFourGiBLines) {
  run_against_reference(16 * 64 * 4, 4, 0xffffff00ull, 600);  // crosses 2^32 - 1
}

TEST(CacheLevel, ExactWithNonPowerOfTwoSetsAndWideWays) {
  run_against_reference(12 * 64 * 20, 20, 5, 700);  // 12 sets x 20 ways
}

// The geometries of the default hierarchy (8-way L1, 16-way L2/LLC: the
// victim found four stamps at a time) and one whose ways are not a
// multiple of 4 (one at a time).
TEST(CacheLevel, ExactWithEightAndSixteenWays) {
  run_against_reference(8 * 64 * 8, 8, 0, 400);
  run_against_reference(8 * 64 * 16, 16, 3, 700);
  run_against_reference(8 * 64 * 6, 6, 0, 300);
}

// Until a line >= 2^32 - 1 is seen only the low 32 bits are compared: the
// line whose key equals an invalid way's must still miss.
TEST(CacheLevel, KeyOfAnInvalidWayNeverHits) {
  CacheLevel c({4 * 64 * 2, 2, 1}, 64);
  EXPECT_FALSE(c.contains(0xffffffffull));
  EXPECT_FALSE(access(c, 0xffffffffull, false));
  EXPECT_TRUE(c.contains(0xffffffffull));
  EXPECT_FALSE(c.contains(0x1ffffffffull));
  EXPECT_TRUE(access(c, 0xffffffffull, false));
}

}  // namespace
}  // namespace hvsim::cache
