// Unit tests of the MMU (TLBs + paging-structure caches + walker + cache
// model) against a mock memory: stale translations, invalidations (SDM
// Vol. 3 4.10.4.1), paging-structure caches skipping levels (4.10.3), the
// dirty-flag re-walk (4.8) and walk costs through the cache model.
#include "sim/mmu/mmu.h"

#include <gtest/gtest.h>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "tests/unit/mmu/mock_paging.h"

namespace hvsim::mmu {
namespace {

using namespace hvsim::mmu::test;

constexpr uint64_t kLeaf = kPteP | kPteRw | kPteUs | kPteA | kPteD;
constexpr AccessCtx kRead{Access::kRead, false, false};
constexpr AccessCtx kWrite{Access::kWrite, false, false};
constexpr AccessCtx kFetch{Access::kExec, false, false};

class MmuTest : public ::testing::Test {
 protected:
  explicit MmuTest(MmuParams p = {}) : mmu(p) {}

  uint64_t pa(uint64_t la, const AccessCtx& ctx = kRead) {
    Translation t;
    uint32_t err = 0;
    const WalkStatus st = mmu.translate(la, ctx, regs, mem, &t, &err);
    EXPECT_EQ(st, WalkStatus::kOk) << std::hex << la << " err " << err;
    return t.pa;
  }
  uint64_t refs() const { return const_cast<Mmu&>(mmu).walker().walk_refs; }

  SparseMem mem;
  Tables tables{mem, 0x100000, /*accessed=*/true};
  PagingRegs regs = long_mode(0x100000);
  Mmu mmu;
};

TEST_F(MmuTest, StaleEntryAfterPteWriteUntilInvlpg) {
  const uint64_t pte = tables.map(0x400000, 0x800000, kLeaf);
  EXPECT_EQ(pa(0x400123), 0x800123u);
  EXPECT_EQ(mmu.last_level(), kTlbMiss);
  mem.set_q(pte, 0x900000 | kLeaf);  // no INVLPG
  const uint64_t reads = mem.reads;
  EXPECT_EQ(pa(0x400123), 0x800123u);  // the TLB still holds the old page
  EXPECT_EQ(mmu.last_level(), kTlbL1);
  EXPECT_EQ(mem.reads, reads);
  mem.set_q(pte, 0);  // not present: still translated from the TLB
  EXPECT_EQ(pa(0x400123), 0x800123u);
  mem.set_q(pte, 0x900000 | kLeaf);
  mmu.invlpg(0x400000, regs);
  EXPECT_EQ(pa(0x400123), 0x900123u);
  EXPECT_EQ(mmu.last_level(), kTlbMiss);
}

TEST_F(MmuTest, EveryPageSizeIsCachedAtItsSize) {
  tables.map(0x0000'4000, 0x0010'0000'5000, kLeaf);
  tables.map(0x0040'0000, 0x0020'0060'0000, kLeaf, 2ull << 20);
  tables.map(0x0080'0000'0000, 0x0040'0000'0000, kLeaf, 1ull << 30);
  EXPECT_EQ(pa(0x4ABC), 0x0010'0000'5ABCu);
  EXPECT_EQ(pa(0x5F'FFFF), 0x0020'007F'FFFFu);
  EXPECT_EQ(pa(0x0080'3FFF'FFFF), 0x0040'3FFF'FFFFu);
  const uint64_t r = refs();
  EXPECT_EQ(pa(0x4000), 0x0010'0000'5000u);
  EXPECT_EQ(pa(0x40'0000), 0x0020'0060'0000u);
  EXPECT_EQ(pa(0x0080'0000'0000), 0x0040'0000'0000u);
  EXPECT_EQ(refs(), r);
  unsigned sizes = 0;
  mmu.tlbs().dtlb().for_each([&](const TlbEntry& e) { sizes |= 1u << (e.shift / 9 - 1); });
  EXPECT_EQ(sizes, 1u | 2u | 4u);  // shifts 12, 21, 30
}

TEST_F(MmuTest, FetchesUseTheItlbAndDataTheDtlb) {
  tables.map(0x7000, 0x9000, kLeaf);
  pa(0x7000, kFetch);
  EXPECT_NE(mmu.tlbs().itlb().lookup(0x7000, TlbTags{}), nullptr);
  EXPECT_EQ(mmu.tlbs().dtlb().lookup(0x7000, TlbTags{}), nullptr);
  pa(0x7000, kRead);
  EXPECT_EQ(mmu.last_level(), kTlbL2);
}

TEST_F(MmuTest, WriteToEntryFilledByCleanReadWalksAndSetsDirty) {
  const uint64_t pte = tables.map(0x5000, 0x6000, kPteP | kPteRw | kPteA);
  pa(0x5000, kRead);
  EXPECT_EQ(mem.q(pte) & kPteD, 0u);
  pa(0x5000, kWrite);
  EXPECT_EQ(mmu.last_level(), kTlbMiss);  // walked to set D (SDM 4.8)
  EXPECT_NE(mem.q(pte) & kPteD, 0u);
  pa(0x5000, kWrite);
  EXPECT_EQ(mmu.last_level(), kTlbL1);
  EXPECT_EQ(mmu.tlbs().clean_write_misses, 2u);  // L1 and L2 entries were clean
}

TEST_F(MmuTest, ReadOfPageWithDirtySetNeedsNoWalkToWrite) {
  tables.map(0x5000, 0x6000, kLeaf);
  pa(0x5000, kRead);
  pa(0x5000, kWrite);
  EXPECT_EQ(mmu.last_level(), kTlbL1);
}

TEST_F(MmuTest, CachedRightsThatForbidReWalk) {
  const uint64_t pte = tables.map(0x5000, 0x6000, kPteP | kPteA | kPteD);  // read-only
  pa(0x5000, kRead);
  mem.set_q(pte, 0x6000 | kLeaf);  // made writable without INVLPG
  pa(0x5000, kWrite);
  EXPECT_EQ(mmu.rights_rewalks, 1u);
  EXPECT_EQ(mmu.last_level(), kTlbMiss);
}

// Identity stage 2 that grants `rights` on one page and everything elsewhere.
class PageRightsStage2 : public Stage2 {
 public:
  PageRightsStage2(uint64_t page, uint8_t rights) : rights_(rights), page_(page) {}
  bool translate(uint64_t gpa, Access access, bool, uint64_t* hpa, uint8_t* rights) override {
    const uint8_t r = (gpa >> 12) == (page_ >> 12) ? rights_ : uint8_t{kS2All};
    if (!(r & s2_right_of(access))) return false;
    *hpa = gpa;
    if (rights) *rights = r;
    return true;
  }
  uint8_t rights_;

 private:
  uint64_t page_;
};

// A TLB entry keeps the stage-2 rights of the walk that filled it (SDM
// Vol. 3 29.4.1): a write that hits an entry a read filled on a page stage 2
// keeps read-only walks again and meets the stage-2 fault, even with the
// guest PTE writable and dirty.
TEST_F(MmuTest, EntryFilledByReadDoesNotGrantAWriteStage2Forbids) {
  tables.map(0x5000, 0x6000, kLeaf);
  PageRightsStage2 s2(0x6000, kS2Read | kS2Exec | kS2User);
  mmu.walker().set_stage2(&s2);
  pa(0x5000, kRead);
  EXPECT_EQ(mmu.translate(0x5000, kWrite, regs, mem, nullptr, nullptr), WalkStatus::kStage2Fault);
  EXPECT_EQ(mmu.rights_rewalks, 1u);
  s2.rights_ = kS2All;  // stage 2 made writable: the re-walk refills the entry
  pa(0x5000, kWrite);
  pa(0x5000, kWrite);
  EXPECT_EQ(mmu.last_level(), kTlbL1);
  mmu.walker().set_stage2(nullptr);
}

TEST_F(MmuTest, PageFaultInvalidatesTlbAndPagingStructureCaches) {
  const uint64_t pte = tables.map(0x5000, 0x6000, kPteP | kPteA | kPteD);
  tables.map(0x6000, 0x7000, kLeaf);
  pa(0x5000, kRead);
  Translation t;
  uint32_t err = 0;
  EXPECT_EQ(mmu.translate(0x5000, kWrite, regs, mem, &t, &err), WalkStatus::kPageFault);
  EXPECT_EQ(err, kPfPresent | kPfWrite);
  EXPECT_EQ(mmu.tlbs().dtlb().lookup(0x5000, TlbTags{}), nullptr);
  EXPECT_EQ(mmu.tlbs().l2().lookup(0x5000, TlbTags{}), nullptr);
  // The PDE/PDPTE/PML4E-cache entries for 0x5000 went too: a full walk.
  const uint64_t r = refs();
  pa(0x6000);
  EXPECT_EQ(refs() - r, 4u);
  (void)pte;
}

TEST_F(MmuTest, PagingStructureCachesSkipUpperLevels) {
  tables.map(0x0000'0040'0000, 0x1000, kLeaf);  // PML4[0] PDPT[0] PD[2]
  tables.map(0x0000'0040'1000, 0x2000, kLeaf);  // same PT
  tables.map(0x0000'0060'0000, 0x3000, kLeaf);  // same PD, other PT
  tables.map(0x0000'4000'0000, 0x4000, kLeaf);  // same PDPT, other PD
  tables.map(0x0080'0000'0000, 0x5000, kLeaf);  // other PML4E
  uint64_t r = refs();
  pa(0x40'0000);
  EXPECT_EQ(refs() - r, 4u);  // cold
  r = refs();
  pa(0x40'1000);
  EXPECT_EQ(refs() - r, 1u);  // PDE-cache hit: only the PTE
  EXPECT_EQ(mmu.psc().hits[0], 1u);
  r = refs();
  pa(0x60'0000);
  EXPECT_EQ(refs() - r, 2u);  // PDPTE-cache hit: PDE and PTE
  EXPECT_EQ(mmu.psc().hits[1], 1u);
  r = refs();
  pa(0x4000'0000);
  EXPECT_EQ(refs() - r, 3u);  // PML4E-cache hit
  EXPECT_EQ(mmu.psc().hits[2], 1u);
  r = refs();
  pa(0x0080'0000'0000);
  EXPECT_EQ(refs() - r, 4u);
  EXPECT_EQ(mmu.walker().refs_level[0], 5u);  // every walk read a PTE
  EXPECT_EQ(mmu.walker().refs_level[3], 2u);  // two PML4E reads
  EXPECT_EQ(mmu.walker().refs_hist[4], 2u);
  EXPECT_EQ(mmu.walker().refs_hist[1], 1u);
}

TEST_F(MmuTest, InvlpgEmptiesPagingStructureCachesOfCurrentPcid) {
  tables.map(0x40'0000, 0x1000, kLeaf);
  tables.map(0x40'1000, 0x2000, kLeaf);
  pa(0x40'0000);
  mmu.invlpg(0x7777'0000, regs);  // any address
  const uint64_t r = refs();
  pa(0x40'1000);
  EXPECT_EQ(refs() - r, 4u);
}

class MmuNoPscTest : public MmuTest {
 protected:
  static MmuParams no_psc() {
    MmuParams p;
    for (uint32_t& e : p.psc.entries) e = 0;
    return p;
  }
  MmuNoPscTest() : MmuTest(no_psc()) {}
};

TEST_F(MmuNoPscTest, ZeroEntriesDisableThem) {
  tables.map(0x40'0000, 0x1000, kLeaf);
  tables.map(0x40'1000, 0x2000, kLeaf);
  pa(0x40'0000);
  const uint64_t r = refs();
  pa(0x40'1000);
  EXPECT_EQ(refs() - r, 4u);
  EXPECT_EQ(mmu.psc().lookups, 0u);
}

// A walk whose four references hit in L1 costs exactly 4 L1 latencies.
TEST_F(MmuNoPscTest, WalkHittingL1CostsFourL1Latencies) {
  tables.map(0x40'0000, 0x1000, kLeaf);
  pa(0x40'0000);
  EXPECT_EQ(mmu.walker().last_walk_cycles(), 4u * 200u);  // cold: all from memory
  mmu.invlpg(0x40'0000, regs);
  pa(0x40'0000);
  EXPECT_EQ(mmu.walker().last_walk_cycles(), 4u * 4u);
  EXPECT_EQ(mmu.cache().l1d().hits[1], 4u);
  EXPECT_EQ(mmu.cache().l1d().misses[1], 4u);
  EXPECT_EQ(mmu.cache().l1d().hits[0] + mmu.cache().l1d().misses[0], 0u);
  // TLB probes: a DTLB (0) and L2 TLB (8) miss before the walk.
  EXPECT_EQ(mmu.last_cycles(), 8u + 16u);
  EXPECT_EQ(mmu.walker().walk_cycles, 4u * 200u + 16u);
  EXPECT_EQ(mmu.data_access(0x1000, 4, false), 200u);
  EXPECT_EQ(mmu.cache().l1d().misses[0], 1u);
}

TEST_F(MmuTest, AccessedFlagWritesAreChargedAsWalkWrites) {
  Tables cold(mem, 0x200000, /*accessed=*/false);
  cold.map(0x40'0000, 0x1000, kPteP | kPteRw);
  regs = long_mode(0x200000);
  pa(0x40'0000);
  EXPECT_EQ(mmu.walker().ad_writes, 4u);
  // 4 reads from memory, then 4 A-bit writes hitting the just-filled lines.
  EXPECT_EQ(mmu.walker().last_walk_cycles(), 4u * 200u + 4u * 4u);
}

TEST_F(MmuTest, PcidTagsKeepTwoAddressSpacesApart) {
  const uint64_t pte = tables.map(0x5000, 0x6000, kLeaf);
  regs = long_mode(0x100000, kCr4Pcide, 1);
  EXPECT_EQ(pa(0x5000), 0x6000u);
  mem.set_q(pte, 0x7000 | kLeaf);
  regs = long_mode(0x100000, kCr4Pcide, 2);
  EXPECT_EQ(pa(0x5000), 0x7000u);  // PCID 2 walks and sees the new PTE
  regs = long_mode(0x100000, kCr4Pcide, 1);
  EXPECT_EQ(pa(0x5000), 0x6000u);  // PCID 1 keeps its own entry
}

TEST_F(MmuTest, MovCr3WithBit63KeepsEntriesWithoutItFlushesNewPcid) {
  const uint64_t pte = tables.map(0x5000, 0x6000, kLeaf);
  regs = long_mode(0x100000, kCr4Pcide, 1);
  pa(0x5000);
  mem.set_q(pte, 0x7000 | kLeaf);
  mmu.mov_to_cr3(0x100001 | (1ull << 63), regs);  // SDM 4.10.4.1: no invalidation
  EXPECT_EQ(pa(0x5000), 0x6000u);
  mmu.mov_to_cr3(0x100001, regs);
  EXPECT_EQ(pa(0x5000), 0x7000u);
}

TEST_F(MmuTest, MovCr3KeepsGlobalsCr4PgeToggleFlushesThem) {
  const uint64_t g = tables.map(0x5000, 0x6000, kLeaf | kPteG);
  const uint64_t n = tables.map(0x8000, 0x9000, kLeaf);
  regs = long_mode(0x100000, kCr4Pge);
  pa(0x5000);
  pa(0x8000);
  mem.set_q(g, 0x16000 | kLeaf | kPteG);
  mem.set_q(n, 0x19000 | kLeaf);
  mmu.mov_to_cr3(0x100000, regs);  // no PCIDE: flushes PCID 0 non-global
  EXPECT_EQ(pa(0x5000), 0x6000u);  // global survives
  EXPECT_EQ(pa(0x8000), 0x19000u);
  const uint64_t old_cr4 = regs.cr4;
  regs.cr4 &= ~kCr4Pge;
  mmu.mov_to_cr4(old_cr4, regs);
  EXPECT_EQ(pa(0x5000), 0x16000u);
}

TEST_F(MmuTest, GlobalWithoutCr4PgeIsNotGlobal) {
  const uint64_t g = tables.map(0x5000, 0x6000, kLeaf | kPteG);
  pa(0x5000);
  mem.set_q(g, 0x16000 | kLeaf | kPteG);
  mmu.mov_to_cr3(0x100000, regs);
  EXPECT_EQ(pa(0x5000), 0x16000u);
}

TEST_F(MmuTest, Cr0PgClearFlushesEverything) {
  const uint64_t g = tables.map(0x5000, 0x6000, kLeaf | kPteG);
  regs = long_mode(0x100000, kCr4Pge);
  pa(0x5000);
  mem.set_q(g, 0x16000 | kLeaf | kPteG);
  PagingRegs off = regs;
  off.cr0 &= ~kCr0Pg;
  EXPECT_EQ(pa(0x5000), 0x6000u);
  mmu.mov_to_cr0(regs.cr0, off);
  EXPECT_EQ(pa(0x5000), 0x16000u);
}

// INVPCID types 0-3 (SDM Vol. 2A INVPCID; Vol. 3 4.10.4.1).
class InvpcidTest : public MmuTest {
 protected:
  void SetUp() override {
    x = tables.map(0x5000, 0x6000, kLeaf);
    g = tables.map(0xA000, 0xB000, kLeaf | kPteG);
    for (uint16_t p : {1, 2}) {
      use(p);
      pa(0x5000);
      pa(0xA000);
    }
    mem.set_q(x, 0x16000 | kLeaf);
    mem.set_q(g, 0x1B000 | kLeaf | kPteG);
    use(1);
  }
  void use(uint16_t pcid) { regs = long_mode(0x100000, kCr4Pcide | kCr4Pge, pcid); }
  bool stale(uint16_t pcid, uint64_t la) {
    use(pcid);
    const uint64_t p = pa(la);
    return p == 0x6000 || p == 0xB000;
  }
  uint64_t x = 0, g = 0;
};

TEST_F(InvpcidTest, Type0IndividualAddressKeepsGlobalsAndOtherPcids) {
  mmu.invpcid(0, 2, 0x5000, regs);
  EXPECT_TRUE(stale(1, 0x5000));
  EXPECT_TRUE(stale(2, 0xA000));
  EXPECT_FALSE(stale(2, 0x5000));
}

TEST_F(InvpcidTest, Type1SingleContextKeepsGlobals) {
  mmu.invpcid(1, 1, 0, regs);
  EXPECT_TRUE(stale(1, 0xA000));
  EXPECT_TRUE(stale(2, 0x5000));
  EXPECT_FALSE(stale(1, 0x5000));
}

TEST_F(InvpcidTest, Type2AllContextsIncludingGlobals) {
  mmu.invpcid(2, 0, 0, regs);
  EXPECT_FALSE(stale(1, 0xA000));
  EXPECT_FALSE(stale(2, 0x5000));
}

TEST_F(InvpcidTest, Type3AllContextsExceptGlobals) {
  mmu.invpcid(3, 0, 0, regs);
  EXPECT_TRUE(stale(1, 0xA000));
  EXPECT_FALSE(stale(1, 0x5000));
  EXPECT_FALSE(stale(2, 0x5000));
}

TEST_F(MmuTest, VpidTagAndEptpContextFlushes) {
  const uint64_t pte = tables.map(0x5000, 0x6000, kLeaf);
  regs.tlb_tag = 3;
  pa(0x5000);
  regs.tlb_tag = 4;
  pa(0x5000);
  mem.set_q(pte, 0x7000 | kLeaf);
  mmu.flush_tag(3);  // INVVPID single context
  regs.tlb_tag = 3;
  EXPECT_EQ(pa(0x5000), 0x7000u);
  regs.tlb_tag = 4;
  EXPECT_EQ(pa(0x5000), 0x6000u);
  mmu.flush_all();
  EXPECT_EQ(pa(0x5000), 0x7000u);
}

TEST_F(MmuTest, PagingOffBypassesTheTlb) {
  regs.cr0 &= ~kCr0Pg;
  EXPECT_EQ(pa(0x12345), 0x12345u);
  EXPECT_EQ(mmu.walker().walks, 0u);
  EXPECT_EQ(mmu.tlbs().dtlb().fills, 0u);
}

TEST(MmuParams, DeclaredOnceParsedAndStatsRegistered) {
  base::ParamRegistry reg;
  MmuParams::declare_params(reg);
  for (const base::ParamSpec& s : reg.all()) {
    EXPECT_FALSE(s.description.empty()) << s.key;
    EXPECT_TRUE(s.key.rfind("mmu.", 0) == 0 || s.key.rfind("cache.", 0) == 0) << s.key;
  }
  base::Config cfg(reg);
  cfg.set_override("mmu.psc.pde_entries=0");
  const MmuParams p = MmuParams::from_config(cfg);
  EXPECT_EQ(p.psc.entries[0], 0u);
  EXPECT_EQ(p.psc.entries[1], 4u);
  Mmu mmu(p);
  base::StatRegistry st;
  mmu.register_stats(st);
  for (const char* k :
       {"mmu.walks", "mmu.walk.refs_pte", "mmu.walk.refs_hist_6_plus", "mmu.walk.cycles",
        "mmu.psc.pde_hits", "mmu.dtlb.read_hits", "mmu.l2tlb.fetch_misses", "cache.l1d.walk_hits",
        "cache.llc.data_misses", "mmu.tlb.rights_rewalks"})
    EXPECT_NO_THROW(st.value(k)) << k;
}

}  // namespace
}  // namespace hvsim::mmu
