// The tags-only cache hierarchy (see cache_model.h).
#include "sim/cache/cache_model.h"

#include <algorithm>
#include <string>

#include "sim/base/params.h"
#include "sim/base/stats.h"
#include "sim/cache/fixed_path.h"

namespace hvsim::cache {
namespace {

const char* const kLevelName[4] = {"l1d", "l2", "llc", "l1i"};
const char* const kSourceName[kNumCacheSources] = {"data", "walk", "fetch"};

bool is_pow2(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

}  // namespace

void CacheParams::declare_params(hvsim::base::ParamRegistry& reg) {
  const CacheParams d;
  reg.add_uint("cache.line_bytes", d.line_bytes, "bytes",
               "cache line size of every level (a power of two)", 16, 4096);
  const CacheLevelParams* lv[4] = {&d.l1d, &d.l2, &d.llc, &d.l1i};
  const char* const what[4] = {
      "L1 data cache (default as a recent Intel/AMD core: 32 KiB, 8-way, 4 cycles)",
      "private L2 cache (default 1 MiB, 16-way, 14 cycles)",
      "last-level cache (default 8 MiB, 16-way, 40 cycles)",
      "L1 instruction cache, timed by timing.model = ooo (Skylake: 32 KiB, 8-way, Intel "
      "optimization manual, Skylake client; its hit latency is hidden by the fetch pipeline: "
      "a fetch stalls for the serving level's latency minus this)"};
  for (unsigned i = 0; i < 4; ++i) {
    const std::string k = std::string("cache.") + kLevelName[i];
    reg.add_uint(k + ".size_bytes", lv[i]->size_bytes, "bytes",
                 std::string("capacity of the ") + what[i] + "; 0 disables the level", 0,
                 1ull << 34);
    reg.add_uint(k + ".ways", lv[i]->ways, "ways",
                 std::string("associativity of the ") + kLevelName[i] +
                     " (size/line_bytes for fully associative)",
                 1, 1u << 20);
    reg.add_uint(k + ".hit_cycles", lv[i]->hit_cycles, "cycles",
                 std::string("load-to-use latency of an access that hits in the ") + kLevelName[i] +
                     " (a total, not an increment)",
                 0, 1000000);
  }
  reg.add_uint("cache.memory_cycles", d.memory_cycles, "cycles",
               "load-to-use latency of an access that misses every cache level (DRAM)", 0, 1000000);
  reg.add_bool("cache.stores_block", d.stores_block,
               "a store waits for its cache miss; false: stores retire into a store buffer and "
               "cost at most an L1 hit (the line is still allocated)");
}

CacheParams CacheParams::from_config(const hvsim::base::Config& cfg) {
  CacheParams p;
  p.line_bytes = static_cast<uint32_t>(cfg.get_uint("cache.line_bytes"));
  if (!is_pow2(p.line_bytes))
    throw hvsim::base::ConfigError("cache.line_bytes: must be a power of two");
  CacheLevelParams* lv[4] = {&p.l1d, &p.l2, &p.llc, &p.l1i};
  for (unsigned i = 0; i < 4; ++i) {
    const std::string k = std::string("cache.") + kLevelName[i];
    lv[i]->size_bytes = cfg.get_uint(k + ".size_bytes");
    lv[i]->ways = static_cast<uint32_t>(cfg.get_uint(k + ".ways"));
    lv[i]->hit_cycles = static_cast<uint32_t>(cfg.get_uint(k + ".hit_cycles"));
    if (lv[i]->size_bytes % (uint64_t{lv[i]->ways} * p.line_bytes) != 0)
      throw hvsim::base::ConfigError(k + ".size_bytes: must be a multiple of ways * line_bytes");
  }
  p.memory_cycles = static_cast<uint32_t>(cfg.get_uint("cache.memory_cycles"));
  p.stores_block = cfg.get_bool("cache.stores_block");
  return p;
}

CacheLevel::CacheLevel(const CacheLevelParams& p, uint32_t line_bytes) : hit_cycles_(p.hit_cycles) {
  const uint64_t lines = line_bytes ? p.size_bytes / line_bytes : 0;
  if (lines == 0 || p.ways == 0 || lines < p.ways) return;  // disabled
  assoc_ = p.ways;
  sets_ = lines / p.ways;
  pow2_ = is_pow2(sets_);
  stride_ = stride_for(assoc_);
  mem_.resize(sets_ * stride_);
  invalidate_all();
}

void CacheLevel::become_wide() {
  wide_ = true;
  his_.assign(sets_ * assoc_, 0u);
}

bool CacheLevel::probe(uint64_t line, bool write) {
  note_wide(line);
  uint32_t* s = set_of(line);
  const uint32_t w = find(s, line);
  if (w == assoc_) return false;
  uint32_t* st = s + assoc_;
  const uint32_t now = next_stamp();
  st[w] = now | (st[w] & kDirty) | (write ? kDirty : 0);
  return true;
}

bool CacheLevel::contains(uint64_t line) const {
  if (!enabled()) return false;
  // Not wide: no line held is >= 2^32 - 1, so such a line is absent.
  if (!wide_ && line >= 0xffffffffull) return false;
  const uint32_t* s = set_of(line);
  return find(s, line) != assoc_;
}

void CacheLevel::fill(uint64_t line, bool dirty) {
  note_wide(line);
  uint32_t* s = set_of(line);
  fill_way(s + victim_in(s), line, dirty);
}

// The stamps of each set renumbered 1..n in their order (invalid ways keep
// 0, dirty bits kept), so the LRU order, hence every later victim, is
// unchanged; the clock restarts after the largest.
void CacheLevel::renumber() {
  std::vector<uint32_t> order(assoc_);
  uint32_t top = 0;
  for (uint64_t i = 0; i < sets_; ++i) {
    uint32_t* st = mem_.data() + i * stride_ + assoc_;
    uint32_t n = 0;
    for (uint32_t w = 0; w < assoc_; ++w)
      if (st[w] & ~kDirty) order[n++] = w;
    std::sort(order.begin(), order.begin() + n,
              [st](uint32_t x, uint32_t y) { return (st[x] & ~kDirty) < (st[y] & ~kDirty); });
    for (uint32_t r = 0; r < n; ++r) st[order[r]] = (st[order[r]] & kDirty) | (r + 1);
    top = std::max(top, n);
  }
  clock_ = top;
}

void CacheLevel::invalidate_all() {
  for (uint64_t i = 0; i < sets_; ++i) {
    uint32_t* s = mem_.data() + i * stride_;
    for (uint32_t w = 0; w < assoc_; ++w) {
      s[w] = ~0u;
      s[assoc_ + w] = 0;
    }
  }
  std::fill(his_.begin(), his_.end(), 0u);
}

CacheModel::CacheModel(const CacheParams& p)
    : levels_{CacheLevel(p.l1d, p.line_bytes), CacheLevel(p.l2, p.line_bytes),
              CacheLevel(p.llc, p.line_bytes), CacheLevel(p.l1i, p.line_bytes)},
      line_bytes_(p.line_bytes),
      line_mask_(uint64_t{p.line_bytes} - 1),
      line_shift_(static_cast<unsigned>(__builtin_ctz(p.line_bytes ? p.line_bytes : 64))),
      store_cap_(p.stores_block ? ~0u : p.l1d.hit_cycles),
      memory_cycles_(p.memory_cycles) {
  // One MRU slot per L1D set when the sets are a power of two (a line's
  // slot is its set), else a single slot (the last line accessed).
  const uint64_t lines = p.line_bytes ? p.l1d.size_bytes / p.line_bytes : 0;
  const uint64_t sets = p.l1d.ways && lines >= p.l1d.ways ? lines / p.l1d.ways : 0;
  const bool pow2 = sets != 0 && (sets & (sets - 1)) == 0 && sets <= (1u << 16);
  mru_.assign(pow2 ? sets : 1, MruSlot{});
  mru_mask_ = pow2 ? sets - 1 : 0;
  path_ = best_path_ = FixedPath::best(*this);
  fetch_fixed_ = FixedPath::fetch_fits(*this);
}

CacheModel::Path CacheModel::set_path_for_test(Path p) {
  path_ = std::min(p, best_path_);  // kFixedSse41 > kFixed > kLevels
  fetch_fixed_ = p != Path::kLevels && FixedPath::fetch_fits(*this);
  return path_;
}

bool CacheModel::same_state_for_test(const CacheModel& o) const {
  for (unsigned i = 0; i < 4; ++i) {
    const CacheLevel& a = levels_[i];
    const CacheLevel& b = o.levels_[i];
    if (a.mem_ != b.mem_ || a.his_ != b.his_ || a.clock_ != b.clock_ || a.wide_ != b.wide_)
      return false;
  }
  if (mru_.size() != o.mru_.size() || fetch_mru_ != o.fetch_mru_) return false;
  for (size_t i = 0; i < mru_.size(); ++i)
    if (mru_[i].line != o.mru_[i].line || mru_[i].dirty != o.mru_[i].dirty) return false;
  return true;
}

uint32_t CacheModel::lookup_fill(uint64_t line, bool is_write, unsigned src, unsigned first) {
  unsigned missed = 0;  // levels [0, missed) missed and need the line
  uint32_t latency = memory_cycles_ + dram_extra_;
  bool hit = false;
  uint32_t* victim[3] = {};  // where each level that missed takes the line
  for (unsigned i = first; i < 3; ++i) {
    CacheLevel& c = levels_[i];
    if (!c.enabled()) continue;
    // Only the innermost enabled level holds the line dirty (write-back).
    if (c.lookup(line, is_write && missed == 0, &victim[i])) {
      ++c.hits[src];
      latency = c.hit_cycles();
      hit = true;
      break;
    }
    ++c.misses[src];
    missed = i + 1;
  }
  if (!hit) ++memory_accesses[src];
  // Write-allocate: fill every enabled level that missed; the innermost
  // enabled level takes the dirty copy of a write.
  bool first_fill = true;
  for (unsigned i = first; i < missed; ++i) {
    CacheLevel& c = levels_[i];
    if (!c.enabled()) continue;
    c.fill_way(victim[i], line, is_write && first_fill);
    first_fill = false;
  }
  return latency;
}

uint32_t CacheModel::access_levels(uint64_t line, bool is_write, CacheSource source) {
  const uint32_t latency = lookup_fill(line, is_write, static_cast<unsigned>(source), 0);
  // The line is now the most recently used of its L1 set.
  if (levels_[0].enabled()) {
    MruSlot& m = mru_[line & mru_mask_];
    if (m.line != line) m.dirty = false;
    m.line = line;
    m.dirty = m.dirty || is_write;
  }
  return latency;
}

uint32_t CacheModel::fetch_levels(uint64_t line) {
  constexpr unsigned src = static_cast<unsigned>(CacheSource::kFetch);
  CacheLevel& l1i = levels_[kL1i];
  if (!l1i.enabled()) return lookup_fill(line, false, src, 1);
  fetch_mru_ = line;
  if (l1i.probe(line, false)) {
    ++l1i.hits[src];
    return 0;
  }
  ++l1i.misses[src];
  const uint32_t latency = lookup_fill(line, false, src, 1);
  l1i.fill(line, false);
  return latency > l1i.hit_cycles() ? latency - l1i.hit_cycles() : 0;
}

void CacheModel::invalidate_all() {
  for (CacheLevel& c : levels_) c.invalidate_all();
  for (MruSlot& m : mru_) m = MruSlot{};
  fetch_mru_ = ~0ull;
}

void CacheModel::register_stats(hvsim::base::StatRegistry& reg) {
  for (unsigned i = 0; i < 4; ++i) {
    const std::string k = std::string("cache.") + kLevelName[i];
    for (unsigned s = 0; s < kNumCacheSources; ++s) {
      // The L1D serves no fetch, the L1I nothing else.
      if ((i == 0 && s == 2) || (i == kL1i && s != 2)) continue;
      const std::string who = s == 0   ? "instruction data accesses"
                              : s == 1 ? "page-walk references"
                                       : "instruction fetches (timing.model = ooo)";
      reg.add_counter(k + "." + kSourceName[s] + "_hits", &levels_[i].hits[s], "count",
                      std::string(kLevelName[i]) + " hits by " + who);
      reg.add_counter(k + "." + kSourceName[s] + "_misses", &levels_[i].misses[s], "count",
                      std::string(kLevelName[i]) + " misses by " + who);
    }
    reg.add_counter(k + ".writebacks", &levels_[i].writebacks, "count",
                    std::string("dirty lines evicted from the ") + kLevelName[i]);
  }
  reg.add_counter("cache.memory.data_accesses", &memory_accesses[0], "count",
                  "instruction data accesses that missed every cache level");
  reg.add_counter("cache.memory.walk_accesses", &memory_accesses[1], "count",
                  "page-walk references that missed every cache level");
  reg.add_counter("cache.memory.fetch_accesses", &memory_accesses[2], "count",
                  "instruction fetches that missed every cache level (timing.model = ooo)");
}

}  // namespace hvsim::cache
