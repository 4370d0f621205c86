// Paging-structure caches (see walk_cache.h; SDM Vol. 3 4.10.3).
#include "sim/mmu/walk_cache.h"

#include <string>

#include "sim/base/params.h"
#include "sim/base/stats.h"

namespace hvsim::mmu {
namespace {

// By level - 2.
const char* const kName[4] = {"pde", "pdpte", "pml4e", "pml5e"};

}  // namespace

void PscParams::declare_params(hvsim::base::ParamRegistry& reg) {
  const PscParams d;
  const char* const what[4] = {"PDE cache (SDM 4.10.3.1): a hit leaves only the PTE to read",
                               "PDPTE cache: a hit leaves the PDE and PTE to read",
                               "PML4E cache: a hit leaves the PDPTE, PDE and PTE to read",
                               "PML5E cache (5-level paging only)"};
  for (unsigned i = 0; i < 4; ++i)
    reg.add_uint(std::string("mmu.psc.") + kName[i] + "_entries", d.entries[i], "entries",
                 std::string(what[i]) + "; fully associative, LRU; 0 disables it", 0, 65536);
  reg.add_uint("mmu.psc.hit_cycles", d.hit_cycles, "cycles",
               "added to a walk that starts from a paging-structure-cache hit (Bhargava et "
               "al., ASPLOS 2008, model a 2-cycle page walk cache)",
               0, 1000000);
}

PscParams PscParams::from_config(const hvsim::base::Config& cfg) {
  PscParams p;
  for (unsigned i = 0; i < 4; ++i)
    p.entries[i] =
        static_cast<uint32_t>(cfg.get_uint(std::string("mmu.psc.") + kName[i] + "_entries"));
  p.hit_cycles = static_cast<uint32_t>(cfg.get_uint("mmu.psc.hit_cycles"));
  return p;
}

PagingStructureCache::PagingStructureCache(const PscParams& p) : hit_cycles_(p.hit_cycles) {
  enabled_ = false;
  for (unsigned i = 0; i < 4; ++i) {
    levels_[i].assign(p.entries[i], Entry{});
    enabled_ |= p.entries[i] != 0;
  }
}

PagingStructureCache::Entry* PagingStructureCache::find(unsigned level, uint64_t key,
                                                        const TlbTags& t) {
  for (Entry& e : levels_[level - 2])
    if (e.valid && e.key == key && e.pcid == t.pcid && e.tag == t.tag && e.ctx == t.ctx) return &e;
  return nullptr;
}

bool PagingStructureCache::lookup(uint64_t la, unsigned max_level, const TlbTags& t, Hit* hit) {
  ++lookups;
  // The deepest level first: it skips the most references (4.10.3.2).
  for (unsigned level = 2; level <= max_level && level <= 5; ++level) {
    if (levels_[level - 2].empty()) continue;
    Entry* e = find(level, la >> shift_of(level), t);
    if (!e) continue;
    e->lru = ++clock_;
    ++hits[level - 2];
    *hit = Hit{level, e->table, e->writable, e->user, e->nx};
    return true;
  }
  return false;
}

void PagingStructureCache::fill(unsigned level, uint64_t la, uint64_t table, bool writable,
                                bool user, bool nx, const TlbTags& t) {
  if (level < 2 || level > 5) return;
  std::vector<Entry>& v = levels_[level - 2];
  if (v.empty()) return;
  const uint64_t key = la >> shift_of(level);
  Entry* slot = find(level, key, t);
  if (!slot) {
    slot = &v[0];
    for (Entry& e : v) {
      if (!e.valid) {
        slot = &e;
        break;
      }
      if (e.lru < slot->lru) slot = &e;
    }
  }
  *slot = Entry{key, table, t.ctx, ++clock_, t.tag, t.pcid, true, writable, user, nx};
  ++fills;
}

void PagingStructureCache::flush(const TlbFlush& f) {
  for (unsigned level = 2; level <= 5; ++level) {
    for (Entry& e : levels_[level - 2]) {
      if (!e.valid || !f.reaches(e.pcid, /*global=*/false, e.tag, e.ctx)) continue;
      if (f.by_la && e.key != (f.la >> shift_of(level))) continue;
      e.valid = false;
      ++invalidations;
    }
  }
}

void PagingStructureCache::register_stats(hvsim::base::StatRegistry& reg) {
  reg.add_counter("mmu.psc.lookups", &lookups, "count",
                  "paging-structure-cache lookups (one per 4-level, 5-level or PAE walk)");
  for (unsigned i = 0; i < 4; ++i)
    reg.add_counter(std::string("mmu.psc.") + kName[i] + "_hits", &hits[i], "count",
                    std::string("walks that started from a ") + kName[i] + "-cache hit");
  reg.add_counter("mmu.psc.fills", &fills, "count", "paging-structure-cache entries written");
  reg.add_counter("mmu.psc.invalidations", &invalidations, "count",
                  "paging-structure-cache entries removed by invalidations and page faults");
}

}  // namespace hvsim::mmu
