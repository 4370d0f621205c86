// One TLB level (SDM Vol. 3 4.10.2): set-associative with LRU replacement
// (fully associative when ways == entries), holding the page sizes it is
// configured for. An entry caches a whole translation (4.10.2.2): the
// physical page, the rights combined over the walk (and what stage 2
// allows on the page, under EPT/NPT), whether the mapping
// entry's dirty flag is known to be set, and G; it is tagged with the linear
// page, its size, the PCID (4.10.1), and a VPID/ASID `tag` and EPTP/nCR3
// `ctx` for the VMX/SVM code (0 natively). A global entry matches every PCID
// (4.10.2.4) but only its own tag and ctx.
//
// A translation for a page size the level does not hold is cached as the
// largest smaller size it does hold ("splintered": a 2 MiB page in a
// 4 KiB-only level becomes the 4 KiB piece containing the address), or not
// at all. All page sizes share the sets: the set index is the page number at
// each size, and a lookup probes once per size held.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/mmu/tlb_flush.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::mmu {

// Page sizes a level may hold (a bit mask).
enum PageSizeMask : uint8_t { kPage4K = 1, kPage2M = 2, kPage1G = 4 };

struct TlbEntry {
  uint64_t vpn = 0;       // linear address >> shift
  uint64_t pa_page = 0;   // (host-)physical base of the cached page
  uint64_t gpa_page = 0;  // guest-physical base (equals pa_page natively)
  uint64_t ctx = 0;
  uint64_t lru = 0;
  uint32_t tag = 0;
  uint16_t pcid = 0;
  uint8_t shift = 12;  // 12, 21 or 30
  bool valid = false;
  bool global = false;
  bool writable = false, user = false, nx = false;
  bool dirty = false;  // D=1 in the mapping entry is known (4.8)
  uint8_t s2_rights = 0xf;  // stage-2 rights (kS2*) of the final page (walker.h)

  uint64_t size() const { return 1ull << shift; }
  uint64_t la_page() const { return vpn << shift; }
};

// Called when a fill evicts a valid entry (capacity, not invalidation), so
// that a cache in front of this level (the engine's host-pointer TLB) can
// stay a subset of it.
using TlbEvictFn = void (*)(void* ctx, uint64_t la_page, uint64_t size);

struct TlbGeometry {
  uint32_t entries = 0;  // 0 disables the level
  uint32_t ways = 1;     // entries % ways == 0; ways == entries: fully associative
  uint8_t sizes = kPage4K;
};

class Tlb {
  friend struct ::hvsim::checkpoint::Access;
 public:
  explicit Tlb(const TlbGeometry& g = {});

  bool enabled() const { return sets_ != 0; }
  uint8_t sizes() const { return sizes_; }
  uint32_t entries() const { return static_cast<uint32_t>(e_.size()); }

  // The entry translating `la` for these tags, or null; refreshes LRU.
  TlbEntry* lookup(uint64_t la, const TlbTags& t);
  // Caches the translation of `la` (see the splintering rule above); an
  // entry with the same page, size and tags is replaced in place. Returns
  // false when the level holds no size that fits.
  bool fill(uint64_t la, const Translation& tr, const TlbTags& t);
  // Copies an entry from another level (an L2 hit refilling L1), splintered
  // as needed. Returns false when no size fits.
  bool fill_from(uint64_t la, const TlbEntry& src);
  // Removes every entry the request reaches; returns how many.
  unsigned flush(const TlbFlush& f);

  void set_evict_listener(TlbEvictFn fn, void* ctx) {
    evict_fn_ = fn;
    evict_ctx_ = ctx;
  }
  // Every valid entry (for tests and dumps).
  template <typename F>
  void for_each(F&& f) const {
    for (const TlbEntry& e : e_)
      if (e.valid) f(e);
  }

  uint64_t fills = 0;
  uint64_t evictions = 0;      // valid entries replaced by fills
  uint64_t invalidations = 0;  // entries removed by flush()

 private:
  TlbEntry* set_of(uint64_t vpn) {
    return &e_[(pow2_ ? (vpn & (sets_ - 1)) : (vpn % sets_)) * ways_];
  }
  static bool tags_match(const TlbEntry& e, const TlbTags& t) {
    return e.tag == t.tag && e.ctx == t.ctx && (e.global || e.pcid == t.pcid);
  }
  unsigned fit_shift(uint64_t page_size) const;  // 0 when none fits
  void insert(const TlbEntry& n);

  std::vector<TlbEntry> e_;
  uint64_t sets_ = 0;
  uint32_t ways_ = 0;
  uint8_t sizes_ = 0;
  bool pow2_ = true;
  uint64_t clock_ = 0;
  TlbEvictFn evict_fn_ = nullptr;
  void* evict_ctx_ = nullptr;
};

}  // namespace hvsim::mmu
