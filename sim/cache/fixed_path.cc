// The default geometry's path through the hierarchy (see fixed_path.h).
//
// What it must equal, access_levels(): the L1D is looked up; on a hit its
// stamp is refreshed (dirty kept, set by a write). On a miss the L2 is
// looked up, then on a miss the LLC; the first level holding the line
// serves it (refreshed, never made dirty: only the innermost level holds a
// write's dirty copy), every level before it takes the line in its LRU way
// (the first way of least stamp, an invalid way's stamp being 0), a dirty
// victim counting a writeback, the L1D's copy dirty for a write. Each
// level's clock ticks once per refresh or fill, so the stamps are the same
// values too, and so are the MRU slot's line and dirty flag.
#include "sim/cache/fixed_path.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define HVSIM_INLINE inline __attribute__((always_inline))

namespace hvsim::cache {

#if defined(__SSE2__)
namespace {

// Four stamps (or keys): GCC's vector extension, so `a < b ? a : b` is one
// pminsd in a function built for SSE4.1 and a compare-and-blend otherwise.
typedef int32_t V4 __attribute__((vector_size(16)));

HVSIM_INLINE V4 load4(const uint32_t* p) {  // p is 16-byte aligned (64-byte set blocks)
  return reinterpret_cast<V4>(_mm_load_si128(reinterpret_cast<const __m128i*>(p)));
}

template <int kOrder>
HVSIM_INLINE V4 swap_lanes(V4 v) {
  return reinterpret_cast<V4>(_mm_shuffle_epi32(reinterpret_cast<__m128i>(v), kOrder));
}

// One bit per lane that is all ones, lanes in way order: 2 or 4 vectors of
// 32-bit compare results packed to bytes (for 2, bits 8-15 repeat bits
// 0-7: zero or not alike, the same lowest bit).
HVSIM_INLINE uint32_t lane_bits(const V4* c, uint32_t n) {
  if (n == 2) {
    const __m128i w = _mm_packs_epi32(reinterpret_cast<__m128i>(c[0]), reinterpret_cast<__m128i>(c[1]));
    return static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(w, w)));
  }
  const __m128i lo = _mm_packs_epi32(reinterpret_cast<__m128i>(c[0]), reinterpret_cast<__m128i>(c[1]));
  const __m128i hi = _mm_packs_epi32(reinterpret_cast<__m128i>(c[2]), reinterpret_cast<__m128i>(c[3]));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_packs_epi16(lo, hi)));
}

}  // namespace

// The pieces, for kWays ways (8 or 16): a set block is keys[kWays],
// stamps[kWays] (cache_model.h), 64-byte aligned.
template <uint32_t kWays>
struct FixedPath::Level {
  static_assert(kWays == 8 || kWays == 16);
  static constexpr uint64_t kStride = CacheLevel::stride_for(kWays);

  static HVSIM_INLINE uint32_t* set_of(CacheLevel& c, uint64_t line) {
    return c.mem_.data() + (line & (c.sets_ - 1)) * kStride;
  }
  // The ways whose key is `key` (one bit per way; not wide_, so at most one).
  static HVSIM_INLINE uint32_t find(const uint32_t* set, V4 key) {
    V4 eq[kWays / 4];
    for (uint32_t i = 0; i < kWays / 4; ++i) eq[i] = load4(set + 4 * i) == key;
    return lane_bits(eq, kWays / 4);
  }
  // CacheLevel::victim_in(): the first way of least stamp (dirty bit off).
  static HVSIM_INLINE uint32_t victim(const uint32_t* set) {
    const V4 clock = {CacheLevel::kClockMax, CacheLevel::kClockMax, CacheLevel::kClockMax,
                      CacheLevel::kClockMax};
    V4 v[kWays / 4];
    for (uint32_t i = 0; i < kWays / 4; ++i) v[i] = load4(set + kWays + 4 * i) & clock;
    V4 m = v[0];  // stamps < 2^31 here: a signed minimum orders them
    for (uint32_t i = 1; i < kWays / 4; ++i) m = v[i] < m ? v[i] : m;
    V4 r = swap_lanes<0x4e>(m);  // lanes 2,3,0,1
    m = r < m ? r : m;
    r = swap_lanes<0xb1>(m);  // lanes 1,0,3,2
    m = r < m ? r : m;  // every lane the least
    V4 eq[kWays / 4];
    for (uint32_t i = 0; i < kWays / 4; ++i) eq[i] = v[i] == m;
    return static_cast<uint32_t>(__builtin_ctz(lane_bits(eq, kWays / 4)));  // some way holds it
  }
  // The level's next stamp. A clock ticks at most once per access, so one
  // known below its wrap needs no renumbering (and the path no call):
  // kWrap false. FixedPath::access() checks the L1D's clock first (else
  // the loop over levels), then the L2's and LLC's (else Miss::wrap);
  // FixedPath::fetch() the L1I's.
  template <bool kWrap>
  static HVSIM_INLINE uint32_t tick(CacheLevel& c) {
    return kWrap ? c.next_stamp() : ++c.clock_;
  }
  // CacheLevel::lookup()'s hit: the stamp refreshed, dirty kept or set.
  template <bool kWrap>
  static HVSIM_INLINE void hit(CacheLevel& c, uint32_t* set, uint32_t way, bool write) {
    uint32_t& stamp = set[kWays + way];
    const uint32_t now = tick<kWrap>(c);
    stamp = now | (stamp & CacheLevel::kDirty) | (write ? CacheLevel::kDirty : 0);
  }
  // CacheLevel::fill_way() (no level is wide_: the high word stays 0).
  template <bool kWrap>
  static HVSIM_INLINE void fill(CacheLevel& c, uint32_t* victim, uint64_t line, bool dirty) {
    uint32_t& stamp = victim[kWays];
    c.writebacks += stamp > CacheLevel::kDirty;  // valid and dirty
    const uint32_t now = tick<kWrap>(c);         // may renumber: the victim stays put
    victim[0] = static_cast<uint32_t>(line);
    stamp = now | (dirty ? CacheLevel::kDirty : 0);
  }
};

namespace {

using L1 = FixedPath::Level<FixedPath::kW1>;
using L2 = FixedPath::Level<FixedPath::kW2>;
using L3 = FixedPath::Level<FixedPath::kW3>;

HVSIM_INLINE V4 key_of(uint64_t line) {
  const int32_t k = static_cast<int32_t>(static_cast<uint32_t>(line));
  return V4{k, k, k, k};
}

}  // namespace

// An L1D miss (counted) of `line`, whose L1D set is `s1`: the L2, then the
// LLC, then the fills. Built for SSE2 and for SSE4.1, and (wrap) for an L2
// or LLC clock at its wrap.
struct FixedPath::Miss {
  template <bool kWrap>
  static HVSIM_INLINE uint32_t body(CacheModel& c, uint64_t line, bool is_write, unsigned src,
                                    uint32_t* s1) {
    CacheLevel& l2 = c.levels_[1];
    CacheLevel& l3 = c.levels_[2];
    const V4 key = key_of(line);
    uint32_t latency;
    uint32_t* s2 = L2::set_of(l2, line);
    uint32_t* s3 = L3::set_of(l3, line);
    // The L2's and LLC's sets are far larger than the host's L1 cache: their
    // key and stamp lines are asked for together, so that the LLC's lookup
    // overlaps the L2's and a hit's stamp does not wait for its key compare.
    __builtin_prefetch(s2 + FixedPath::kW2);
    __builtin_prefetch(s3);
    __builtin_prefetch(s3 + FixedPath::kW3);
    if (const uint32_t h2 = L2::find(s2, key)) {
      L2::hit<kWrap>(l2, s2, static_cast<uint32_t>(__builtin_ctz(h2)), false);
      ++l2.hits[src];
      latency = l2.hit_cycles_;
    } else {
      ++l2.misses[src];
      if (const uint32_t h3 = L3::find(s3, key)) {
        L3::hit<kWrap>(l3, s3, static_cast<uint32_t>(__builtin_ctz(h3)), false);
        ++l3.hits[src];
        latency = l3.hit_cycles_;
      } else {
        ++l3.misses[src];
        ++c.memory_accesses[src];
        latency = c.memory_cycles_ + c.dram_extra_;
        L3::fill<kWrap>(l3, s3 + L3::victim(s3), line, false);
      }
      L2::fill<kWrap>(l2, s2 + L2::victim(s2), line, false);
    }
    // Write-allocate: the innermost level takes the dirty copy.
    L1::fill<false>(c.levels_[0], s1 + L1::victim(s1), line, is_write);
    return latency;
  }
  __attribute__((noinline)) static uint32_t sse2(CacheModel& c, uint64_t line, bool is_write,
                                                 unsigned src, uint32_t* s1) {
    return body<false>(c, line, is_write, src, s1);
  }
  __attribute__((noinline, target("sse4.1"))) static uint32_t sse41(CacheModel& c, uint64_t line,
                                                                     bool is_write, unsigned src,
                                                                     uint32_t* s1) {
    return body<false>(c, line, is_write, src, s1);
  }
  __attribute__((noinline, cold)) static uint32_t wrap(CacheModel& c, uint64_t line, bool is_write,
                                                       unsigned src, uint32_t* s1) {
    return body<true>(c, line, is_write, src, s1);
  }
};

CacheModel::Path FixedPath::best(const CacheModel& c) {
  auto fits = [](const CacheLevel& l, uint32_t ways) {
    return l.enabled() && l.assoc_ == ways && l.pow2_ && l.stride_ == CacheLevel::stride_for(ways);
  };
  if (!fits(c.levels_[0], kW1) || !fits(c.levels_[1], kW2) || !fits(c.levels_[2], kW3))
    return CacheModel::Path::kLevels;
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.1") ? CacheModel::Path::kFixedSse41 : CacheModel::Path::kFixed;
}

HVSIM_INLINE uint32_t FixedPath::access(CacheModel& c, uint64_t line, bool is_write,
                                        CacheSource source) {
  // A line >= 2^32 - 1 makes a level wide_ (its keys alone ambiguous): the
  // loop over levels then compares the high words too. So it does when the
  // L1D's clock is at its wrap (renumbered by its next stamp).
  CacheLevel* lv = c.levels_;
  if (__builtin_expect(c.path_ == CacheModel::Path::kLevels || line >= 0xffffffffull ||
                           (lv[0].wide_ | lv[1].wide_ | lv[2].wide_) ||
                           lv[0].clock_ == CacheLevel::kClockMax,
                       0))
    return c.access_levels(line, is_write, source);
  const unsigned src = static_cast<unsigned>(source);
  // The line becomes the most recently used of its L1 set.
  CacheModel::MruSlot& m = c.mru_[line & c.mru_mask_];
  m.dirty = (m.line == line && m.dirty) | is_write;
  m.line = line;
  uint32_t* s1 = L1::set_of(lv[0], line);
  if (const uint32_t h1 = L1::find(s1, key_of(line))) {
    L1::hit<false>(lv[0], s1, static_cast<uint32_t>(__builtin_ctz(h1)), is_write);
    ++lv[0].hits[src];
    return lv[0].hit_cycles_;
  }
  ++lv[0].misses[src];
  if (__builtin_expect(lv[1].clock_ == CacheLevel::kClockMax || lv[2].clock_ == CacheLevel::kClockMax, 0))
    return Miss::wrap(c, line, is_write, src, s1);
  if (c.path_ == CacheModel::Path::kFixedSse41) return Miss::sse41(c, line, is_write, src, s1);
  return Miss::sse2(c, line, is_write, src, s1);
}

uint32_t CacheModel::access_full(uint64_t line, bool is_write, CacheSource source) {
  return FixedPath::access(*this, line, is_write, source);
}

bool FixedPath::fetch_fits(const CacheModel& c) {
  const CacheLevel& l = c.levels_[CacheModel::kL1i];
  return l.enabled() && l.assoc_ == kW1 && l.pow2_ && l.stride_ == L1::kStride;
}

// fetch_levels()'s L1I hit: the stamp refreshed (never dirty), the line the
// last fetched. A miss changes nothing here (no victim taken, no clock
// tick): fetch_levels() looks it up again and does the rest, as do lines
// the L1I's keys cannot tell apart and its clock at the wrap.
uint32_t FixedPath::fetch(CacheModel& c, uint64_t line) {
  CacheLevel& l1i = c.levels_[CacheModel::kL1i];
  if (__builtin_expect(c.fetch_fixed_ && line < 0xffffffffull && !l1i.wide_ &&
                           l1i.clock_ != CacheLevel::kClockMax,
                       1)) {
    uint32_t* s = L1::set_of(l1i, line);
    if (const uint32_t h = L1::find(s, key_of(line))) {
      c.fetch_mru_ = line;
      L1::hit<false>(l1i, s, static_cast<uint32_t>(__builtin_ctz(h)), false);
      ++l1i.hits[static_cast<unsigned>(CacheSource::kFetch)];
      return 0;
    }
  }
  return c.fetch_levels(line);
}

#else  // no SSE2: the loop over levels serves every access

CacheModel::Path FixedPath::best(const CacheModel&) {
  return CacheModel::Path::kLevels;
}

uint32_t FixedPath::access(CacheModel& c, uint64_t line, bool is_write, CacheSource source) {
  return c.access_levels(line, is_write, source);
}

uint32_t CacheModel::access_full(uint64_t line, bool is_write, CacheSource source) {
  return FixedPath::access(*this, line, is_write, source);
}

bool FixedPath::fetch_fits(const CacheModel&) {
  return false;
}

uint32_t FixedPath::fetch(CacheModel& c, uint64_t line) {
  return c.fetch_levels(line);
}

#endif

uint32_t CacheModel::fetch_full(uint64_t line) {
  return FixedPath::fetch(*this, line);
}

}  // namespace hvsim::cache

#undef HVSIM_INLINE
