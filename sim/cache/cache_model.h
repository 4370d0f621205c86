// A tags-only, set-associative cache hierarchy (L1I and L1D, L2, LLC) for timing:
// no data is held, only which lines are present. LRU replacement,
// write-allocate, write-back (a dirty victim counts as a writeback; the
// writeback itself costs nothing). Levels are non-inclusive: a miss fills
// every enabled level it missed in, and an eviction from an outer level
// leaves inner copies alone. Deterministic: no randomness anywhere.
//
// Latencies are load-to-use totals, not increments: an access that hits in
// L2 costs l2.hit_cycles, one that misses everywhere costs memory_cycles.
// A level with size 0 is disabled (skipped). access() charges one line;
// data_access() charges an instruction's access, split at line boundaries
// (a store's full latency: the core model applies the store-buffer rule of
// cache.stores_block); fetch_access() charges instruction fetch through the
// L1I, which misses into L2 and the LLC. A DRAM access costs memory_cycles
// plus the RAM's own read latency (memory.read_latency_cycles, reported in
// its DMI grant: set_dram_extra).
#pragma once

#include <cstdint>
#include <vector>

namespace hvsim::base {
class Config;
class ParamRegistry;
class StatRegistry;
}  // namespace hvsim::base

namespace hvsim::cache {

// Who made an access: an instruction's data access, or a page walk.
enum class CacheSource : uint8_t { kData = 0, kWalk = 1, kFetch = 2 };
constexpr unsigned kNumCacheSources = 3;

struct CacheLevelParams {
  uint64_t size_bytes = 0;  // 0 disables the level
  uint32_t ways = 1;
  uint32_t hit_cycles = 0;
};

struct CacheParams {
  uint32_t line_bytes = 64;
  CacheLevelParams l1d{32 * 1024, 8, 4};
  CacheLevelParams l1i{32 * 1024, 8, 4};
  CacheLevelParams l2{1024 * 1024, 16, 14};
  CacheLevelParams llc{8 * 1024 * 1024, 16, 40};
  uint32_t memory_cycles = 200;
  // A store waits for its miss; false: it retires into a store buffer and
  // costs at most an L1 hit (the line is still allocated).
  bool stores_block = false;

  static void declare_params(hvsim::base::ParamRegistry& reg);  // cache.*
  // Throws base::ConfigError when a level's geometry does not divide.
  static CacheParams from_config(const hvsim::base::Config& cfg);
};

// One level: sets x ways of line tags.
class CacheLevel {
 public:
  CacheLevel(const CacheLevelParams& p, uint32_t line_bytes);

  bool enabled() const { return sets_ != 0; }
  // Looks `line` (pa / line_bytes) up, refreshing LRU; marks it dirty on a
  // write hit.
  bool probe(uint64_t line, bool write);
  // Inserts `line` (known absent), evicting the LRU way of its set.
  void fill(uint64_t line, bool dirty);
  // probe() and, on a miss, the way fill() would evict (*victim), in one
  // scan of the set; fill_way() then inserts there.
  struct Way {
    uint64_t line = ~0ull;  // ~0 = invalid
    uint64_t lru = 0;       // the clock at the last use, kDirty set when dirty
  };
  static constexpr uint64_t kDirty = 1ull << 63;  // the clock never gets there
  bool lookup(uint64_t line, bool write, Way** victim);
  void fill_way(Way* victim, uint64_t line, bool dirty);
  bool contains(uint64_t line) const;
  void invalidate_all();
  uint32_t hit_cycles() const { return hit_cycles_; }

  uint64_t hits[kNumCacheSources] = {};    // by CacheSource
  uint64_t misses[kNumCacheSources] = {};  // by CacheSource
  uint64_t writebacks = 0;  // dirty lines evicted

 private:
  Way* set_of(uint64_t line) { return &ways_[set_index(line) * assoc_]; }
  Way* victim_in(Way* set) const;
  uint64_t set_index(uint64_t line) const { return pow2_ ? (line & (sets_ - 1)) : (line % sets_); }

  std::vector<Way> ways_;
  uint64_t sets_ = 0;
  uint32_t assoc_ = 0;
  uint32_t hit_cycles_ = 0;
  bool pow2_ = true;
  uint64_t clock_ = 0;
};

class CacheModel {
 public:
  explicit CacheModel(const CacheParams& p = {});

  // Charges one access to the line holding `pa`; returns its latency.
  // Fast path: the line is the one its L1 set saw last (mru_[set]), so it
  // is in L1 and already the most recently used of its set: an L1 hit with
  // nothing to update, as LRU order within the set cannot change (a first
  // write to it still takes the full path to mark the line dirty). With a
  // power-of-two number of sets mru_ has one slot per set; otherwise one.
  uint32_t access(uint64_t pa, bool is_write, CacheSource source) {
    const uint64_t line = pa >> line_shift_;
    const MruSlot& m = mru_[line & mru_mask_];
    if (line == m.line && (m.dirty || !is_write) && source != CacheSource::kFetch) {
      ++levels_[0].hits[static_cast<unsigned>(source)];
      return levels_[0].hit_cycles();
    }
    return access_full(line, is_write, source);
  }
  // Charges an instruction's data access of `n` bytes at `pa`, one access()
  // per line touched; returns the full latency (a store's too: store_cap()
  // is what a store costs an in-order core, timing::SimpleCore applies it).
  uint32_t data_access(uint64_t pa, unsigned n, bool is_write) {
    uint32_t c = access(pa, is_write, CacheSource::kData);
    if (__builtin_expect(((pa & line_mask_) + n) > line_mask_ + 1, 0))
      c += access((pa | line_mask_) + 1, is_write, CacheSource::kData);
    return c;
  }
  // Instruction fetch of the `n` bytes at `pa` (a decoded block): the stall
  // beyond an L1I hit, summed over the lines touched. The line fetched last
  // is a hit with nothing to update (the common case: a loop).
  uint32_t fetch_access(uint64_t pa, unsigned n) {
    uint64_t line = pa >> line_shift_;
    const uint64_t last = (pa + (n ? n - 1 : 0)) >> line_shift_;
    uint32_t c = 0;
    for (; line <= last; ++line) {
      if (line == fetch_mru_) {
        ++levels_[kL1i].hits[2];
        continue;
      }
      c += fetch_full(line);
    }
    return c;
  }
  // A store retires into the store buffer: its miss is not on the critical
  // path of an in-order core unless cache.stores_block, so it costs at most
  // the L1 hit latency (~0u: stores block).
  uint32_t store_cap() const { return store_cap_; }
  // The RAM's own read latency, added to every access that misses every level.
  void set_dram_extra(uint32_t c) { dram_extra_ = c; }
  // WBINVD/INVD: every level emptied (writebacks are not counted).
  void invalidate_all();

  CacheLevel& l1d() { return levels_[0]; }
  CacheLevel& l1i() { return levels_[kL1i]; }
  CacheLevel& l2() { return levels_[1]; }
  CacheLevel& llc() { return levels_[2]; }
  uint32_t line_bytes() const { return line_bytes_; }
  uint32_t memory_cycles() const { return memory_cycles_; }

  void register_stats(hvsim::base::StatRegistry& reg);  // cache.*

  uint64_t memory_accesses[kNumCacheSources] = {};  // by CacheSource: missed every level

 private:
  static constexpr unsigned kL1i = 3;  // levels_[3]: beside L1D, misses into L2
  uint32_t access_full(uint64_t line, bool is_write, CacheSource source);
  uint32_t fetch_full(uint64_t line);
  // Looks `line` up from `first` outward, filling the levels that missed;
  // returns the latency of the level that served it.
  uint32_t lookup_fill(uint64_t line, bool is_write, unsigned src, unsigned first);

  CacheLevel levels_[4];  // L1D, L2, LLC, L1I
  uint64_t fetch_mru_ = ~0ull;  // line of the last fetch, when the L1I is enabled
  uint32_t dram_extra_ = 0;
  struct MruSlot {
    uint64_t line = ~0ull;  // the line its L1 set saw last (when L1 is enabled)
    bool dirty = false;     // known dirty in L1
  };
  std::vector<MruSlot> mru_;
  uint64_t mru_mask_ = 0;
  uint32_t line_bytes_;
  uint64_t line_mask_;
  unsigned line_shift_;
  uint32_t store_cap_;  // most a store is charged (~0: stores block)
  uint32_t memory_cycles_;
};

}  // namespace hvsim::cache
