// Test helpers for the TLB, paging-structure-cache and MMU tests: a sparse
// mock physical memory and a 4-level page-table builder.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>

#include "sim/mmu/walker.h"

namespace hvsim::mmu::test {

inline constexpr uint64_t kCr0Pe = 1ull << 0;
inline constexpr uint64_t kCr0Wp = 1ull << 16;
inline constexpr uint64_t kCr0Pg = 1ull << 31;
inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kCr4Pge = 1ull << 7;
inline constexpr uint64_t kCr4Pcide = 1ull << 17;
inline constexpr uint64_t kCr4Smep = 1ull << 20;
inline constexpr uint64_t kEferLme = 1ull << 8;
inline constexpr uint64_t kEferLma = 1ull << 10;
inline constexpr uint64_t kEferNxe = 1ull << 11;

class SparseMem : public PhysMem {
 public:
  uint64_t read_phys(uint64_t pa, unsigned size) override {
    ++reads;
    return load(pa, size);
  }
  void write_phys(uint64_t pa, uint64_t value, unsigned size) override {
    ++writes;
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
    for (unsigned i = 0; i < size; ++i)
      pages_[(pa + i) >> 12][(pa + i) & 0xFFF] = (value >> (8 * i)) & 0xFF;
  }
  uint64_t q(uint64_t pa) const { return load(pa, 8); }
  void set_q(uint64_t pa, uint64_t v) { store(pa, v, 8); }

  uint64_t reads = 0, writes = 0;

 private:
  std::unordered_map<uint64_t, std::array<uint8_t, 4096>> pages_;
};

// Builds 4-level tables from a PML4 at `root`; tables are allocated upwards
// from root + 4 KiB. Intermediate entries get P|RW|US (plus A when
// `accessed`), so the leaf decides the rights. map() returns the address of
// the leaf entry.
class Tables {
 public:
  explicit Tables(SparseMem& m, uint64_t root = 0x100000, bool accessed = false)
      : m_(m),
        root_(root),
        next_(root + 0x1000),
        upper_(kPteP | kPteRw | kPteUs | (accessed ? kPteA : 0)) {}

  uint64_t root() const { return root_; }

  uint64_t map(uint64_t la, uint64_t pa, uint64_t flags, uint64_t size = 4096) {
    const unsigned leaf_level = size == (1ull << 30) ? 3 : size == (2ull << 20) ? 2 : 1;
    uint64_t table = root_;
    for (unsigned level = 4;; --level) {
      const uint64_t slot = table + ((la >> (12 + 9 * (level - 1))) & 0x1FF) * 8;
      if (level == leaf_level) {
        m_.set_q(slot, (pa & ~(size - 1)) | flags | (level > 1 ? kPtePs : 0));
        return slot;
      }
      uint64_t e = m_.q(slot);
      if (!(e & kPteP)) {
        e = next_ | upper_;
        next_ += 0x1000;
        m_.set_q(slot, e);
      }
      table = e & 0x000FFFFFFFFFF000ull;
    }
  }
  // The address of the entry of `level` that translates `la` (tables must exist).
  uint64_t entry_addr(uint64_t la, unsigned level) const {
    uint64_t table = root_;
    for (unsigned l = 4;; --l) {
      const uint64_t slot = table + ((la >> (12 + 9 * (l - 1))) & 0x1FF) * 8;
      if (l == level) return slot;
      table = m_.q(slot) & 0x000FFFFFFFFFF000ull;
    }
  }

 private:
  SparseMem& m_;
  uint64_t root_, next_, upper_;
};

// 4-level paging registers with CR3 = root | pcid.
inline PagingRegs long_mode(uint64_t root, uint64_t cr4_extra = 0, uint16_t pcid = 0) {
  PagingRegs r;
  r.cr0 = kCr0Pe | kCr0Pg | kCr0Wp;
  r.cr4 = kCr4Pae | cr4_extra;
  r.efer = kEferLme | kEferLma | kEferNxe;
  r.cr3 = root | pcid;
  return r;
}

}  // namespace hvsim::mmu::test
