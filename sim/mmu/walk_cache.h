// Paging-structure caches (SDM Vol. 3 4.10.3): a PML5E, PML4E, PDPTE and
// PDE cache, each fully associative with LRU replacement and its own number
// of entries (0 disables it). An entry for a level-L paging-structure entry
// (L = 2 PDE .. 5 PML5E) is found by the linear-address bits above
// 12 + 9(L-1) and holds the physical address of the next table and the
// rights combined down to it (R/W and U/S ANDed, XD ORed), so a hit lets the
// walker start at level L-1 (4.10.3.2). Only non-leaf entries are cached,
// only after a successful walk (so their accessed flags are set, 4.10.3.1).
// Entries carry PCID, VPID/ASID and EPTP/nCR3 tags and are never global.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/mmu/tlb_flush.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::base {
class Config;
class ParamRegistry;
class StatRegistry;
}  // namespace hvsim::base

namespace hvsim::mmu {

struct PscParams {
  // entries[L-2]: L = 2 (PDE cache), 3 (PDPTE), 4 (PML4E), 5 (PML5E).
  uint32_t entries[4] = {32, 4, 4, 2};
  uint32_t hit_cycles = 2;  // charged once per walk that hits

  static void declare_params(hvsim::base::ParamRegistry& reg);  // mmu.psc.*
  static PscParams from_config(const hvsim::base::Config& cfg);
};

class PagingStructureCache {
  friend struct ::hvsim::checkpoint::Access;
 public:
  struct Hit {
    unsigned level = 0;  // the level of the cached entry (2..5); 0 on a miss
    uint64_t table = 0;  // (guest-)physical address of the next table
    bool writable = true, user = true, nx = false;
  };

  explicit PagingStructureCache(const PscParams& p = {});

  // The deepest cached entry for `la` among levels 2..max_level, or false.
  // Counts a lookup and, on a hit, a hit at that level.
  bool lookup(uint64_t la, unsigned max_level, const TlbTags& t, Hit* hit);
  void fill(unsigned level, uint64_t la, uint64_t table, bool writable, bool user, bool nx,
            const TlbTags& t);
  // Removes the entries the request reaches; with by_la, those that would be
  // used to translate `la`.
  void flush(const TlbFlush& f);

  uint32_t hit_cycles() const { return hit_cycles_; }
  bool enabled() const { return enabled_; }
  unsigned capacity(unsigned level) const {
    return static_cast<unsigned>(levels_[level - 2].size());
  }

  void register_stats(hvsim::base::StatRegistry& reg);  // mmu.psc.*

  uint64_t lookups = 0;
  uint64_t hits[4] = {};  // by level, [0] = PDE cache
  uint64_t fills = 0;
  uint64_t invalidations = 0;  // entries removed by flush()

 private:
  struct Entry {
    uint64_t key = 0;  // la >> (12 + 9(L-1))
    uint64_t table = 0;
    uint64_t ctx = 0;
    uint64_t lru = 0;
    uint32_t tag = 0;
    uint16_t pcid = 0;
    bool valid = false, writable = false, user = false, nx = false;
  };
  static unsigned shift_of(unsigned level) { return 12 + 9 * (level - 1); }
  Entry* find(unsigned level, uint64_t key, const TlbTags& t);

  std::vector<Entry> levels_[4];
  uint32_t hit_cycles_;
  bool enabled_;
  uint64_t clock_ = 0;
};

}  // namespace hvsim::mmu
