// Unit tests of one TLB level and of the TLB hierarchy (SDM Vol. 3 4.10.2,
// 4.10.4): geometry and LRU, page sizes per level, PCID/VPID/EPTP tags,
// global entries, every invalidation scope, parameters.
#include "sim/mmu/tlb.h"

#include <gtest/gtest.h>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/mmu/tlb_hierarchy.h"

namespace hvsim::mmu {
namespace {

constexpr uint64_t k4K = 1ull << 12, k2M = 1ull << 21, k1G = 1ull << 30;

Translation tr(uint64_t pa, uint64_t size = k4K, bool global = false, bool dirty = true) {
  Translation t;
  t.pa = pa;
  t.gpa = pa;
  t.page_size = size;
  t.writable = true;
  t.user = true;
  t.global = global;
  t.dirty = dirty;
  return t;
}

const TlbTags kNative{};

// Fills page number `vpn` (4 KiB) mapping to frame vpn + 0x1000.
void fill_page(Tlb& t, uint64_t vpn, const TlbTags& tags = kNative) {
  ASSERT_TRUE(t.fill(vpn << 12, tr((vpn + 0x1000) << 12), tags));
}

TEST(Tlb, HitReturnsCachedTranslationMissOtherwise) {
  Tlb t({16, 4, kPage4K});
  fill_page(t, 5);
  const TlbEntry* e = t.lookup(0x5123, kNative);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pa_page, 0x1005000u);
  EXPECT_EQ(e->la_page(), 0x5000u);
  EXPECT_EQ(t.lookup(0x6000, kNative), nullptr);
}

TEST(Tlb, DisabledWithZeroEntries) {
  Tlb t({0, 1, kPage4K});
  EXPECT_FALSE(t.enabled());
  EXPECT_FALSE(t.fill(0x1000, tr(0x2000), kNative));
  EXPECT_EQ(t.lookup(0x1000, kNative), nullptr);
}

// Direct-mapped: 4 sets of 1 way; pages 0 and 4 collide in set 0.
TEST(Tlb, DirectMappedConflictEvicts) {
  Tlb t({4, 1, kPage4K});
  fill_page(t, 0);
  fill_page(t, 1);
  fill_page(t, 4);
  EXPECT_EQ(t.lookup(0x0, kNative), nullptr);
  EXPECT_NE(t.lookup(0x1000, kNative), nullptr);
  EXPECT_NE(t.lookup(0x4000, kNative), nullptr);
  EXPECT_EQ(t.evictions, 1u);
}

// 2-way, 4 sets: pages 0, 4, 8 share set 0; the least recently used goes.
TEST(Tlb, SetAssociativeEvictsLeastRecentlyUsed) {
  Tlb t({8, 2, kPage4K});
  fill_page(t, 0);
  fill_page(t, 4);
  ASSERT_NE(t.lookup(0x0, kNative), nullptr);  // 0 becomes most recent
  fill_page(t, 8);                             // evicts 4
  EXPECT_NE(t.lookup(0x0, kNative), nullptr);
  EXPECT_EQ(t.lookup(0x4000, kNative), nullptr);
  EXPECT_NE(t.lookup(0x8000, kNative), nullptr);
}

TEST(Tlb, FullyAssociativeHoldsAnyPagesAndEvictsLru) {
  Tlb t({4, 4, kPage4K});
  for (uint64_t v : {3, 17, 1000, 64}) fill_page(t, v);
  for (uint64_t v : {3, 17, 1000, 64}) EXPECT_NE(t.lookup(v << 12, kNative), nullptr) << v;
  ASSERT_NE(t.lookup(3ull << 12, kNative), nullptr);  // 17 is now LRU
  fill_page(t, 99);
  EXPECT_EQ(t.lookup(17ull << 12, kNative), nullptr);
  EXPECT_NE(t.lookup(3ull << 12, kNative), nullptr);
  EXPECT_NE(t.lookup(99ull << 12, kNative), nullptr);
}

TEST(Tlb, NonPowerOfTwoSetCount) {
  Tlb t({12, 4, kPage4K});  // 3 sets: pages 0, 3, 6, 9, 12 share set 0
  for (uint64_t v : {0, 3, 6, 9, 12}) fill_page(t, v);
  EXPECT_EQ(t.lookup(0x0, kNative), nullptr);
  for (uint64_t v : {3, 6, 9, 12}) EXPECT_NE(t.lookup(v << 12, kNative), nullptr) << v;
}

TEST(Tlb, RefillOfSamePageReplacesInPlace) {
  Tlb t({4, 4, kPage4K});
  ASSERT_TRUE(t.fill(0x1000, tr(0x5000, k4K, false, /*dirty=*/false), kNative));
  ASSERT_TRUE(t.fill(0x1000, tr(0x5000, k4K, false, /*dirty=*/true), kNative));
  unsigned n = 0;
  t.for_each([&](const TlbEntry&) { ++n; });
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(t.lookup(0x1000, kNative)->dirty);
  EXPECT_EQ(t.evictions, 0u);
}

TEST(Tlb, LargePagesWhereHeld) {
  Tlb t({16, 4, kPage4K | kPage2M | kPage1G});
  ASSERT_TRUE(t.fill(0x40201234, tr(0x80201234, k2M), kNative));
  const TlbEntry* e = t.lookup(0x403FFFFF, kNative);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size(), k2M);
  EXPECT_EQ(e->pa_page, 0x80200000u);
  ASSERT_TRUE(t.fill(0x1'4000'0000, tr(0x2'0000'0000, k1G), kNative));
  e = t.lookup(0x1'7FFF'FFFF, kNative);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size(), k1G);
  EXPECT_EQ(e->pa_page, 0x2'0000'0000u);
}

// A 4 KiB-only level splinters a 2 MiB page into the 4 KiB piece used.
TEST(Tlb, SplintersLargePageIntoHeldSize) {
  Tlb t({16, 4, kPage4K});
  ASSERT_TRUE(t.fill(0x40234567, tr(0x80234567, k2M), kNative));
  const TlbEntry* e = t.lookup(0x40234000, kNative);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size(), k4K);
  EXPECT_EQ(e->pa_page, 0x80234000u);
  EXPECT_EQ(t.lookup(0x40235000, kNative), nullptr);  // the rest of the 2 MiB page
  // A 1 GiB page in a 4k,2m level becomes a 2 MiB piece.
  Tlb t2({16, 4, kPage4K | kPage2M});
  ASSERT_TRUE(t2.fill(0x4060'0010, tr(0x8060'0010, k1G), kNative));
  e = t2.lookup(0x4070'0000, kNative);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->size(), k2M);
  EXPECT_EQ(e->pa_page, 0x8060'0000u);
}

TEST(Tlb, LevelWithoutSmallSizeCannotHoldSmallPage) {
  Tlb t({16, 4, kPage2M});
  EXPECT_FALSE(t.fill(0x1000, tr(0x2000), kNative));
  EXPECT_EQ(t.lookup(0x1000, kNative), nullptr);
  EXPECT_TRUE(t.fill(0x200000, tr(0x400000, k2M), kNative));
}

TEST(Tlb, PcidTagsSeparateSamePage) {
  Tlb t({16, 4, kPage4K});
  const TlbTags a{1, 0, 0}, b{2, 0, 0};
  ASSERT_TRUE(t.fill(0x7000, tr(0xA000), a));
  ASSERT_TRUE(t.fill(0x7000, tr(0xB000), b));
  EXPECT_EQ(t.lookup(0x7000, a)->pa_page, 0xA000u);
  EXPECT_EQ(t.lookup(0x7000, b)->pa_page, 0xB000u);
  EXPECT_EQ(t.lookup(0x7000, TlbTags{3, 0, 0}), nullptr);
}

TEST(Tlb, GlobalEntryMatchesEveryPcidButNotOtherVpidOrEptp) {
  Tlb t({16, 4, kPage4K});
  ASSERT_TRUE(t.fill(0x7000, tr(0xA000, k4K, /*global=*/true), TlbTags{1, 0, 0}));
  EXPECT_NE(t.lookup(0x7000, TlbTags{9, 0, 0}), nullptr);
  EXPECT_EQ(t.lookup(0x7000, TlbTags{1, 5, 0}), nullptr);  // other VPID
  EXPECT_EQ(t.lookup(0x7000, TlbTags{1, 0, 7}), nullptr);  // other EPTP
}

TEST(Tlb, VpidAndEptpTagsSeparateSamePage) {
  Tlb t({16, 4, kPage4K});
  ASSERT_TRUE(t.fill(0x7000, tr(0xA000), TlbTags{0, 1, 0x111000}));
  ASSERT_TRUE(t.fill(0x7000, tr(0xB000), TlbTags{0, 2, 0x111000}));
  ASSERT_TRUE(t.fill(0x7000, tr(0xC000), TlbTags{0, 1, 0x222000}));
  EXPECT_EQ(t.lookup(0x7000, TlbTags{0, 1, 0x111000})->pa_page, 0xA000u);
  EXPECT_EQ(t.lookup(0x7000, TlbTags{0, 2, 0x111000})->pa_page, 0xB000u);
  EXPECT_EQ(t.lookup(0x7000, TlbTags{0, 1, 0x222000})->pa_page, 0xC000u);
  EXPECT_EQ(t.lookup(0x7000, kNative), nullptr);
}

// ---- invalidation scopes (SDM 4.10.4.1) ----------------------------------

class TlbFlushTest : public ::testing::Test {
 protected:
  // PCID 1: pages 1 (non-global) and 2 (global); PCID 2: pages 1 and 3;
  // VPID 5: page 1; a 2 MiB page at 0x200000 for PCID 1.
  void SetUp() override {
    ASSERT_TRUE(t.fill(0x1000, tr(0x11000), TlbTags{1, 0, 0}));
    ASSERT_TRUE(t.fill(0x2000, tr(0x12000, k4K, true), TlbTags{1, 0, 0}));
    ASSERT_TRUE(t.fill(0x1000, tr(0x21000), TlbTags{2, 0, 0}));
    ASSERT_TRUE(t.fill(0x3000, tr(0x23000), TlbTags{2, 0, 0}));
    ASSERT_TRUE(t.fill(0x1000, tr(0x51000), TlbTags{1, 5, 0}));
    ASSERT_TRUE(t.fill(0x200000, tr(0x400000, k2M), TlbTags{1, 0, 0}));
  }
  bool has(uint64_t la, uint16_t pcid, uint32_t tag = 0) {
    return t.lookup(la, TlbTags{pcid, tag, 0}) != nullptr;
  }
  Tlb t{{64, 64, kPage4K | kPage2M}};
};

TEST_F(TlbFlushTest, ByAddressCurrentPcidAndGlobals) {  // INVLPG
  t.flush(TlbFlush::with(PcidScope::kPcidOrGlobal, 2).at(0x2FFF).in_tag(0));
  EXPECT_FALSE(has(0x2000, 1));  // the global page goes though PCID 1 filled it
  t.flush(TlbFlush::with(PcidScope::kPcidOrGlobal, 1).at(0x1000).in_tag(0));
  EXPECT_FALSE(has(0x1000, 1));
  EXPECT_TRUE(has(0x1000, 2));     // other PCID kept
  EXPECT_TRUE(has(0x1000, 1, 5));  // other VPID kept
  EXPECT_TRUE(has(0x3000, 2));
}

TEST_F(TlbFlushTest, ByAddressReachesLargePageContainingIt) {
  t.flush(TlbFlush::with(PcidScope::kPcidOrGlobal, 1).at(0x3ABCDE));
  EXPECT_FALSE(has(0x200000, 1));
  EXPECT_TRUE(has(0x1000, 1));
}

TEST_F(TlbFlushTest, ByAddressAndPcidKeepsGlobals) {  // INVPCID type 0
  t.flush(TlbFlush::with(PcidScope::kPcidNonGlobal, 1).at(0x2000).in_tag(0));
  EXPECT_TRUE(has(0x2000, 1));
  t.flush(TlbFlush::with(PcidScope::kPcidNonGlobal, 2).at(0x1000).in_tag(0));
  EXPECT_FALSE(has(0x1000, 2));
  EXPECT_TRUE(has(0x1000, 1));
}

TEST_F(TlbFlushTest, ByPcidKeepsGlobalsAndOtherPcids) {  // INVPCID 1, MOV CR3
  const unsigned n = t.flush(TlbFlush::with(PcidScope::kPcidNonGlobal, 1).in_tag(0));
  EXPECT_EQ(n, 2u);  // page 1 and the 2 MiB page
  EXPECT_FALSE(has(0x1000, 1));
  EXPECT_FALSE(has(0x200000, 1));
  EXPECT_TRUE(has(0x2000, 1));  // global survives a non-global flush
  EXPECT_TRUE(has(0x1000, 2));
  EXPECT_TRUE(has(0x3000, 2));
}

TEST_F(TlbFlushTest, AllNonGlobal) {  // INVPCID type 3
  t.flush(TlbFlush::with(PcidScope::kNonGlobal).in_tag(0));
  EXPECT_TRUE(has(0x2000, 7));
  EXPECT_FALSE(has(0x1000, 1));
  EXPECT_FALSE(has(0x1000, 2));
  EXPECT_FALSE(has(0x3000, 2));
  EXPECT_TRUE(has(0x1000, 1, 5));
}

TEST_F(TlbFlushTest, AllIncludingGlobals) {  // INVPCID type 2, CR4.PGE toggle
  t.flush(TlbFlush::with(PcidScope::kAll).in_tag(0));
  EXPECT_FALSE(has(0x2000, 1));
  EXPECT_FALSE(has(0x1000, 2));
  EXPECT_TRUE(has(0x1000, 1, 5));
  t.flush(TlbFlush::with(PcidScope::kAll));
  EXPECT_FALSE(has(0x1000, 1, 5));
}

TEST_F(TlbFlushTest, ByTagAndByContext) {  // INVVPID / INVEPT single context
  ASSERT_TRUE(t.fill(0x9000, tr(0x99000), TlbTags{0, 0, 0xE000}));
  t.flush(TlbFlush::with(PcidScope::kAll).in_tag(5));
  EXPECT_FALSE(has(0x1000, 1, 5));
  EXPECT_TRUE(has(0x1000, 1));
  EXPECT_NE(t.lookup(0x9000, TlbTags{0, 0, 0xE000}), nullptr);
  t.flush(TlbFlush::with(PcidScope::kAll).in_ctx(0xE000));
  EXPECT_EQ(t.lookup(0x9000, TlbTags{0, 0, 0xE000}), nullptr);
  EXPECT_TRUE(has(0x1000, 1));
}

// ---- hierarchy -------------------------------------------------------------

TlbHierarchyParams small_hierarchy() {
  TlbHierarchyParams p;
  p.itlb = {{4, 4, kPage4K}, 1};
  p.dtlb = {{4, 4, kPage4K | kPage2M}, 1};
  p.l2 = {{16, 4, kPage4K | kPage2M}, 7};
  return p;
}

TEST(TlbHierarchy, L1HitL2HitAndMissCostsAndStats) {
  TlbHierarchy h(small_hierarchy());
  TlbLookup r = h.lookup(0x5000, Access::kRead, kNative);
  EXPECT_EQ(r.level, kTlbMiss);
  EXPECT_EQ(r.cycles, 8u);
  h.fill(0x5000, Access::kRead, tr(0x9000), kNative);
  r = h.lookup(0x5000, Access::kRead, kNative);
  EXPECT_EQ(r.level, kTlbL1);
  EXPECT_EQ(r.cycles, 1u);
  EXPECT_EQ(r.entry->pa_page, 0x9000u);
  // The ITLB does not have it; the unified L2 does, and refills the ITLB.
  r = h.lookup(0x5000, Access::kExec, kNative);
  EXPECT_EQ(r.level, kTlbL2);
  EXPECT_EQ(r.cycles, 8u);
  EXPECT_EQ(h.lookup(0x5000, Access::kExec, kNative).level, kTlbL1);
  EXPECT_EQ(h.misses[0][0], 1u);  // read: L1 miss
  EXPECT_EQ(h.misses[0][1], 1u);  // read: L2 miss
  EXPECT_EQ(h.hits[0][0], 1u);
  EXPECT_EQ(h.misses[2][0], 1u);  // fetch: ITLB miss
  EXPECT_EQ(h.hits[2][1], 1u);    // fetch: L2 hit
  EXPECT_EQ(h.hits[2][0], 1u);
}

TEST(TlbHierarchy, L2KeepsWhatL1Evicted) {
  TlbHierarchy h(small_hierarchy());
  for (uint64_t v = 0; v < 5; ++v) h.fill(v << 12, Access::kRead, tr((v + 16) << 12), kNative);
  EXPECT_EQ(h.dtlb().evictions, 1u);
  const TlbLookup r = h.lookup(0x0, Access::kRead, kNative);
  EXPECT_EQ(r.level, kTlbL2);
  EXPECT_EQ(r.entry->pa_page, 0x10000u);
}

TEST(TlbHierarchy, WriteToCleanEntryIsAMiss) {
  TlbHierarchy h(small_hierarchy());
  h.fill(0x5000, Access::kRead, tr(0x9000, k4K, false, /*dirty=*/false), kNative);
  EXPECT_EQ(h.lookup(0x5000, Access::kRead, kNative).level, kTlbL1);
  EXPECT_EQ(h.lookup(0x5000, Access::kWrite, kNative).level, kTlbMiss);
  EXPECT_EQ(h.clean_write_misses, 2u);  // in L1 and in L2
  h.fill(0x5000, Access::kWrite, tr(0x9000, k4K, false, /*dirty=*/true), kNative);
  EXPECT_EQ(h.lookup(0x5000, Access::kWrite, kNative).level, kTlbL1);
}

TEST(TlbHierarchy, EvictionListenerSeesCapacityEvictionsOnly) {
  TlbHierarchy h(small_hierarchy());
  struct Seen {
    unsigned n = 0;
    uint64_t la = 0;
  } seen;
  h.dtlb().set_evict_listener(
      [](void* c, uint64_t la, uint64_t) {
        auto* s = static_cast<Seen*>(c);
        ++s->n;
        s->la = la;
      },
      &seen);
  for (uint64_t v = 0; v < 5; ++v) h.fill(v << 12, Access::kRead, tr((v + 16) << 12), kNative);
  EXPECT_EQ(seen.n, 1u);
  EXPECT_EQ(seen.la, 0x0u);
  h.flush(TlbFlush::with(PcidScope::kAll));
  EXPECT_EQ(seen.n, 1u);
}

TEST(TlbHierarchy, ParamsDeclaredParsedAndChecked) {
  base::ParamRegistry reg;
  TlbHierarchyParams::declare_params(reg);
  for (const char* k :
       {"mmu.itlb.entries", "mmu.dtlb.ways", "mmu.l2tlb.hit_cycles", "mmu.dtlb.page_sizes"}) {
    const base::ParamSpec* s = reg.find(k);
    ASSERT_NE(s, nullptr) << k;
    EXPECT_FALSE(s->description.empty());
  }
  base::Config cfg(reg);
  TlbHierarchyParams p = TlbHierarchyParams::from_config(cfg);
  EXPECT_EQ(p.dtlb.geometry.entries, 64u);
  EXPECT_EQ(p.dtlb.geometry.ways, 4u);
  EXPECT_EQ(p.l2.geometry.entries, 1536u);
  EXPECT_EQ(p.dtlb.geometry.sizes, kPage4K | kPage2M | kPage1G);
  cfg.set_override("mmu.itlb.page_sizes=4k,1g");
  cfg.set_override("mmu.l2tlb.entries=0");
  p = TlbHierarchyParams::from_config(cfg);
  EXPECT_EQ(p.itlb.geometry.sizes, kPage4K | kPage1G);
  EXPECT_FALSE(TlbHierarchy(p).l2().enabled());
  cfg.set_override("mmu.dtlb.page_sizes=4k,8m");
  EXPECT_THROW(TlbHierarchyParams::from_config(cfg), base::ConfigError);
  cfg.set_override("mmu.dtlb.page_sizes=4k");
  cfg.set_override("mmu.dtlb.entries=10");
  EXPECT_THROW(TlbHierarchyParams::from_config(cfg), base::ConfigError);
}

TEST(TlbHierarchy, StatsRegisteredWithUnits) {
  TlbHierarchy h;
  base::StatRegistry st;
  h.register_stats(st);
  h.lookup(0x1000, Access::kWrite, kNative);
  EXPECT_EQ(st.value("mmu.dtlb.write_misses"), 1u);
  EXPECT_EQ(st.value("mmu.l2tlb.write_misses"), 1u);
  EXPECT_EQ(st.value("mmu.itlb.fetch_hits"), 0u);
  for (const base::StatSpec& s : st.all()) {
    EXPECT_FALSE(s.unit.empty()) << s.name;
    EXPECT_FALSE(s.description.empty()) << s.name;
  }
}

}  // namespace
}  // namespace hvsim::mmu
