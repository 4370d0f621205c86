// The page walker (SDM Vol. 3 ch. 4).
//
// Mode selection (SDM 4.1.1, Table 4-1):
//   CR0.PG=0                      no paging: la is the physical address
//   CR0.PG=1, CR4.PAE=0           32-bit paging (4 KiB; 4 MiB with CR4.PSE)
//   CR0.PG=1, CR4.PAE=1, !long    PAE paging (4 KiB, 2 MiB)
//   CR0.PG=1, CR4.PAE=1, long     4-level paging, or 5-level with CR4.LA57
// "long" is EFER.LMA, or EFER.LME with CR0.PG (the processor sets LMA when
// PG is set with LME=1, SDM 10.8.5; callers that do not mirror LMA still get
// the right mode).
//
// Choices where the SDM leaves room or hardware differs:
//  - PAE PDPTEs come from the registers in PagingRegs::pdptes, loaded by MOV
//    CR3 and friends (SDM 4.4.1; sim/core/sys/pdpte.cc), with no memory
//    reference. Without them (an AMD model, unit tests) they are read from
//    CR3 on every walk, and a present PDPTE with a reserved bit set gives a
//    #PF with RSVD, where Intel hardware gives #GP on the load of CR3.
//  - Accessed/dirty bits (SDM 4.8) are written only after the whole walk and
//    its permission checks succeed; hardware may set A bits on a faulting
//    walk. An entry is rewritten only when a bit changes.
//  - Under a stage-2 hook each entry read is translate(gpa, kRead, true); an
//    A/D update is a write to the guest paging structure, so it is translated
//    again as translate(gpa, kWrite, true) (as EPT treats A/D updates as
//    writes). The final access is translate(gpa, ctx.access, false); the
//    stage-2 rights it reports go into the Translation, so that a TLB entry
//    filled by a read does not later grant a write stage 2 never allowed.
//  - No protection keys (PK is never set, bits 62:59 are ignored), 1 GiB
//    pages are always supported, and canonical checks are the caller's.
//  - Paging-structure caches (SDM 4.10.3, walk_cache.h) are consulted by
//    4-level, 5-level and PAE walks (PAE: the PDE cache only; its PDPTEs
//    are registers, not cache entries); 32-bit paging walks in full. They
//    are filled only by successful walks, and a page fault removes the
//    entries that would translate the faulting address (4.10.4.1).
//  - Every reference (entry read, A/D write) is charged through the cache
//    model as a page-walk access, at its (host-)physical address.
#include "sim/mmu/walker.h"

#include <string>

#include "sim/base/stats.h"
#include "sim/cache/cache_model.h"
#include "sim/mmu/tlb_flush.h"
#include "sim/mmu/walk_cache.h"

namespace hvsim::mmu {
namespace {

constexpr uint64_t kCr0Wp = 1ull << 16;
constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pse = 1ull << 4;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kCr4Pge = 1ull << 7;
constexpr uint64_t kCr4La57 = 1ull << 12;
constexpr uint64_t kCr4Pcide = 1ull << 17;
constexpr uint64_t kCr4Smep = 1ull << 20;
constexpr uint64_t kCr4Smap = 1ull << 21;
constexpr uint64_t kEferLme = 1ull << 8;
constexpr uint64_t kEferLma = 1ull << 10;
constexpr uint64_t kEferNxe = 1ull << 11;

// Bits hi:lo set (hi >= lo, both < 64); empty when hi < lo.
constexpr uint64_t bits(unsigned hi, unsigned lo) {
  if (hi < lo) return 0;
  const uint64_t top = hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1);
  return top & ~((1ull << lo) - 1);
}

// One paging-structure entry used by the walk.
struct Used {
  uint64_t gpa;  // where the entry lives (guest-physical)
  uint64_t hpa;  // after stage 2
  uint64_t value;
  uint8_t size;   // 4 or 8
  bool has_a;     // false for PAE PDPTEs, which have no accessed bit (4.4.1)
  uint8_t level;  // 1 (PTE) .. 5 (PML5E)
  bool w, u, xd;  // rights combined from the top down to this entry
};

constexpr unsigned kMaxLevels = 5;

// State shared by the 32-bit and 64-bit-entry walks.
struct Walk {
  Used used[kMaxLevels];
  unsigned n = 0;
  bool w_all = true;    // R/W=1 in every entry that has one (4.6)
  bool u_all = true;    // U/S=1 in every entry that has one
  bool xd_any = false;  // XD=1 in some entry (only with EFER.NXE)
  uint64_t gpa = 0;     // final guest-physical address
  uint64_t page_size = 4096;
  bool global = false;
  bool psc_hit = false;  // the walk started below the top level
};

enum class Step : uint8_t { kOk, kNotPresent, kRsvd, kStage2 };

}  // namespace

// What one walk touches and what it costs.
struct WalkRefs {
  Stage2* s2;
  PhysMem& mem;
  CacheModel* cache;
  uint32_t ref_cycles;
  unsigned n = 0;  // entries read
  uint64_t per_level[5] = {};
  uint64_t cycles = 0;

  void charge(uint64_t hpa, bool write) {
    cycles += cache ? cache->access(hpa, write, CacheSource::kWalk) : ref_cycles;
  }
};
using Refs = WalkRefs;

uint16_t current_pcid(const PagingRegs& regs) {
  return (regs.cr4 & kCr4Pcide) ? static_cast<uint16_t>(regs.cr3 & 0xFFF) : 0;
}

bool access_allowed(const AccessCtx& ctx, const PagingRegs& regs, bool writable, bool user,
                    bool nx) {
  const bool write = ctx.access == Access::kWrite;
  const bool fetch = ctx.access == Access::kExec;
  // A user-mode address has U/S=1 at every level (4.6.1).
  if (ctx.user) return user && !(write && !writable) && !(fetch && nx);
  if (fetch) return !nx && !((regs.cr4 & kCr4Smep) && user);
  // SMAP: explicit supervisor data accesses to user-mode addresses only with
  // RFLAGS.AC=1 (callers pass ac=false for implicit ones).
  return !((regs.cr4 & kCr4Smap) && user && !ctx.ac) &&
         !(write && (regs.cr0 & kCr0Wp) && !writable);
}

// Reads one paging-structure entry of `level` through stage 2, and charges it.
static inline bool read_entry(Refs& r, unsigned level, uint64_t gpa, unsigned size, uint64_t* hpa,
                              uint64_t* value) {
  uint64_t h = gpa;
  if (r.s2 && !r.s2->translate(gpa, Access::kRead, /*is_walk=*/true, &h)) return false;
  *hpa = h;
  *value = r.mem.read_phys(h, size);
  ++r.n;
  ++r.per_level[level - 1];
  r.charge(h, false);
  return true;
}

// 32-bit paging (SDM 4.3): 4-byte entries, a PD and a PT, or a 4 MiB PDE
// with CR4.PSE (PSE-36: PDE bits 20:13 are address bits 39:32, Table 4-4).
static Step walk32(uint64_t la, const PagingRegs& r, unsigned maxpa, Refs& refs, Walk& w) {
  const uint32_t la32 = static_cast<uint32_t>(la);
  uint64_t gpa = (r.cr3 & 0xFFFFF000ull) | ((la32 >> 22) << 2);
  uint64_t hpa, e;
  if (!read_entry(refs, 2, gpa, 4, &hpa, &e)) return Step::kStage2;
  if (!(e & kPteP)) return Step::kNotPresent;
  w.w_all &= (e & kPteRw) != 0;
  w.u_all &= (e & kPteUs) != 0;
  w.used[w.n++] = {gpa, hpa, e, 4, true, 2, w.w_all, w.u_all, false};
  if ((r.cr4 & kCr4Pse) && (e & kPtePs)) {
    // Table 4-4: bits 21:(M-19) are reserved, M capped at 40 for PSE-36.
    const unsigned m = maxpa > 40 ? 40 : maxpa;
    if (e & bits(21, m - 19)) return Step::kRsvd;
    w.gpa = (e & 0xFFC00000ull) | (((e >> 13) & 0xFF) << 32) | (la32 & 0x3FFFFFu);
    w.page_size = 4ull << 20;
    w.global = (e & kPteG) != 0;
    return Step::kOk;
  }
  gpa = (e & 0xFFFFF000ull) | (((la32 >> 12) & 0x3FF) << 2);
  if (!read_entry(refs, 1, gpa, 4, &hpa, &e)) return Step::kStage2;
  if (!(e & kPteP)) return Step::kNotPresent;
  // Table 4-6: a 32-bit PTE has no reserved bits.
  w.w_all &= (e & kPteRw) != 0;
  w.u_all &= (e & kPteUs) != 0;
  w.used[w.n++] = {gpa, hpa, e, 4, true, 1, w.w_all, w.u_all, false};
  w.gpa = (e & 0xFFFFF000ull) | (la32 & 0xFFFu);
  w.page_size = 4096;
  w.global = (e & kPteG) != 0;
  return Step::kOk;
}

// PAE (SDM 4.4), 4-level and 5-level (SDM 4.5) paging: 8-byte entries.
// `top` is the level of the first table: 5 (PML5), 4 (PML4) or 3 (PAE PDPT).
// A paging-structure-cache hit for a level-L entry starts the walk at L-1.
static Step walk64(uint64_t la, const PagingRegs& r, unsigned maxpa, unsigned top, bool pae,
                   PagingStructureCache* psc, Refs& refs, Walk& w) {
  const bool nxe = (r.efer & kEferNxe) != 0;
  const uint64_t addr = bits(maxpa - 1, 12);
  // Reserved above MAXPHYADDR: 62:M for PAE (Tables 4-8..4-11), 51:M for
  // 4/5-level (Tables 4-14..4-20); XD (bit 63) is reserved when NXE=0.
  const uint64_t rsvd_hi = (pae ? bits(62, maxpa) : bits(51, maxpa)) | (nxe ? 0 : kPteXd);
  uint64_t base;
  if (pae) {
    base = r.cr3 & 0xFFFFFFE0ull;  // CR3 bits 31:5 (4.4.1)
  } else {
    base = r.cr3 & addr;  // CR3 bits M-1:12 (4.5.2); PCID/flags ignored
  }
  const uint64_t la_w = pae ? (la & 0xFFFFFFFFull) : la;
  unsigned start = top;
  PagingStructureCache::Hit hit;
  if (psc && psc->lookup(la_w, pae ? 2 : top, TlbTags::of(r), &hit)) {
    start = hit.level - 1;
    base = hit.table;
    w.w_all = hit.writable;
    w.u_all = hit.user;
    w.xd_any = hit.nx;
    w.psc_hit = true;
  }
  for (unsigned level = start;; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t index = pae && level == 3 ? ((la_w >> 30) & 3) : ((la_w >> shift) & 0x1FF);
    const uint64_t gpa = base + index * 8;
    uint64_t hpa = 0, e;
    if (pae && level == 3 && r.pdptes)
      e = r.pdptes[index];  // a register: no memory reference (4.4.1)
    else if (!read_entry(refs, level, gpa, 8, &hpa, &e))
      return Step::kStage2;
    if (!(e & kPteP)) return Step::kNotPresent;
    if (pae && level == 3) {
      // PAE PDPTE (Table 4-8): 63:M, 8:5 and 2:1 reserved; no R/W, U/S, XD
      // or A bit, so it does not restrict the access.
      if (e & (bits(63, maxpa) | bits(8, 5) | bits(2, 1))) return Step::kRsvd;
      w.used[w.n++] = {gpa, hpa, e, 8, false, 3, w.w_all, w.u_all, w.xd_any};
      base = e & addr;
      continue;
    }
    uint64_t rsvd = rsvd_hi;
    const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kPtePs));
    if (level >= 4) rsvd |= kPtePs;                // PS reserved in PML4E/PML5E (4.5.4)
    if (leaf && level == 2) rsvd |= bits(20, 13);  // 2 MiB page (Tables 4-10, 4-18)
    if (leaf && level == 3) rsvd |= bits(29, 13);  // 1 GiB page (Table 4-16)
    if (e & rsvd) return Step::kRsvd;
    w.w_all &= (e & kPteRw) != 0;
    w.u_all &= (e & kPteUs) != 0;
    w.xd_any |= nxe && (e & kPteXd);
    w.used[w.n++] = {gpa, hpa, e, 8, true, static_cast<uint8_t>(level), w.w_all, w.u_all, w.xd_any};
    if (leaf) {
      const uint64_t size = 1ull << shift;
      w.gpa = (e & addr & ~(size - 1)) | (la_w & (size - 1));
      w.page_size = size;
      w.global = (e & kPteG) != 0;
      return Step::kOk;
    }
    base = e & addr;
  }
}

// Caches the non-leaf entries this walk read (PAE PDPTEs excepted).
static void fill_psc(PagingStructureCache& psc, uint64_t la, const PagingRegs& r, unsigned maxpa,
                     bool pae, const Walk& w) {
  const TlbTags tags = TlbTags::of(r);
  const uint64_t addr = bits(maxpa - 1, 12);
  const uint64_t la_w = pae ? (la & 0xFFFFFFFFull) : la;
  for (unsigned i = 0; i + 1 < w.n; ++i) {
    const Used& u = w.used[i];
    if (u.level < 2 || (pae && u.level == 3)) continue;
    psc.fill(u.level, la_w, u.value & addr, u.w, u.u, u.xd, tags);
  }
}

WalkStatus Walker::walk(uint64_t la, const AccessCtx& ctx, const PagingRegs& regs, PhysMem& mem,
                        Translation* out, uint32_t* pf_error) {
  ++walks;
  Refs refs{stage2_, mem, cache_, ref_cycles_};
  const WalkStatus st = do_walk(la, ctx, regs, refs, out, pf_error);
  walk_refs += refs.n;
  for (unsigned i = 0; i < 5; ++i) refs_level[i] += refs.per_level[i];
  ++refs_hist[refs.n < kRefHistBuckets ? refs.n : kRefHistBuckets - 1];
  last_cycles_ = refs.cycles;
  walk_cycles += refs.cycles;
  if (st == WalkStatus::kPageFault) ++page_faults;
  return st;
}

WalkStatus Walker::do_walk(uint64_t la, const AccessCtx& ctx, const PagingRegs& regs, Refs& refs,
                           Translation* out, uint32_t* pf_error) {
  Walk w;
  const bool pg = (regs.cr0 & kCr0Pg) != 0;
  const bool pae = (regs.cr4 & kCr4Pae) != 0;
  const bool nxe = (regs.efer & kEferNxe) != 0;
  const bool write = ctx.access == Access::kWrite;
  const bool fetch = ctx.access == Access::kExec;
  const bool lm = (regs.efer & kEferLma) || (regs.efer & kEferLme);
  unsigned maxpa = regs.maxphyaddr;
  if (maxpa < 32) maxpa = 32;
  if (maxpa > 52) maxpa = 52;

  if (!pg) {
    // No paging (4.1.1): the linear address is the physical address.
    w.gpa = la;
  } else {
    Step st;
    PagingStructureCache* psc = psc_ && psc_->enabled() ? psc_ : nullptr;
    if (!pae) {
      st = walk32(la, regs, maxpa, refs, w);
    } else {
      const unsigned top = !lm ? 3 : ((regs.cr4 & kCr4La57) ? 5 : 4);
      st = walk64(la, regs, maxpa, top, !lm, psc, refs, w);
    }
    if (st == Step::kStage2) return WalkStatus::kStage2Fault;
    if (w.psc_hit) refs.cycles += psc_->hit_cycles();

    // #PF error code (4.7). I/D is reported for fetches only with SMEP, or
    // with NXE under PAE/4-level/5-level paging.
    uint32_t err = (write ? kPfWrite : 0u) | (ctx.user ? kPfUser : 0u);
    if (fetch && ((regs.cr4 & kCr4Smep) || (pae && nxe))) err |= kPfFetch;

    bool fault = st != Step::kOk;
    if (st == Step::kRsvd) err |= kPfRsvd | kPfPresent;
    if (st == Step::kOk && !access_allowed(ctx, regs, w.w_all, w.u_all, w.xd_any)) {
      fault = true;
      err |= kPfPresent;
    }
    if (fault) {
      // A page fault invalidates the paging-structure-cache entries that
      // would translate the address, for the current PCID (4.10.4.1).
      if (psc) {
        const TlbTags t = TlbTags::of(regs);
        psc->flush(
            TlbFlush::with(PcidScope::kPcidNonGlobal, t.pcid).at(la).in_tag(t.tag).in_ctx(t.ctx));
      }
      if (pf_error) *pf_error = err;
      return WalkStatus::kPageFault;
    }

    // Accessed on every entry used, dirty on the entry that maps the page
    // for a write (4.8).
    for (unsigned i = 0; i < w.n; ++i) {
      Used& u = w.used[i];
      if (!u.has_a) continue;
      uint64_t v = u.value | kPteA;
      if (write && i == w.n - 1) v |= kPteD;
      if (v == u.value) continue;
      uint64_t hpa = u.gpa;
      if (stage2_ && !stage2_->translate(u.gpa, Access::kWrite, /*is_walk=*/true, &hpa))
        return WalkStatus::kStage2Fault;
      refs.mem.write_phys(hpa, v, u.size);
      refs.charge(hpa, true);
      ++ad_writes;
      u.value = v;
    }
    if (psc && pae) fill_psc(*psc, la, regs, maxpa, !lm, w);
  }

  uint64_t pa = w.gpa;
  uint8_t s2_rights = kS2All;
  if (stage2_ && !stage2_->translate(w.gpa, ctx.access, /*is_walk=*/false, &pa, &s2_rights))
    return WalkStatus::kStage2Fault;
  if (out) {
    out->pa = pa;
    out->gpa = w.gpa;
    out->page_size = stage2_ ? 4096 : w.page_size;
    out->writable = w.w_all;
    out->user = w.u_all;
    out->nx = w.xd_any;
    out->global = w.global && (regs.cr4 & kCr4Pge);
    out->dirty = !pg || (w.n > 0 && (w.used[w.n - 1].value & kPteD));
    out->s2_rights = s2_rights;
  }
  return WalkStatus::kOk;
}

void Walker::register_stats(hvsim::base::StatRegistry& reg) {
  reg.add_counter("mmu.walks", &walks, "count", "page walks (CR0.PG=0 translations included)");
  reg.add_counter("mmu.walk_refs", &walk_refs, "count",
                  "paging-structure entries read by page walks");
  reg.add_counter("mmu.page_faults", &page_faults, "count", "walks that ended in a page fault");
  static const char* const kLevel[5] = {"pte", "pde", "pdpte", "pml4e", "pml5e"};
  for (unsigned i = 0; i < 5; ++i)
    reg.add_counter(std::string("mmu.walk.refs_") + kLevel[i], &refs_level[i], "count",
                    std::string("paging-structure entries read at level ") + std::to_string(i + 1) +
                        " (" + kLevel[i] + "; 32-bit PD counts as pde)");
  reg.add_counter("mmu.walk.ad_writes", &ad_writes, "count",
                  "accessed/dirty-flag updates written by page walks (SDM 4.8)");
  for (unsigned i = 0; i < kRefHistBuckets; ++i) {
    const bool last = i + 1 == kRefHistBuckets;
    reg.add_counter("mmu.walk.refs_hist_" + std::to_string(i) + (last ? "_plus" : ""),
                    &refs_hist[i], "walks",
                    "walks that read " + std::to_string(i) + (last ? " or more" : "") +
                        " paging-structure entries (stage-2 references not included)");
  }
  reg.add_counter("mmu.walk.cycles", &walk_cycles, "cycles",
                  "cycles charged to page walks: references through the cache model and "
                  "paging-structure-cache hits");
}

}  // namespace hvsim::mmu
