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

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

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

// A vector's allocator giving 64-byte (host cache line) aligned storage.
template <typename T>
struct LineAlignedAlloc {
  using value_type = T;
  LineAlignedAlloc() = default;
  template <typename U>
  LineAlignedAlloc(const LineAlignedAlloc<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
  template <typename U>
  bool operator==(const LineAlignedAlloc<U>&) const { return true; }
};

struct FixedPath;  // fixed_path.h: access_full() and fetch_full() for the default geometry

// One level: sets x ways of line tags. Compact, so a lookup touches few
// host cache lines: each set is one block of 32-bit words, 64-byte aligned:
// keys[ways] (the line's low 32 bits), stamps[ways] (31-bit LRU clock, bit
// 31 dirty; 0 = invalid way). A 16-way set's keys are one host line and its
// stamps the next; an 8-way set is one line. The lines' high 32 bits are
// apart (his_), made, read and written only once a line >= 2^32 - 1 has
// been seen (wide_): until then every one is 0, the high word of every line
// held.
// Exact: the same hits, victims, LRU order and writebacks as full 64-bit
// tags and stamps (the clock is renumbered per set, order kept, when it
// would wrap).
class CacheLevel {
  friend struct ::hvsim::checkpoint::Access;
  friend struct FixedPath;
  friend class CacheModel;  // same_state_for_test()
 public:
  CacheLevel(const CacheLevelParams& p, uint32_t line_bytes);

  bool enabled() const { return sets_ != 0; }
  // Looks `line` (pa / line_bytes) up, refreshing LRU; marks it dirty on a
  // write hit.
  bool probe(uint64_t line, bool write);
  // Inserts `line` (known absent), evicting the LRU way of its set.
  void fill(uint64_t line, bool dirty);
  // probe() and, on a miss, the way fill() would evict (*victim: its key
  // word), in one scan of the set; fill_way() then inserts there.
  // Both inline: the miss path runs them for every level it visits.
  bool lookup(uint64_t line, bool write, uint32_t** victim) {
    note_wide(line);
    uint32_t* s = set_of(line);
    const uint32_t w = find(s, line);
    if (w != assoc_) {
      uint32_t* st = s + assoc_;
      const uint32_t now = next_stamp();
      st[w] = now | (st[w] & kDirty) | (write ? kDirty : 0);
      return true;
    }
    *victim = s + victim_in(s);  // only a miss looks for one
    return false;
  }
  void fill_way(uint32_t* victim, uint64_t line, bool dirty) {
    uint32_t& stamp = victim[assoc_];
    if ((stamp & ~kDirty) != 0 && (stamp & kDirty)) ++writebacks;
    const uint32_t now = next_stamp();  // may renumber: the victim stays put
    victim[0] = static_cast<uint32_t>(line);
    stamp = now | (dirty ? kDirty : 0);
    if (__builtin_expect(wide_, 0)) his_of(victim) = static_cast<uint32_t>(line >> 32);
  }
  bool contains(uint64_t line) const;
  void invalidate_all();
  uint32_t hit_cycles() const { return hit_cycles_; }
  // Tests: sets the LRU clock (to exercise its renumbering at the wrap).
  void set_clock_for_test(uint32_t c) { clock_ = c; }

  uint64_t hits[kNumCacheSources] = {};    // by CacheSource
  uint64_t misses[kNumCacheSources] = {};  // by CacheSource
  uint64_t writebacks = 0;  // dirty lines evicted

  static constexpr uint32_t kDirty = 1u << 31;    // in a stamp
  static constexpr uint32_t kClockMax = kDirty - 1;
  // Words per set block: keys and stamps, rounded up to 64 bytes.
  static constexpr uint64_t stride_for(uint64_t ways) { return (2 * ways + 15) & ~uint64_t{15}; }

 private:
  uint32_t* set_of(uint64_t line) { return mem_.data() + set_index(line) * stride_; }
  const uint32_t* set_of(uint64_t line) const { return mem_.data() + set_index(line) * stride_; }
  // fill()'s choice in a set (way index): the first invalid way, else the
  // first least recently used. An invalid way's stamp is 0 and a valid
  // one's at least 1, so both are the first smallest stamp (dirty bit
  // masked off). Four stamps at a time when the ways are a multiple of 4:
  // the least stamp, then the first way holding it.
  uint32_t victim_in(const uint32_t* set) const {
    const uint32_t* st = set + assoc_;
#if defined(__SSE2__)
    if ((assoc_ & 3) == 0) {
      const __m128i clock = _mm_set1_epi32(static_cast<int>(kClockMax));
      auto load = [st, clock](uint32_t w) {  // < 2^31: a signed compare orders them
        return _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(st + w)), clock);
      };
      auto least = [](__m128i a, __m128i b) {
        const __m128i gt = _mm_cmpgt_epi32(a, b);
        return _mm_or_si128(_mm_and_si128(gt, b), _mm_andnot_si128(gt, a));
      };
      __m128i m = load(0);
      for (uint32_t w = 4; w < assoc_; w += 4) m = least(m, load(w));
      m = least(m, _mm_shuffle_epi32(m, 0x4e));  // lanes 2,3,0,1
      m = least(m, _mm_shuffle_epi32(m, 0xb1));  // lanes 1,0,3,2: every lane the least
      if (assoc_ <= 32) {  // every way compared, one branch-free result
        uint32_t eq = 0;
        for (uint32_t w = 0; w < assoc_; w += 4)
          eq |= static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(load(w), m))))
                << w;
        return static_cast<uint32_t>(__builtin_ctz(eq));  // the least is in some way
      }
      for (uint32_t w = 0;; w += 4) {
        const int eq = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(load(w), m)));
        if (eq) return w + static_cast<uint32_t>(__builtin_ctz(static_cast<unsigned>(eq)));
      }
    }
#endif
    uint32_t v = 0;
    uint32_t least = st[0] & ~kDirty;
    for (uint32_t w = 1; w < assoc_; ++w) {
      const uint32_t l = st[w] & ~kDirty;
      if (l < least) {
        least = l;
        v = w;
      }
    }
    return v;
  }
  // The way of `set` holding `line`, or assoc_. Not wide_, keys alone are
  // unique in a set (no valid line's key is the invalid ~0u): compared four
  // at a time (the block is 64-byte aligned).
  uint32_t find(const uint32_t* set, uint64_t line) const {
    if (__builtin_expect(wide_, 0)) return find_wide(set, line);
    const uint32_t key = static_cast<uint32_t>(line);
    uint32_t w = 0;
#if defined(__SSE2__)
    const __m128i k = _mm_set1_epi32(static_cast<int>(key));
    // 8 and 16 ways (the default L1 and L2/LLC): every key compared, one
    // branch on the result rather than one per four ways (the way a line
    // is found in is what a host predictor cannot guess).
    if (assoc_ == 16) return find_all<16>(set, k);
    if (assoc_ == 8) return find_all<8>(set, k);
    for (; w + 4 <= assoc_; w += 4) {
      const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(set + w));
      const int m = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, k)));
      if (m) return w + static_cast<uint32_t>(__builtin_ctz(static_cast<unsigned>(m)));
    }
#endif
    for (; w < assoc_; ++w)
      if (set[w] == key) return w;
    return assoc_;
  }
#if defined(__SSE2__)
  template <uint32_t kWays>
  static uint32_t find_all(const uint32_t* set, __m128i k) {
    uint32_t m = 0;
    for (uint32_t w = 0; w < kWays; w += 4) {
      const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(set + w));
      m |= static_cast<uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, k)))) << w;
    }
    return m ? static_cast<uint32_t>(__builtin_ctz(m)) : kWays;
  }
#endif
  // An invalid way (key ~0u, stamp 0, high word 0) is line 2^32 - 1 to the
  // words alone: its stamp tells.
  uint32_t find_wide(const uint32_t* set, uint64_t line) const {
    const uint32_t* his = his_.data() + (set - mem_.data()) / stride_ * assoc_;
    for (uint32_t w = 0; w < assoc_; ++w)
      if (set[w] == static_cast<uint32_t>(line) && set[assoc_ + w] != 0 &&
          his[w] == static_cast<uint32_t>(line >> 32))
        return w;
    return assoc_;
  }
  // The high word of the way `key` points at (its key word).
  uint32_t& his_of(const uint32_t* key) {
    const uint64_t off = static_cast<uint64_t>(key - mem_.data());
    return his_[off / stride_ * assoc_ + off % stride_];
  }
  // A line whose key alone is ambiguous (>= 2^32 - 1, the invalid key
  // included) makes every later match check the high word too.
  void note_wide(uint64_t line) {
    if (__builtin_expect(line >= 0xffffffffull, 0) && !wide_) become_wide();
  }
  // wide_ set, his_ made (every high word 0: every line held is below 2^32 - 1).
  void become_wide();
  uint32_t next_stamp() {
    if (__builtin_expect(clock_ == kClockMax, 0)) renumber();
    return ++clock_;
  }
  void renumber();  // each set's stamps to 1..n in LRU order; clock_ = max n
  uint64_t set_index(uint64_t line) const { return pow2_ ? (line & (sets_ - 1)) : (line % sets_); }

  std::vector<uint32_t, LineAlignedAlloc<uint32_t>> mem_;  // the set blocks
  std::vector<uint32_t> his_;  // sets x ways high words; empty until wide_
  uint64_t stride_ = 0;       // words per set block
  uint64_t sets_ = 0;
  uint32_t assoc_ = 0;
  uint32_t hit_cycles_ = 0;
  bool pow2_ = true;
  bool wide_ = false;
  uint32_t clock_ = 0;
};

class CacheModel {
  friend struct ::hvsim::checkpoint::Access;
  friend struct FixedPath;
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
    if (mru_hit(line, is_write) && source != CacheSource::kFetch) {
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
    if (n > 1 && __builtin_expect(splits(pa, n), 0))
      c += access((pa | line_mask_) + 1, is_write, CacheSource::kData);
    return c;
  }
  // data_access()'s common case without a call (the engine's hot handlers
  // inline it): a one-line access to its L1D set's most recently used line
  // (a write: one known dirty) is counted as a hit and true returned with
  // its latency; otherwise nothing is done and false returned.
  __attribute__((always_inline)) bool data_mru_hit(uint64_t pa, unsigned n, bool is_write,
                                                   uint32_t* latency) {
    if (!mru_hit(pa >> line_shift_, is_write) || (n > 1 && splits(pa, n))) return false;
    ++levels_[0].hits[static_cast<unsigned>(CacheSource::kData)];
    *latency = levels_[0].hit_cycles();
    return true;
  }
  // True when `n` bytes at `pa` touch two lines.
  bool splits(uint64_t pa, unsigned n) const { return (pa & line_mask_) + n > line_mask_ + 1; }
  // data_access() of a one-line access once data_mru_hit() has returned false.
  uint32_t data_access_not_mru(uint64_t pa, bool is_write) {
    return access_full(pa >> line_shift_, is_write, CacheSource::kData);
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

  // What serves an access the MRU slot does not: the loop over the levels
  // (any geometry), or FixedPath (8-way L1D, 16-way L2 and LLC, every level
  // enabled, sets a power of two), its victim search in SSE2 or, when the
  // host has it, SSE4.1; and a fetch's L1I hit, FixedPath too unless
  // kLevels (an 8-way L1I, sets a power of two). The same hits, victims,
  // stamps and counters.
  enum class Path : uint8_t { kLevels, kFixed, kFixedSse41 };
  Path path() const { return path_; }
  // Tests: serve with `p`, or the best path below it the geometry and the
  // host allow; returns the path now in use.
  Path set_path_for_test(Path p);
  // Tests: every level's sets (tags, stamps, dirty bits), clock and wide
  // flag, and the MRU slots, equal to `o`'s.
  bool same_state_for_test(const CacheModel& o) const;

 private:
  static constexpr unsigned kL1i = 3;  // levels_[3]: beside L1D, misses into L2
  uint32_t access_full(uint64_t line, bool is_write, CacheSource source);
  // The loop over levels: Path::kLevels, and what FixedPath leaves to it.
  uint32_t access_levels(uint64_t line, bool is_write, CacheSource source);
  uint32_t fetch_full(uint64_t line);
  uint32_t fetch_levels(uint64_t line);
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
  // `line` is its L1 set's most recently used line (a write: one known dirty).
  bool mru_hit(uint64_t line, bool is_write) const {
    const MruSlot& m = mru_[line & mru_mask_];
    return line == m.line && (m.dirty || !is_write);
  }
  uint32_t line_bytes_;
  uint64_t line_mask_;
  unsigned line_shift_;
  uint32_t store_cap_;  // most a store is charged (~0: stores block)
  uint32_t memory_cycles_;
  Path path_ = Path::kLevels;
  Path best_path_ = Path::kLevels;  // what the geometry and the host allow
  bool fetch_fixed_ = false;        // FixedPath serves the L1I's hits
};

}  // namespace hvsim::cache
