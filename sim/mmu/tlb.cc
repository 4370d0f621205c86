// One TLB level (see tlb.h).
#include "sim/mmu/tlb.h"

namespace hvsim::mmu {
namespace {

constexpr unsigned kShift[3] = {12, 21, 30};  // by PageSizeMask bit

}  // namespace

Tlb::Tlb(const TlbGeometry& g) {
  if (g.entries == 0 || g.ways == 0 || g.entries % g.ways != 0 || (g.sizes & 7) == 0) return;
  ways_ = g.ways;
  sets_ = g.entries / g.ways;
  sizes_ = g.sizes & 7;
  pow2_ = (sets_ & (sets_ - 1)) == 0;
  e_.assign(g.entries, TlbEntry{});
}

TlbEntry* Tlb::lookup(uint64_t la, const TlbTags& t) {
  if (!sets_) return nullptr;
  for (unsigned b = 0; b < 3; ++b) {
    if (!(sizes_ & (1u << b))) continue;
    const uint64_t vpn = la >> kShift[b];
    TlbEntry* s = set_of(vpn);
    for (uint32_t w = 0; w < ways_; ++w) {
      TlbEntry& e = s[w];
      if (e.valid && e.vpn == vpn && e.shift == kShift[b] && tags_match(e, t)) {
        e.lru = ++clock_;
        return &e;
      }
    }
  }
  return nullptr;
}

unsigned Tlb::fit_shift(uint64_t page_size) const {
  for (int b = 2; b >= 0; --b)
    if ((sizes_ & (1u << b)) && (1ull << kShift[b]) <= page_size) return kShift[b];
  return 0;
}

void Tlb::insert(const TlbEntry& n) {
  TlbEntry* s = set_of(n.vpn);
  TlbEntry* victim = nullptr;
  for (uint32_t w = 0; w < ways_; ++w) {
    TlbEntry& e = s[w];
    // The same page for the same address space: replace in place (a write
    // walk refreshing a clean entry, a refill after a rights re-walk).
    if (e.valid && e.vpn == n.vpn && e.shift == n.shift && e.tag == n.tag && e.ctx == n.ctx &&
        (e.global || n.global || e.pcid == n.pcid)) {
      victim = &e;
      break;
    }
    if (!victim || (victim->valid && (!e.valid || e.lru < victim->lru))) victim = &e;
  }
  const bool same = victim->valid && victim->vpn == n.vpn && victim->shift == n.shift;
  if (victim->valid && !same) {
    ++evictions;
    if (evict_fn_) evict_fn_(evict_ctx_, victim->la_page(), victim->size());
  }
  *victim = n;
  victim->valid = true;
  victim->lru = ++clock_;
  ++fills;
}

bool Tlb::fill(uint64_t la, const Translation& tr, const TlbTags& t) {
  if (!sets_) return false;
  const unsigned shift = fit_shift(tr.page_size);
  if (!shift) return false;
  const uint64_t off = la & ((1ull << shift) - 1);
  TlbEntry n;
  n.vpn = la >> shift;
  n.shift = static_cast<uint8_t>(shift);
  n.pa_page = tr.pa - off;
  n.gpa_page = tr.gpa - off;
  n.ctx = t.ctx;
  n.tag = t.tag;
  n.pcid = t.pcid;
  n.global = tr.global;
  n.writable = tr.writable;
  n.user = tr.user;
  n.nx = tr.nx;
  n.dirty = tr.dirty;
  n.s2_rights = tr.s2_rights;
  insert(n);
  return true;
}

bool Tlb::fill_from(uint64_t la, const TlbEntry& src) {
  if (!sets_) return false;
  const unsigned shift = fit_shift(src.size());
  if (!shift) return false;
  TlbEntry n = src;
  const uint64_t piece = (la & (src.size() - 1)) & ~((1ull << shift) - 1);
  n.vpn = la >> shift;
  n.shift = static_cast<uint8_t>(shift);
  n.pa_page = src.pa_page + piece;
  n.gpa_page = src.gpa_page + piece;
  insert(n);
  return true;
}

unsigned Tlb::flush(const TlbFlush& f) {
  unsigned n = 0;
  auto consider = [&](TlbEntry& e) {
    if (!e.valid || !f.reaches(e.pcid, e.global, e.tag, e.ctx)) return;
    if (f.by_la && e.vpn != (f.la >> e.shift)) return;
    e.valid = false;
    ++n;
  };
  if (f.by_la && sets_) {
    // Only the sets the address maps to at each size held.
    for (unsigned b = 0; b < 3; ++b) {
      if (!(sizes_ & (1u << b))) continue;
      TlbEntry* s = set_of(f.la >> kShift[b]);
      for (uint32_t w = 0; w < ways_; ++w) consider(s[w]);
    }
  } else {
    for (TlbEntry& e : e_) consider(e);
  }
  invalidations += n;
  return n;
}

}  // namespace hvsim::mmu
