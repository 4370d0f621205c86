// Unit tests of the page walker (SDM Vol. 3 ch. 4) against a sparse mock of
// physical memory.
#include "sim/mmu/walker.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace hvsim::mmu {
namespace {

constexpr uint64_t kCr0Pe = 1ull << 0;
constexpr uint64_t kCr0Wp = 1ull << 16;
constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pse = 1ull << 4;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kCr4Pge = 1ull << 7;
constexpr uint64_t kCr4La57 = 1ull << 12;
constexpr uint64_t kCr4Smep = 1ull << 20;
constexpr uint64_t kCr4Smap = 1ull << 21;
constexpr uint64_t kEferLme = 1ull << 8;
constexpr uint64_t kEferLma = 1ull << 10;
constexpr uint64_t kEferNxe = 1ull << 11;

constexpr uint64_t kPRwUs = kPteP | kPteRw | kPteUs;
constexpr uint64_t kAddr52 = 0x000FFFFFFFFFF000ull;

// Sparse byte-addressed physical memory, zero where never written; records
// every write so that tests can check A/D updates.
class MockMem : public PhysMem {
 public:
  struct Write {
    uint64_t pa, value;
    unsigned size;
  };

  uint64_t read_phys(uint64_t pa, unsigned size) override {
    ++reads;
    return load(pa, size);
  }
  void write_phys(uint64_t pa, uint64_t value, unsigned size) override {
    writes.push_back({pa, value, size});
    store(pa, value, size);
  }

  uint64_t load(uint64_t pa, unsigned size) const {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
      auto it = pages_.find((pa + i) >> 12);
      const uint8_t b = it == pages_.end() ? 0 : it->second[(pa + i) & 0xFFF];
      v |= static_cast<uint64_t>(b) << (8 * i);
    }
    return v;
  }
  void store(uint64_t pa, uint64_t value, unsigned size) {
    for (unsigned i = 0; i < size; ++i) pages_[(pa + i) >> 12][(pa + i) & 0xFFF] = (value >> (8 * i)) & 0xFF;
  }
  uint64_t q(uint64_t pa) const { return load(pa, 8); }
  uint32_t d(uint64_t pa) const { return static_cast<uint32_t>(load(pa, 4)); }

  uint64_t reads = 0;
  std::vector<Write> writes;

 private:
  std::unordered_map<uint64_t, std::array<uint8_t, 4096>> pages_;
};

// Builds paging structures in guest-physical space; `off` is added to place
// them in host memory (for the stage-2 tests).
class Builder {
 public:
  explicit Builder(MockMem& m, uint64_t off = 0) : m_(m), off_(off) {}

  uint64_t alloc() {
    const uint64_t a = next_;
    next_ += 0x1000;
    return a;
  }
  void w64(uint64_t gpa, uint64_t v) { m_.store(gpa + off_, v, 8); }
  void w32(uint64_t gpa, uint64_t v) { m_.store(gpa + off_, v, 4); }
  uint64_t r64(uint64_t gpa) const { return m_.q(gpa + off_); }
  uint32_t r32(uint64_t gpa) const { return m_.d(gpa + off_); }

  // 4-level (levels=4) or 5-level (levels=5): maps `la` to `pa` with a leaf at
  // `leaf` (1: 4 KiB PTE, 2: 2 MiB PDE, 3: 1 GiB PDPTE).
  void map64(uint64_t root, unsigned levels, uint64_t la, uint64_t pa, unsigned leaf,
             uint64_t leaf_flags = kPRwUs, uint64_t table_flags = kPRwUs) {
    uint64_t table = root;
    for (unsigned level = levels; level > leaf; --level) {
      const uint64_t ea = table + ((la >> (12 + 9 * (level - 1))) & 0x1FF) * 8;
      uint64_t e = r64(ea);
      if (!(e & kPteP)) {
        e = alloc() | table_flags;
        w64(ea, e);
      }
      table = e & kAddr52;
    }
    const uint64_t ea = table + ((la >> (12 + 9 * (leaf - 1))) & 0x1FF) * 8;
    w64(ea, pa | leaf_flags | (leaf > 1 ? kPtePs : 0));
  }
  // Address of the entry at `level` used to translate `la` (tables must exist).
  uint64_t entry64(uint64_t root, unsigned levels, uint64_t la, unsigned level) const {
    uint64_t table = root;
    for (unsigned l = levels; l > level; --l)
      table = r64(table + ((la >> (12 + 9 * (l - 1))) & 0x1FF) * 8) & kAddr52;
    return table + ((la >> (12 + 9 * (level - 1))) & 0x1FF) * 8;
  }

  // PAE: `pdpt` is the 32-byte-aligned PDPT at CR3; leaf 1 (4 KiB) or 2 (2 MiB).
  void map_pae(uint64_t pdpt, uint64_t la, uint64_t pa, unsigned leaf, uint64_t leaf_flags = kPRwUs,
               uint64_t table_flags = kPRwUs) {
    const uint64_t pdpte_a = pdpt + ((la >> 30) & 3) * 8;
    uint64_t e = r64(pdpte_a);
    if (!(e & kPteP)) {
      e = alloc() | kPteP;
      w64(pdpte_a, e);
    }
    uint64_t table = e & kAddr52;
    if (leaf == 2) {
      w64(table + ((la >> 21) & 0x1FF) * 8, pa | leaf_flags | kPtePs);
      return;
    }
    const uint64_t pde_a = table + ((la >> 21) & 0x1FF) * 8;
    e = r64(pde_a);
    if (!(e & kPteP)) {
      e = alloc() | table_flags;
      w64(pde_a, e);
    }
    w64((e & kAddr52) + ((la >> 12) & 0x1FF) * 8, pa | leaf_flags);
  }
  uint64_t entry_pae(uint64_t pdpt, uint64_t la, unsigned level) const {
    const uint64_t pdpte_a = pdpt + ((la >> 30) & 3) * 8;
    if (level == 3) return pdpte_a;
    const uint64_t pde_a = (r64(pdpte_a) & kAddr52) + ((la >> 21) & 0x1FF) * 8;
    if (level == 2) return pde_a;
    return (r64(pde_a) & kAddr52) + ((la >> 12) & 0x1FF) * 8;
  }

  // 32-bit paging: a 4 KiB page, or a 4 MiB page given the raw PDE address bits.
  void map32(uint64_t pd, uint32_t la, uint32_t pa, uint32_t leaf_flags = kPRwUs,
             uint32_t table_flags = kPRwUs) {
    const uint64_t pde_a = pd + (la >> 22) * 4;
    uint32_t e = r32(pde_a);
    if (!(e & kPteP)) {
      e = static_cast<uint32_t>(alloc()) | table_flags;
      w32(pde_a, e);
    }
    w32((e & 0xFFFFF000u) + ((la >> 12) & 0x3FF) * 4, pa | leaf_flags);
  }
  void map32_4m(uint64_t pd, uint32_t la, uint32_t pde_bits, uint32_t flags = kPRwUs) {
    w32(pd + (la >> 22) * 4, pde_bits | flags | kPtePs);
  }
  uint64_t entry32(uint64_t pd, uint32_t la, unsigned level) const {
    const uint64_t pde_a = pd + (la >> 22) * 4;
    if (level == 2) return pde_a;
    return (r32(pde_a) & 0xFFFFF000u) + ((la >> 12) & 0x3FF) * 4;
  }

 private:
  MockMem& m_;
  uint64_t off_;
  uint64_t next_ = 0x100000;
};

PagingRegs long_regs(uint64_t cr3, bool la57 = false) {
  PagingRegs r;
  r.cr0 = kCr0Pe | kCr0Pg | kCr0Wp;
  r.cr4 = kCr4Pae | (la57 ? kCr4La57 : 0);
  r.efer = kEferLme | kEferLma | kEferNxe;
  r.cr3 = cr3;
  r.maxphyaddr = 46;
  return r;
}
PagingRegs pae_regs(uint64_t cr3) {
  PagingRegs r;
  r.cr0 = kCr0Pe | kCr0Pg | kCr0Wp;
  r.cr4 = kCr4Pae;
  r.efer = kEferNxe;
  r.cr3 = cr3;
  r.maxphyaddr = 36;
  return r;
}
PagingRegs regs32(uint64_t cr3) {
  PagingRegs r;
  r.cr0 = kCr0Pe | kCr0Pg | kCr0Wp;
  r.cr4 = kCr4Pse;
  r.cr3 = cr3;
  r.maxphyaddr = 36;
  return r;
}

AccessCtx ctx(Access a = Access::kRead, bool user = false, bool ac = false) {
  AccessCtx c;
  c.access = a;
  c.user = user;
  c.ac = ac;
  return c;
}

constexpr uint64_t kLa = 0x00007F12'3456'7ABCull;  // a user-half 4-level address

// Common fixture: a 4-level table at CR3 with kLa mapped.
class WalkerTest : public ::testing::Test {
 protected:
  MockMem mem;
  Builder b{mem};
  Walker w;
  uint64_t root = b.alloc();
  Translation t;
  uint32_t err = 0xDEAD;

  WalkStatus walk(uint64_t la, const AccessCtx& c, const PagingRegs& r) {
    return w.walk(la, c, r, mem, &t, &err);
  }
  // Expects a #PF with the given error code, and no memory written.
  void expect_pf(uint64_t la, const AccessCtx& c, const PagingRegs& r, uint32_t want) {
    const size_t nw = mem.writes.size();
    err = 0xDEAD;
    ASSERT_EQ(walk(la, c, r), WalkStatus::kPageFault);
    EXPECT_EQ(err, want) << std::hex << "got 0x" << err << " want 0x" << want;
    EXPECT_EQ(mem.writes.size(), nw);
  }
};

// ---- paging modes and page sizes ------------------------------------------

TEST_F(WalkerTest, NoPagingIsIdentity) {
  PagingRegs r;
  r.cr0 = kCr0Pe;
  ASSERT_EQ(walk(0x12345678, ctx(Access::kWrite, true), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x12345678u);
  EXPECT_EQ(t.gpa, 0x12345678u);
  EXPECT_TRUE(t.writable);
  EXPECT_TRUE(t.user);
  EXPECT_FALSE(t.nx);
  EXPECT_EQ(w.walk_refs, 0u);
  EXPECT_EQ(mem.reads, 0u);
}

TEST_F(WalkerTest, FourLevel4K) {
  b.map64(root, 4, kLa, 0x0000'1234'5678'9000ull, 1);
  ASSERT_EQ(walk(kLa, ctx(), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x0000'1234'5678'9ABCull);
  EXPECT_EQ(t.gpa, t.pa);
  EXPECT_EQ(t.page_size, 4096u);
  EXPECT_TRUE(t.writable);
  EXPECT_TRUE(t.user);
  EXPECT_FALSE(t.nx);
  EXPECT_FALSE(t.global);
  EXPECT_EQ(w.walks, 1u);
  EXPECT_EQ(w.walk_refs, 4u);
  EXPECT_EQ(w.page_faults, 0u);
}

TEST_F(WalkerTest, FourLevel2M) {
  // Bit 12 of a 2 MiB PDE is PAT, not an address bit.
  b.map64(root, 4, kLa, 0x0000'0012'3440'0000ull | (1u << 12), 2);
  ASSERT_EQ(walk(kLa, ctx(), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x0000'0012'3440'0000ull | (kLa & 0x1FFFFF));
  EXPECT_EQ(t.page_size, 2u << 20);
  EXPECT_EQ(w.walk_refs, 3u);
}

TEST_F(WalkerTest, FourLevel1G) {
  b.map64(root, 4, kLa, 0x0000'0123'4000'0000ull, 3);
  ASSERT_EQ(walk(kLa, ctx(), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x0000'0123'4000'0000ull | (kLa & 0x3FFFFFFF));
  EXPECT_EQ(t.page_size, 1u << 30);
  EXPECT_EQ(w.walk_refs, 2u);
}

TEST_F(WalkerTest, FourLevelIgnoresCr3LowBitsAndHighLaBits) {
  b.map64(root, 4, kLa, 0x5000, 1);
  // PCID in CR3[11:0]; in 4-level paging LA bits 63:48 do not index anything.
  ASSERT_EQ(walk(kLa | 0xFFFF'0000'0000'0000ull, ctx(), long_regs(root | 0x123)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x5ABCu);
}

TEST_F(WalkerTest, LmeWithPgCountsAsLongMode) {
  b.map64(root, 4, kLa, 0x5000, 1);
  PagingRegs r = long_regs(root);
  r.efer &= ~kEferLma;
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x5ABCu);
  EXPECT_EQ(w.walk_refs, 4u);
}

TEST_F(WalkerTest, FiveLevelAllSizes) {
  const uint64_t la = 0x00AB'CDEF'1234'5678ull;  // bits 56:48 index the PML5
  const uint64_t la2 = 0x0012'3456'7800'0000ull;
  const uint64_t la3 = 0x0155'5555'4000'1234ull;
  b.map64(root, 5, la, 0x7000, 1);
  b.map64(root, 5, la2, 0x4000'0000ull, 2);
  b.map64(root, 5, la3, 0x80'0000'0000ull, 3);
  const PagingRegs r = long_regs(root, true);
  ASSERT_EQ(walk(la, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x7678u);
  EXPECT_EQ(t.page_size, 4096u);
  EXPECT_EQ(w.walk_refs, 5u);
  ASSERT_EQ(walk(la2, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x4000'0000ull | (la2 & 0x1FFFFF));
  EXPECT_EQ(t.page_size, 2u << 20);
  EXPECT_EQ(w.walk_refs, 9u);
  ASSERT_EQ(walk(la3, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x80'0000'0000ull | (la3 & 0x3FFFFFFF));
  EXPECT_EQ(t.page_size, 1u << 30);
  EXPECT_EQ(w.walk_refs, 12u);
  // Without LA57 the same tables are read as 4-level: different walk.
  EXPECT_EQ(walk(la, ctx(), long_regs(root)), WalkStatus::kPageFault);
}

TEST_F(WalkerTest, Pae4KAnd2M) {
  const uint64_t pdpt = 0x3000 + 0x20;  // 32-byte aligned, below 4 GiB
  b.map_pae(pdpt, 0xC012'3456u, 0x9'8765'4000ull, 1);  // above 4 GiB with MAXPHYADDR 36
  b.map_pae(pdpt, 0x4060'0000u, 0x8'0020'0000ull, 2);
  const PagingRegs r = pae_regs(pdpt);
  ASSERT_EQ(walk(0xC012'3456u, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x9'8765'4456ull);
  EXPECT_EQ(t.page_size, 4096u);
  EXPECT_EQ(w.walk_refs, 3u);
  ASSERT_EQ(walk(0x4071'2345u, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x8'0031'2345ull);
  EXPECT_EQ(t.page_size, 2u << 20);
  EXPECT_EQ(w.walk_refs, 5u);
  // PAE 2 MiB pages do not depend on CR4.PSE.
  PagingRegs r2 = r;
  r2.cr4 &= ~kCr4Pse;
  EXPECT_EQ(walk(0x4071'2345u, ctx(), r2), WalkStatus::kOk);
  // Only LA bits 31:0 are translated.
  ASSERT_EQ(walk(0xFFFF'FFFF'C012'3456ull, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x9'8765'4456ull);
}

TEST_F(WalkerTest, PaePdpteHasNoPermissionsOrAccessedBit) {
  const uint64_t pdpt = 0x3000;
  b.map_pae(pdpt, 0x1000, 0x5000, 1);
  ASSERT_EQ(walk(0x1234, ctx(Access::kWrite, true), pae_regs(pdpt)), WalkStatus::kOk);
  EXPECT_TRUE(t.writable);
  EXPECT_TRUE(t.user);
  EXPECT_EQ(mem.q(pdpt), b.r64(pdpt));
  EXPECT_EQ(b.r64(pdpt) & kPteA, 0u);
  for (const auto& wr : mem.writes) EXPECT_NE(wr.pa, pdpt);
  EXPECT_EQ(mem.writes.size(), 2u);  // A on the PDE, A|D on the PTE
}

TEST_F(WalkerTest, Paging32_4K) {
  const uint64_t pd = b.alloc();
  b.map32(pd, 0xC040'1000u, 0x0765'4000u);
  ASSERT_EQ(walk(0xC040'1ABCu, ctx(), regs32(pd | 0x18)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x0765'4ABCu);
  EXPECT_EQ(t.page_size, 4096u);
  EXPECT_EQ(w.walk_refs, 2u);
  EXPECT_FALSE(t.nx);
}

TEST_F(WalkerTest, Paging32_4MAndPse36) {
  const uint64_t pd = b.alloc();
  // PDE bits 31:22 are address bits 31:22, bits 20:13 are bits 39:32.
  b.map32_4m(pd, 0x8000'0000u, 0x1240'0000u | (0x7u << 13));
  ASSERT_EQ(walk(0x8012'3456u, ctx(), regs32(pd)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x7'1252'3456ull);
  EXPECT_EQ(t.page_size, 4u << 20);
  EXPECT_EQ(w.walk_refs, 1u);
}

TEST_F(WalkerTest, Paging32PsIgnoredWithoutPse) {
  const uint64_t pd = b.alloc();
  const uint64_t pt = b.alloc();
  b.w32(pd, pt | kPRwUs | kPtePs);
  b.w32(pt + 4 * 3, 0x9000 | kPRwUs);
  PagingRegs r = regs32(pd);
  r.cr4 &= ~kCr4Pse;
  ASSERT_EQ(walk(0x3123, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x9123u);
  EXPECT_EQ(t.page_size, 4096u);
}

TEST_F(WalkerTest, Paging32UsesFourByteEntriesAndWrites) {
  const uint64_t pd = b.alloc();
  b.map32(pd, 0x1000, 0x5000);
  ASSERT_EQ(walk(0x1000, ctx(Access::kWrite), regs32(pd)), WalkStatus::kOk);
  ASSERT_EQ(mem.writes.size(), 2u);
  for (const auto& wr : mem.writes) EXPECT_EQ(wr.size, 4u);
  EXPECT_EQ(b.r32(b.entry32(pd, 0x1000, 2)) & (kPteA | kPteD), kPteA);
  EXPECT_EQ(b.r32(b.entry32(pd, 0x1000, 1)) & (kPteA | kPteD), kPteA | kPteD);
}

// ---- not-present faults ----------------------------------------------------

TEST_F(WalkerTest, NotPresentAtEachLevel4Level) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const PagingRegs r = long_regs(root);
  for (unsigned level = 4; level >= 1; --level) {
    MockMem m2 = mem;
    Builder b2(m2);
    const uint64_t ea = b2.entry64(root, 4, kLa, level);
    b2.w64(ea, b2.r64(ea) & ~kPteP);
    Walker w2;
    uint32_t e = 0;
    ASSERT_EQ(w2.walk(kLa, ctx(), r, m2, &t, &e), WalkStatus::kPageFault) << level;
    EXPECT_EQ(e, 0u) << level;
    EXPECT_EQ(w2.walk_refs, 5u - level) << level;
    EXPECT_EQ(w2.page_faults, 1u);
    e = 0;
    ASSERT_EQ(w2.walk(kLa, ctx(Access::kWrite, true), r, m2, &t, &e), WalkStatus::kPageFault);
    EXPECT_EQ(e, kPfWrite | kPfUser) << level;
    EXPECT_TRUE(m2.writes.empty());
  }
}

TEST_F(WalkerTest, NotPresentPml5e) {
  const uint64_t la = 0x0100'0000'0000'0000ull;
  b.map64(root, 5, la, 0x5000, 1);
  PagingRegs r = long_regs(root, true);
  expect_pf(la ^ (1ull << 48), ctx(), r, 0);  // another PML5 slot
  const uint64_t ea = b.entry64(root, 5, la, 5);
  b.w64(ea, b.r64(ea) & ~kPteP);
  expect_pf(la, ctx(Access::kWrite), r, kPfWrite);
  EXPECT_EQ(w.walk_refs, 2u);
}

TEST_F(WalkerTest, NotPresentPae) {
  const uint64_t pdpt = 0x3000;
  b.map_pae(pdpt, 0x1000, 0x5000, 1);
  const PagingRegs r = pae_regs(pdpt);
  expect_pf(0x4000'0000, ctx(), r, 0);  // PDPTE 1 not present
  expect_pf(0x0020'0000, ctx(), r, 0);  // PDE 1 not present
  expect_pf(0x2000, ctx(Access::kWrite, true), r, kPfWrite | kPfUser);  // PTE 2
  EXPECT_EQ(w.walk_refs, 1u + 2u + 3u);
}

TEST_F(WalkerTest, NotPresent32) {
  const uint64_t pd = b.alloc();
  b.map32(pd, 0x1000, 0x5000);
  expect_pf(0x0040'0000, ctx(), regs32(pd), 0);
  expect_pf(0x2000, ctx(Access::kRead, true), regs32(pd), kPfUser);
}

TEST_F(WalkerTest, NotPresentWinsOverReservedBits) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const uint64_t ea = b.entry64(root, 4, kLa, 1);
  b.w64(ea, (1ull << 50) | kPteXd | 0x5000);  // P=0: the rest is ignored
  expect_pf(kLa, ctx(), long_regs(root), 0);
}

// ---- protection faults ------------------------------------------------------

TEST_F(WalkerTest, WriteToReadOnly) {
  b.map64(root, 4, kLa, 0x5000, 1, kPteP | kPteUs);
  PagingRegs r = long_regs(root);
  expect_pf(kLa, ctx(Access::kWrite, true), r, kPfPresent | kPfWrite | kPfUser);
  expect_pf(kLa, ctx(Access::kWrite, false), r, kPfPresent | kPfWrite);  // WP=1
  ASSERT_EQ(walk(kLa, ctx(Access::kRead, true), r), WalkStatus::kOk);
  EXPECT_FALSE(t.writable);
  r.cr0 &= ~kCr0Wp;
  ASSERT_EQ(walk(kLa, ctx(Access::kWrite, false), r), WalkStatus::kOk);  // WP=0
  EXPECT_FALSE(t.writable);
  expect_pf(kLa, ctx(Access::kWrite, true), r, kPfPresent | kPfWrite | kPfUser);
}

TEST_F(WalkerTest, ReadOnlyAtAnUpperLevel) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const uint64_t ea = b.entry64(root, 4, kLa, 3);  // PDPTE R/W=0
  b.w64(ea, b.r64(ea) & ~kPteRw);
  expect_pf(kLa, ctx(Access::kWrite, true), long_regs(root), kPfPresent | kPfWrite | kPfUser);
  ASSERT_EQ(walk(kLa, ctx(), long_regs(root)), WalkStatus::kOk);
  EXPECT_FALSE(t.writable);
  EXPECT_TRUE(t.user);
}

TEST_F(WalkerTest, UserAccessToSupervisorPage) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const uint64_t ea = b.entry64(root, 4, kLa, 4);  // PML4E U/S=0
  b.w64(ea, b.r64(ea) & ~kPteUs);
  const PagingRegs r = long_regs(root);
  expect_pf(kLa, ctx(Access::kRead, true), r, kPfPresent | kPfUser);
  expect_pf(kLa, ctx(Access::kWrite, true), r, kPfPresent | kPfWrite | kPfUser);
  expect_pf(kLa, ctx(Access::kExec, true), r, kPfPresent | kPfUser | kPfFetch);
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_FALSE(t.user);
}

TEST_F(WalkerTest, UserAccessToSupervisorPage32) {
  const uint64_t pd = b.alloc();
  b.map32(pd, 0x1000, 0x5000, kPteP | kPteRw);
  expect_pf(0x1000, ctx(Access::kRead, true), regs32(pd), kPfPresent | kPfUser);
  // 32-bit paging: no NX, so I/D only with SMEP.
  expect_pf(0x1000, ctx(Access::kExec, true), regs32(pd), kPfPresent | kPfUser);
}

TEST_F(WalkerTest, Smep) {
  b.map64(root, 4, kLa, 0x5000, 1);
  PagingRegs r = long_regs(root);
  ASSERT_EQ(walk(kLa, ctx(Access::kExec), r), WalkStatus::kOk);
  r.cr4 |= kCr4Smep;
  expect_pf(kLa, ctx(Access::kExec), r, kPfPresent | kPfFetch);
  EXPECT_EQ(walk(kLa, ctx(Access::kExec, true), r), WalkStatus::kOk);  // user fetch
  EXPECT_EQ(walk(kLa, ctx(Access::kRead), r), WalkStatus::kOk);        // data is not SMEP
  // A supervisor page at any level makes it a supervisor address.
  const uint64_t ea = b.entry64(root, 4, kLa, 2);
  b.w64(ea, b.r64(ea) & ~kPteUs);
  EXPECT_EQ(walk(kLa, ctx(Access::kExec), r), WalkStatus::kOk);
}

TEST_F(WalkerTest, SmepWith32BitPagingSetsFetchBit) {
  const uint64_t pd = b.alloc();
  b.map32(pd, 0x1000, 0x5000);
  PagingRegs r = regs32(pd);
  r.cr4 |= kCr4Smep;
  expect_pf(0x1000, ctx(Access::kExec), r, kPfPresent | kPfFetch);
  expect_pf(0x9000, ctx(Access::kExec), r, kPfFetch);  // not present, still I/D
}

TEST_F(WalkerTest, Smap) {
  b.map64(root, 4, kLa, 0x5000, 1);
  PagingRegs r = long_regs(root);
  ASSERT_EQ(walk(kLa, ctx(Access::kRead), r), WalkStatus::kOk);
  r.cr4 |= kCr4Smap;
  expect_pf(kLa, ctx(Access::kRead, false, false), r, kPfPresent);
  expect_pf(kLa, ctx(Access::kWrite, false, false), r, kPfPresent | kPfWrite);
  EXPECT_EQ(walk(kLa, ctx(Access::kRead, false, true), r), WalkStatus::kOk);
  EXPECT_EQ(walk(kLa, ctx(Access::kWrite, false, true), r), WalkStatus::kOk);
  EXPECT_EQ(walk(kLa, ctx(Access::kRead, true, false), r), WalkStatus::kOk);  // user
  EXPECT_EQ(walk(kLa, ctx(Access::kExec, false, false), r), WalkStatus::kOk);  // not data
}

TEST_F(WalkerTest, SmapWithReadOnlyUserPage) {
  b.map64(root, 4, kLa, 0x5000, 1, kPteP | kPteUs);
  PagingRegs r = long_regs(root);
  r.cr4 |= kCr4Smap;
  // AC=1, WP=1: only writable user addresses.
  expect_pf(kLa, ctx(Access::kWrite, false, true), r, kPfPresent | kPfWrite);
  // AC=1, WP=0: any user address.
  r.cr0 &= ~kCr0Wp;
  EXPECT_EQ(walk(kLa, ctx(Access::kWrite, false, true), r), WalkStatus::kOk);
  // AC=0, WP=0: still no user address.
  expect_pf(kLa, ctx(Access::kWrite, false, false), r, kPfPresent | kPfWrite);
}

TEST_F(WalkerTest, NxFetch) {
  b.map64(root, 4, kLa, 0x5000, 1, kPRwUs | kPteXd);
  const PagingRegs r = long_regs(root);
  expect_pf(kLa, ctx(Access::kExec), r, kPfPresent | kPfFetch);
  expect_pf(kLa, ctx(Access::kExec, true), r, kPfPresent | kPfUser | kPfFetch);
  ASSERT_EQ(walk(kLa, ctx(Access::kRead), r), WalkStatus::kOk);
  EXPECT_TRUE(t.nx);
  ASSERT_EQ(walk(kLa, ctx(Access::kWrite, true), r), WalkStatus::kOk);
}

TEST_F(WalkerTest, NxAtUpperLevel) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const uint64_t ea = b.entry64(root, 4, kLa, 4);
  b.w64(ea, b.r64(ea) | kPteXd);
  expect_pf(kLa, ctx(Access::kExec, true), long_regs(root), kPfPresent | kPfUser | kPfFetch);
}

TEST_F(WalkerTest, NxPae) {
  const uint64_t pdpt = 0x3000;
  b.map_pae(pdpt, 0x1000, 0x5000, 1, kPRwUs | kPteXd);
  PagingRegs r = pae_regs(pdpt);
  expect_pf(0x1000, ctx(Access::kExec), r, kPfPresent | kPfFetch);
  // With NXE=0 XD is reserved.
  r.efer &= ~kEferNxe;
  expect_pf(0x1000, ctx(Access::kRead), r, kPfPresent | kPfRsvd);
}

TEST_F(WalkerTest, FetchBitNotSetBy32BitPagingWithNxe) {
  // I/D needs CR4.PAE=1 for NXE to count (4.7); 32-bit paging has no XD.
  const uint64_t pd = b.alloc();
  b.map32(pd, 0x1000, 0x5000);
  PagingRegs r = regs32(pd);
  r.efer |= kEferNxe;
  expect_pf(0x9000, ctx(Access::kExec), r, 0);
  EXPECT_EQ(walk(0x1000, ctx(Access::kExec), r), WalkStatus::kOk);
}

TEST_F(WalkerTest, FetchBitOnlyWithNxeOrSmep) {
  b.map64(root, 4, kLa, 0x5000, 1);
  PagingRegs r = long_regs(root);
  expect_pf(kLa + 0x1000, ctx(Access::kExec), r, kPfFetch);  // NXE=1
  r.efer &= ~kEferNxe;
  expect_pf(kLa + 0x1000, ctx(Access::kExec), r, 0);
  r.cr4 |= kCr4Smep;
  expect_pf(kLa + 0x1000, ctx(Access::kExec), r, kPfFetch);
}

// ---- reserved bits ------------------------------------------------------------

TEST_F(WalkerTest, ReservedAboveMaxPhyAddrAtEachLevel) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const PagingRegs r = long_regs(root);  // MAXPHYADDR 46
  for (unsigned level = 4; level >= 1; --level) {
    for (unsigned bit : {46u, 51u}) {
      MockMem m2 = mem;
      Builder b2(m2);
      const uint64_t ea = b2.entry64(root, 4, kLa, level);
      b2.w64(ea, b2.r64(ea) | (1ull << bit));
      Walker w2;
      uint32_t e = 0;
      ASSERT_EQ(w2.walk(kLa, ctx(Access::kWrite, true), r, m2, &t, &e), WalkStatus::kPageFault);
      EXPECT_EQ(e, kPfRsvd | kPfPresent | kPfWrite | kPfUser) << level << " " << bit;
      EXPECT_TRUE(m2.writes.empty());
    }
  }
}

TEST_F(WalkerTest, IgnoredHighBitsIn4Level) {
  // Bits 62:52 are ignored (62:59 are PK only with CR4.PKE).
  b.map64(root, 4, kLa, 0x5000 | (0x7FFull << 52), 1);
  const uint64_t ea = b.entry64(root, 4, kLa, 4);
  b.w64(ea, b.r64(ea) | (0x7FFull << 52));
  ASSERT_EQ(walk(kLa, ctx(), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x5ABCu);
}

TEST_F(WalkerTest, XdReservedWithoutNxe) {
  b.map64(root, 4, kLa, 0x5000, 1);
  PagingRegs r = long_regs(root);
  r.efer &= ~kEferNxe;
  for (unsigned level = 4; level >= 1; --level) {
    MockMem m2 = mem;
    Builder b2(m2);
    const uint64_t ea = b2.entry64(root, 4, kLa, level);
    b2.w64(ea, b2.r64(ea) | kPteXd);
    Walker w2;
    uint32_t e = 0;
    ASSERT_EQ(w2.walk(kLa, ctx(Access::kExec), r, m2, &t, &e), WalkStatus::kPageFault);
    EXPECT_EQ(e, kPfRsvd | kPfPresent) << level;  // no I/D: NXE=0, SMEP=0
  }
}

TEST_F(WalkerTest, PsReservedInPml4eAndPml5e) {
  b.map64(root, 4, kLa, 0x5000, 1);
  uint64_t ea = b.entry64(root, 4, kLa, 4);
  b.w64(ea, b.r64(ea) | kPtePs);
  expect_pf(kLa, ctx(), long_regs(root), kPfRsvd | kPfPresent);
  EXPECT_EQ(w.walk_refs, 1u);

  const uint64_t root5 = b.alloc();
  b.map64(root5, 5, kLa, 0x5000, 1);
  ea = b.entry64(root5, 5, kLa, 5);
  b.w64(ea, b.r64(ea) | kPtePs);
  expect_pf(kLa, ctx(Access::kRead, true), long_regs(root5, true), kPfRsvd | kPfPresent | kPfUser);
}

TEST_F(WalkerTest, LargePageLowAddressBitsReserved) {
  const uint64_t la2 = 0x4000'0000ull, la1 = 0x80'0000'0000ull;
  b.map64(root, 4, la2, 0x20'0000ull | (1u << 13), 2);  // bit 13 of a 2 MiB PDE
  b.map64(root, 4, la1, 0x4000'0000ull | (1u << 29), 3);  // bit 29 of a 1 GiB PDPTE
  expect_pf(la2, ctx(), long_regs(root), kPfRsvd | kPfPresent);
  expect_pf(la1, ctx(), long_regs(root), kPfRsvd | kPfPresent);
  b.map64(root, 4, la2, 0x20'0000ull | (1u << 20), 2);    // bit 20 (top of 20:13)
  b.map64(root, 4, la1, 0x4000'0000ull | (1u << 13), 3);  // bit 13 (bottom of 29:13)
  expect_pf(la2, ctx(), long_regs(root), kPfRsvd | kPfPresent);
  expect_pf(la1, ctx(), long_regs(root), kPfRsvd | kPfPresent);
  // Bit 12 (PAT) of both is legal.
  b.map64(root, 4, la2, 0x20'0000ull | (1u << 12), 2);
  b.map64(root, 4, la1, 0x4000'0000ull | (1u << 12), 3);
  EXPECT_EQ(walk(la2, ctx(), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(walk(la1, ctx(), long_regs(root)), WalkStatus::kOk);
  // A non-leaf PDE may point at any 4 KiB-aligned table (bit 13 legal).
  const uint64_t la3 = 0xC000'0000ull;
  const uint64_t pt = 0x20'2000ull;
  b.map64(root, 4, la3, 0x9000, 1);
  const uint64_t pde = b.entry64(root, 4, la3, 2);
  b.w64(pde, pt | kPRwUs);
  b.w64(pt, 0x9000 | kPRwUs);
  EXPECT_EQ(walk(la3, ctx(), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0x9000u);
}

TEST_F(WalkerTest, ReservedPae) {
  const uint64_t pdpt = 0x3000;
  b.map_pae(pdpt, 0x1000, 0x5000, 1);
  b.map_pae(pdpt, 0x4000'0000u, 0x20'0000, 2);
  const PagingRegs r = pae_regs(pdpt);  // MAXPHYADDR 36
  const uint32_t rp = kPfRsvd | kPfPresent;
  // PDPTE: bits 2:1, 8:5, 63:M reserved (XD always, even with NXE).
  for (uint64_t bit : {1ull << 1, 1ull << 2, 1ull << 5, 1ull << 8, 1ull << 36, 1ull << 63}) {
    MockMem m2 = mem;
    Builder b2(m2);
    const uint64_t ea = b2.entry_pae(pdpt, 0x1000, 3);
    b2.w64(ea, b2.r64(ea) | bit);
    Walker w2;
    uint32_t e = 0;
    ASSERT_EQ(w2.walk(0x1000, ctx(), r, m2, &t, &e), WalkStatus::kPageFault) << std::hex << bit;
    EXPECT_EQ(e, rp);
  }
  // PDE and PTE: 62:M reserved.
  for (unsigned level : {2u, 1u}) {
    for (uint64_t bit : {1ull << 36, 1ull << 62}) {
      MockMem m2 = mem;
      Builder b2(m2);
      const uint64_t ea = b2.entry_pae(pdpt, 0x1000, level);
      b2.w64(ea, b2.r64(ea) | bit);
      Walker w2;
      uint32_t e = 0;
      ASSERT_EQ(w2.walk(0x1000, ctx(), r, m2, &t, &e), WalkStatus::kPageFault);
      EXPECT_EQ(e, rp) << level;
    }
  }
  // 2 MiB PDE: bits 20:13 reserved.
  const uint64_t ea = b.entry_pae(pdpt, 0x4000'0000u, 2);
  b.w64(ea, b.r64(ea) | (1u << 20));
  expect_pf(0x4000'0000u, ctx(), r, rp);
}

TEST_F(WalkerTest, Reserved32Bit4M) {
  const uint64_t pd = b.alloc();
  const uint32_t rp = kPfRsvd | kPfPresent;
  PagingRegs r = regs32(pd);  // MAXPHYADDR 36: bits 21:17 reserved
  b.map32_4m(pd, 0x0, 1u << 21);
  expect_pf(0x0, ctx(), r, rp);
  b.map32_4m(pd, 0x0, 1u << 17);
  expect_pf(0x0, ctx(), r, rp);
  b.map32_4m(pd, 0x0, 1u << 16);  // address bit 35
  ASSERT_EQ(walk(0x0, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 1ull << 35);
  r.maxphyaddr = 40;
  b.map32_4m(pd, 0x0, 0xFFu << 13);
  ASSERT_EQ(walk(0x0, ctx(), r), WalkStatus::kOk);
  EXPECT_EQ(t.pa, 0xFFull << 32);
  r.maxphyaddr = 52;  // PSE-36 is capped at 40 bits: bit 21 stays reserved
  b.map32_4m(pd, 0x0, 1u << 21);
  expect_pf(0x0, ctx(), r, rp);
}

// ---- accessed and dirty bits ------------------------------------------------

TEST_F(WalkerTest, AccessedAndDirty) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const PagingRegs r = long_regs(root);
  uint64_t ea[5];
  for (unsigned l = 1; l <= 4; ++l) ea[l] = b.entry64(root, 4, kLa, l);

  ASSERT_EQ(walk(kLa, ctx(Access::kRead), r), WalkStatus::kOk);
  EXPECT_EQ(mem.writes.size(), 4u);
  for (unsigned l = 1; l <= 4; ++l) EXPECT_EQ(mem.q(ea[l]) & (kPteA | kPteD), kPteA) << l;
  for (const auto& wr : mem.writes) EXPECT_EQ(wr.size, 8u);

  ASSERT_EQ(walk(kLa, ctx(Access::kRead), r), WalkStatus::kOk);
  EXPECT_EQ(mem.writes.size(), 4u);  // nothing rewritten

  ASSERT_EQ(walk(kLa, ctx(Access::kWrite), r), WalkStatus::kOk);
  ASSERT_EQ(mem.writes.size(), 5u);  // only the PTE gains D
  EXPECT_EQ(mem.writes.back().pa, ea[1]);
  EXPECT_EQ(mem.q(ea[1]) & (kPteA | kPteD), kPteA | kPteD);
  for (unsigned l = 2; l <= 4; ++l) EXPECT_EQ(mem.q(ea[l]) & kPteD, 0u) << l;

  ASSERT_EQ(walk(kLa, ctx(Access::kWrite), r), WalkStatus::kOk);
  EXPECT_EQ(mem.writes.size(), 5u);
}

TEST_F(WalkerTest, WriteSetsAAndDTogether) {
  b.map64(root, 4, kLa, 0x5000, 1);
  ASSERT_EQ(walk(kLa, ctx(Access::kWrite), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(mem.writes.size(), 4u);
  EXPECT_EQ(mem.q(b.entry64(root, 4, kLa, 1)) & (kPteA | kPteD), kPteA | kPteD);
  EXPECT_EQ(mem.q(b.entry64(root, 4, kLa, 2)) & (kPteA | kPteD), kPteA);
}

TEST_F(WalkerTest, DirtyOnLargePageEntry) {
  b.map64(root, 4, kLa, 0x20'0000, 2);
  ASSERT_EQ(walk(kLa, ctx(Access::kWrite), long_regs(root)), WalkStatus::kOk);
  EXPECT_EQ(mem.writes.size(), 3u);
  EXPECT_EQ(mem.q(b.entry64(root, 4, kLa, 2)) & (kPteA | kPteD), kPteA | kPteD);
  EXPECT_EQ(mem.q(b.entry64(root, 4, kLa, 3)) & (kPteA | kPteD), kPteA);
}

TEST_F(WalkerTest, NothingWrittenOnFault) {
  b.map64(root, 4, kLa, 0x5000, 1, kPteP | kPteUs);
  const PagingRegs r = long_regs(root);
  expect_pf(kLa, ctx(Access::kWrite, true), r, kPfPresent | kPfWrite | kPfUser);
  EXPECT_TRUE(mem.writes.empty());
  const uint64_t ea = b.entry64(root, 4, kLa, 2);
  b.w64(ea, b.r64(ea) | (1ull << 50));
  expect_pf(kLa, ctx(), r, kPfRsvd | kPfPresent);
  EXPECT_TRUE(mem.writes.empty());
}

// ---- combined permissions and global ---------------------------------------

TEST_F(WalkerTest, CombinedPermissions) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const PagingRegs r = long_regs(root);
  const uint64_t e3 = b.entry64(root, 4, kLa, 3), e2 = b.entry64(root, 4, kLa, 2);
  const uint64_t e4 = b.entry64(root, 4, kLa, 4);
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_TRUE(t.writable && t.user && !t.nx);
  b.w64(e3, b.r64(e3) & ~kPteRw);
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_TRUE(!t.writable && t.user && !t.nx);
  b.w64(e2, b.r64(e2) & ~kPteUs);
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_TRUE(!t.writable && !t.user && !t.nx);
  b.w64(e4, b.r64(e4) | kPteXd);
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_TRUE(!t.writable && !t.user && t.nx);
}

TEST_F(WalkerTest, Global) {
  b.map64(root, 4, kLa, 0x5000, 1, kPRwUs | kPteG);
  PagingRegs r = long_regs(root);
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_FALSE(t.global);  // CR4.PGE=0
  r.cr4 |= kCr4Pge;
  ASSERT_EQ(walk(kLa, ctx(), r), WalkStatus::kOk);
  EXPECT_TRUE(t.global);
  // G on a non-leaf entry does not make the page global.
  const uint64_t la2 = kLa + 0x1000;
  b.map64(root, 4, la2, 0x6000, 1);
  const uint64_t e2 = b.entry64(root, 4, la2, 2);
  b.w64(e2, b.r64(e2) | kPteG);
  ASSERT_EQ(walk(la2, ctx(), r), WalkStatus::kOk);
  EXPECT_FALSE(t.global);
  // 2 MiB and 4 MiB pages.
  b.map64(root, 4, 0x4000'0000, 0x20'0000, 2, kPRwUs | kPteG);
  ASSERT_EQ(walk(0x4000'0000, ctx(), r), WalkStatus::kOk);
  EXPECT_TRUE(t.global);
  const uint64_t pd = b.alloc();
  b.map32_4m(pd, 0x0, 0x40'0000, kPRwUs | kPteG);
  PagingRegs r32 = regs32(pd);
  r32.cr4 |= kCr4Pge;
  ASSERT_EQ(walk(0x0, ctx(), r32), WalkStatus::kOk);
  EXPECT_TRUE(t.global);
}

TEST_F(WalkerTest, Counters) {
  b.map64(root, 4, kLa, 0x5000, 1);
  const PagingRegs r = long_regs(root);
  walk(kLa, ctx(), r);
  walk(kLa + 0x1000, ctx(), r);  // PTE not present: 4 refs
  walk(kLa, ctx(Access::kWrite, true), r);
  EXPECT_EQ(w.walks, 3u);
  EXPECT_EQ(w.walk_refs, 12u);
  EXPECT_EQ(w.page_faults, 1u);
  EXPECT_EQ(mem.reads, 12u);
}

TEST_F(WalkerTest, NullOutputsAllowed) {
  b.map64(root, 4, kLa, 0x5000, 1);
  EXPECT_EQ(w.walk(kLa, ctx(), long_regs(root), mem, nullptr, nullptr), WalkStatus::kOk);
  EXPECT_EQ(w.walk(kLa + 0x1000, ctx(), long_regs(root), mem, nullptr, nullptr),
            WalkStatus::kPageFault);
}

// ---- stage 2 -------------------------------------------------------------------

// Maps gpa to gpa + off, records every call, and fails on one chosen gpa page
// (and access, or any access when fail_any).
class OffsetStage2 : public Stage2 {
 public:
  struct Call {
    uint64_t gpa;
    Access access;
    bool is_walk;
  };
  explicit OffsetStage2(uint64_t off) : off_(off) {}
  bool translate(uint64_t gpa, Access access, bool is_walk, uint64_t* hpa,
                 uint8_t* rights = nullptr) override {
    calls.push_back({gpa, access, is_walk});
    if (fail_page && (gpa >> 12) == (fail_page >> 12) && (fail_any || access == fail_access))
      return false;
    *hpa = gpa + off_;
    if (rights) *rights = kS2All;
    return true;
  }
  std::vector<Call> calls;
  uint64_t fail_page = 0;
  Access fail_access = Access::kRead;
  bool fail_any = true;

 private:
  uint64_t off_;
};

constexpr uint64_t kOff = 0x40'0000'0000ull;

TEST(WalkerStage2, OffsetHookTranslatesEveryReference) {
  MockMem mem;
  Builder b(mem, kOff);  // guest tables live at gpa + kOff in host memory
  const uint64_t root = b.alloc();
  b.map64(root, 4, kLa, 0x5000, 1, kPRwUs | kPteA | kPteD, kPRwUs | kPteA);
  OffsetStage2 s2(kOff);
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  uint32_t err = 0;
  ASSERT_EQ(w.walk(kLa, ctx(Access::kWrite), long_regs(root), mem, &t, &err), WalkStatus::kOk);
  ASSERT_EQ(s2.calls.size(), 5u);  // 4 entry reads + the final address
  for (unsigned i = 0; i < 4; ++i) {
    EXPECT_TRUE(s2.calls[i].is_walk);
    EXPECT_EQ(s2.calls[i].access, Access::kRead);
  }
  EXPECT_EQ(s2.calls[0].gpa, root + ((kLa >> 39) & 0x1FF) * 8);
  EXPECT_FALSE(s2.calls[4].is_walk);
  EXPECT_EQ(s2.calls[4].access, Access::kWrite);
  EXPECT_EQ(s2.calls[4].gpa, 0x5ABCu);
  EXPECT_EQ(t.gpa, 0x5ABCu);
  EXPECT_EQ(t.pa, 0x5ABCu + kOff);
  EXPECT_EQ(w.walk_refs, 4u);
  EXPECT_TRUE(mem.writes.empty());
}

TEST(WalkerStage2, AccessedDirtyUpdatesAreStage2Writes) {
  MockMem mem;
  Builder b(mem, kOff);
  const uint64_t root = b.alloc();
  b.map64(root, 4, kLa, 0x5000, 1);
  OffsetStage2 s2(kOff);
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  ASSERT_EQ(w.walk(kLa, ctx(Access::kWrite), long_regs(root), mem, &t, nullptr), WalkStatus::kOk);
  ASSERT_EQ(s2.calls.size(), 4u + 4u + 1u);
  for (unsigned i = 4; i < 8; ++i) {
    EXPECT_TRUE(s2.calls[i].is_walk);
    EXPECT_EQ(s2.calls[i].access, Access::kWrite);
    EXPECT_EQ(s2.calls[i].gpa, s2.calls[i - 4].gpa);
  }
  ASSERT_EQ(mem.writes.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(mem.writes[i].pa, s2.calls[i].gpa + kOff);
  EXPECT_EQ(b.r64(b.entry64(root, 4, kLa, 1)) & (kPteA | kPteD), kPteA | kPteD);
}

TEST(WalkerStage2, LargeGuestPageIsReportedAs4K) {
  MockMem mem;
  Builder b(mem, kOff);
  const uint64_t root = b.alloc();
  b.map64(root, 4, kLa, 0x20'0000, 2, kPRwUs | kPteA, kPRwUs | kPteA);
  OffsetStage2 s2(kOff);
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  ASSERT_EQ(w.walk(kLa, ctx(), long_regs(root), mem, &t, nullptr), WalkStatus::kOk);
  EXPECT_EQ(s2.calls.size(), 3u + 1u);
  EXPECT_EQ(t.page_size, 4096u);
  EXPECT_EQ(t.gpa, 0x20'0000u | (kLa & 0x1FFFFF));
  EXPECT_EQ(t.pa, t.gpa + kOff);
}

TEST(WalkerStage2, PaeAnd32BitAndNoPaging) {
  MockMem mem;
  Builder b(mem, kOff);
  OffsetStage2 s2(kOff);
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  const uint64_t pdpt = 0x3000;
  b.map_pae(pdpt, 0x1000, 0x5000, 1, kPRwUs | kPteA, kPRwUs | kPteA);
  ASSERT_EQ(w.walk(0x1234, ctx(), pae_regs(pdpt), mem, &t, nullptr), WalkStatus::kOk);
  EXPECT_EQ(s2.calls.size(), 3u + 1u);
  EXPECT_EQ(t.pa, 0x5234u + kOff);
  s2.calls.clear();
  const uint64_t pd = b.alloc();
  b.map32(pd, 0x1000, 0x6000, kPRwUs | kPteA, kPRwUs | kPteA);
  ASSERT_EQ(w.walk(0x1234, ctx(), regs32(pd), mem, &t, nullptr), WalkStatus::kOk);
  EXPECT_EQ(s2.calls.size(), 2u + 1u);
  EXPECT_EQ(t.pa, 0x6234u + kOff);
  s2.calls.clear();
  PagingRegs r;
  r.cr0 = kCr0Pe;
  ASSERT_EQ(w.walk(0x1234, ctx(Access::kExec), r, mem, &t, nullptr), WalkStatus::kOk);
  ASSERT_EQ(s2.calls.size(), 1u);
  EXPECT_FALSE(s2.calls[0].is_walk);
  EXPECT_EQ(s2.calls[0].access, Access::kExec);
  EXPECT_EQ(t.pa, 0x1234u + kOff);
}

TEST(WalkerStage2, FaultOnPagingStructure) {
  MockMem mem;
  Builder b(mem, kOff);
  const uint64_t root = b.alloc();
  b.map64(root, 4, kLa, 0x5000, 1);
  OffsetStage2 s2(kOff);
  s2.fail_page = b.entry64(root, 4, kLa, 2);  // the page directory
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  uint32_t err = 0xDEAD;
  ASSERT_EQ(w.walk(kLa, ctx(), long_regs(root), mem, &t, &err), WalkStatus::kStage2Fault);
  EXPECT_EQ(err, 0xDEADu);
  EXPECT_EQ(s2.calls.size(), 3u);
  EXPECT_TRUE(s2.calls.back().is_walk);
  EXPECT_EQ(w.walk_refs, 2u);
  EXPECT_EQ(w.page_faults, 0u);
  EXPECT_TRUE(mem.writes.empty());
}

TEST(WalkerStage2, FaultOnFinalAddress) {
  MockMem mem;
  Builder b(mem, kOff);
  const uint64_t root = b.alloc();
  b.map64(root, 4, kLa, 0x5000, 1, kPRwUs | kPteA | kPteD, kPRwUs | kPteA);
  OffsetStage2 s2(kOff);
  s2.fail_page = 0x5000;
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  ASSERT_EQ(w.walk(kLa, ctx(), long_regs(root), mem, &t, nullptr), WalkStatus::kStage2Fault);
  EXPECT_EQ(s2.calls.size(), 5u);
  EXPECT_FALSE(s2.calls.back().is_walk);
  EXPECT_EQ(w.walk_refs, 4u);
}

TEST(WalkerStage2, FaultOnAccessedBitWrite) {
  MockMem mem;
  Builder b(mem, kOff);
  const uint64_t root = b.alloc();
  b.map64(root, 4, kLa, 0x5000, 1);
  OffsetStage2 s2(kOff);
  s2.fail_page = b.entry64(root, 4, kLa, 1);  // the page table is read-only in stage 2
  s2.fail_any = false;
  s2.fail_access = Access::kWrite;
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  ASSERT_EQ(w.walk(kLa, ctx(), long_regs(root), mem, &t, nullptr), WalkStatus::kStage2Fault);
  EXPECT_EQ(s2.calls.back().access, Access::kWrite);
  EXPECT_TRUE(s2.calls.back().is_walk);
  EXPECT_EQ(w.page_faults, 0u);
}

TEST(WalkerStage2, GuestPageFaultStillReported) {
  MockMem mem;
  Builder b(mem, kOff);
  const uint64_t root = b.alloc();
  b.map64(root, 4, kLa, 0x5000, 1);
  OffsetStage2 s2(kOff);
  Walker w;
  w.set_stage2(&s2);
  Translation t;
  uint32_t err = 0xDEAD;
  ASSERT_EQ(w.walk(kLa + 0x1000, ctx(Access::kWrite, true), long_regs(root), mem, &t, &err),
            WalkStatus::kPageFault);
  EXPECT_EQ(err, kPfWrite | kPfUser);
  EXPECT_EQ(s2.calls.size(), 4u);  // no final-address translation
}

}  // namespace
}  // namespace hvsim::mmu
