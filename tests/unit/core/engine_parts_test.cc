// The engine's side objects on their own: the host-pointer TLB and the
// decoded-block cache.
#include <gtest/gtest.h>

#include <memory>

#include "sim/core/block_cache.h"
#include "sim/core/host_tlb.h"

namespace hvsim::core {
namespace {

uint8_t page_a[4096], page_b[4096];

TEST(HostTlb, HitNeedsTagPrivilegeAndRoomInThePage) {
  HostTlb t;
  t.fill(HostTlb::kRead, 0x7000, 0x123000, page_a, false);
  const HostTlbEntry& e = t.entry(HostTlb::kRead, 0x7ff8);
  EXPECT_TRUE(HostTlb::hit(e, 0x7ff8, 0, 8));
  EXPECT_FALSE(HostTlb::hit(e, 0x7ffc, 0, 8)) << "crosses the page end";
  EXPECT_FALSE(HostTlb::hit(e, 0x7ff8, 1, 8)) << "filled for supervisor accesses";
  EXPECT_FALSE(HostTlb::hit(t.entry(HostTlb::kWrite, 0x7000), 0x7000, 0, 1)) << "kinds apart";
  EXPECT_EQ(e.pa, 0x123000u);
  EXPECT_EQ(e.host, page_a);
  // Same index, other page: a miss.
  const uint64_t alias = 0x7000 + (uint64_t{1} << (12 + HostTlb::kBits));
  EXPECT_FALSE(HostTlb::hit(t.entry(HostTlb::kRead, alias), alias, 0, 1));
}

TEST(HostTlb, FlushPageAnyFlushesEverythingOnceALargePageWasCached) {
  HostTlb t;
  t.fill(HostTlb::kRead, 0x1000, 0x1000, page_a, false);
  t.fill(HostTlb::kExec, 0x2000, 0x2000, page_b, false);
  t.flush_page_any(0x1000);  // 4 KiB pages only: that page alone
  EXPECT_FALSE(HostTlb::hit(t.entry(HostTlb::kRead, 0x1000), 0x1000, 0, 1));
  EXPECT_TRUE(HostTlb::hit(t.entry(HostTlb::kExec, 0x2000), 0x2000, 0, 1));
  t.note_large_page();
  t.flush_page_any(0x5000);
  EXPECT_FALSE(HostTlb::hit(t.entry(HostTlb::kExec, 0x2000), 0x2000, 0, 1));
}

// flush() clears the slots it logged while filling, or every slot once more
// were filled than the log holds (128): either way nothing filled survives.
TEST(HostTlb, FlushClearsEveryFilledEntryWithFewOrManyFills) {
  for (unsigned n : {3u, 127u, 128u, 129u, 3000u}) {
    HostTlb t;
    for (unsigned k = 0; k < n; ++k) {
      const uint64_t la = uint64_t{k} << 12;
      t.fill(static_cast<HostTlb::Kind>(k % 3), la, la, page_a, k & 1);
    }
    t.flush();
    for (unsigned k = 0; k < n; ++k) {
      const uint64_t la = uint64_t{k} << 12;
      EXPECT_FALSE(HostTlb::hit(t.entry(static_cast<HostTlb::Kind>(k % 3), la), la, k & 1, 1))
          << n << " fills, entry " << k;
    }
    // The log starts again empty: one fill after the flush, one flush.
    t.fill(HostTlb::kRead, 0x5000, 0x5000, page_b, false);
    EXPECT_TRUE(HostTlb::hit(t.entry(HostTlb::kRead, 0x5000), 0x5000, 0, 1));
    t.flush();
    EXPECT_FALSE(HostTlb::hit(t.entry(HostTlb::kRead, 0x5000), 0x5000, 0, 1)) << n;
  }
}

TEST(HostTlb, DropWritesToRemovesOnlyWriteEntriesOfThatPhysicalPage) {
  HostTlb t;
  t.fill(HostTlb::kWrite, 0x1000, 0x9000, page_a, false);
  t.fill(HostTlb::kWrite, 0x8000, 0x9000, page_a, true);  // an alias of the same page
  t.fill(HostTlb::kWrite, 0x2000, 0xa000, page_b, false);
  t.fill(HostTlb::kRead, 0x1000, 0x9000, page_a, false);
  t.drop_writes_to(0x9000);
  EXPECT_FALSE(HostTlb::hit(t.entry(HostTlb::kWrite, 0x1000), 0x1000, 0, 1));
  EXPECT_FALSE(HostTlb::hit(t.entry(HostTlb::kWrite, 0x8000), 0x8000, 1, 1));
  EXPECT_TRUE(HostTlb::hit(t.entry(HostTlb::kWrite, 0x2000), 0x2000, 0, 1));
  EXPECT_TRUE(HostTlb::hit(t.entry(HostTlb::kRead, 0x1000), 0x1000, 0, 1));
}

std::unique_ptr<Block> block(uint64_t pa, uint8_t mode = 0) {
  auto b = std::make_unique<Block>();
  b->key = BlockCache::key_of(pa, mode);
  return b;
}

TEST(BlockCache, FindsInsertedBlocksByAddressAndMode) {
  BlockCache c;
  Block* b = nullptr;
  EXPECT_TRUE(c.insert(block(0x5010), 0x5, &b)) << "the page's first block";
  Block* b2 = nullptr;
  EXPECT_FALSE(c.insert(block(0x5010, 5), 0x5, &b2)) << "the page already holds code";
  EXPECT_EQ(c.find(BlockCache::key_of(0x5010, 0)), b);
  EXPECT_EQ(c.find(BlockCache::key_of(0x5010, 5)), b2);
  EXPECT_EQ(c.find(BlockCache::key_of(0x5020, 0)), nullptr);
  EXPECT_TRUE(c.is_code_page(0x5));
  EXPECT_FALSE(c.is_code_page(0x6));
}

TEST(BlockCache, InvalidatedBlocksStayAliveUntilRetired) {
  BlockCache c;
  Block* b = nullptr;
  c.insert(block(0x5010), 0x5, &b);
  b->insns.resize(3);
  EXPECT_TRUE(c.invalidate_page(0x5));
  EXPECT_FALSE(c.invalidate_page(0x5)) << "nothing left there";
  EXPECT_EQ(c.find(BlockCache::key_of(0x5010, 0)), nullptr);
  EXPECT_FALSE(c.is_code_page(0x5));
  EXPECT_EQ(b->insns.size(), 3u) << "may still be executing: kept in the graveyard";
  c.retire();
}

TEST(BlockCache, ClearDropsEveryBlock) {
  BlockCache c;
  Block* b = nullptr;
  c.insert(block(0x5010), 0x5, &b);
  c.insert(block(0x7000), 0x7, &b);
  c.clear();
  EXPECT_EQ(c.find(BlockCache::key_of(0x5010, 0)), nullptr);
  EXPECT_EQ(c.find(BlockCache::key_of(0x7000, 0)), nullptr);
  EXPECT_FALSE(c.is_code_page(0x7));
  c.retire();
}

}  // namespace
}  // namespace hvsim::core
