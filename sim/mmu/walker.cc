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
//  - PAE PDPTEs are read from CR3 on every walk rather than cached by MOV CR3
//    (SDM 4.4.1). A present PDPTE with a reserved bit set therefore gives a
//    #PF with RSVD here, where hardware gives #GP on the load of CR3.
//  - Accessed/dirty bits (SDM 4.8) are written only after the whole walk and
//    its permission checks succeed; hardware may set A bits on a faulting
//    walk. An entry is rewritten only when a bit changes.
//  - Under a stage-2 hook each entry read is translate(gpa, kRead, true); an
//    A/D update is a write to the guest paging structure, so it is translated
//    again as translate(gpa, kWrite, true) (as EPT treats A/D updates as
//    writes). The final access is translate(gpa, ctx.access, false).
//  - No protection keys (PK is never set, bits 62:59 are ignored), 1 GiB
//    pages are always supported, and canonical checks are the caller's.
#include "sim/mmu/walker.h"

namespace hvsim::mmu {
namespace {

constexpr uint64_t kCr0Wp = 1ull << 16;
constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pse = 1ull << 4;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kCr4Pge = 1ull << 7;
constexpr uint64_t kCr4La57 = 1ull << 12;
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
  uint64_t gpa;    // where the entry lives (guest-physical)
  uint64_t hpa;    // after stage 2
  uint64_t value;
  uint8_t size;    // 4 or 8
  bool has_a;      // false for PAE PDPTEs, which have no accessed bit (4.4.1)
};

constexpr unsigned kMaxLevels = 5;

// State shared by the 32-bit and 64-bit-entry walks.
struct Walk {
  Used used[kMaxLevels];
  unsigned n = 0;
  bool w_all = true;   // R/W=1 in every entry that has one (4.6)
  bool u_all = true;   // U/S=1 in every entry that has one
  bool xd_any = false; // XD=1 in some entry (only with EFER.NXE)
  uint64_t gpa = 0;    // final guest-physical address
  uint64_t page_size = 4096;
  bool global = false;
};

enum class Step : uint8_t { kOk, kNotPresent, kRsvd, kStage2 };

}  // namespace

// Reads one paging-structure entry through stage 2.
static inline bool read_entry(Stage2* s2, PhysMem& mem, uint64_t gpa, unsigned size,
                              uint64_t* hpa, uint64_t* value) {
  uint64_t h = gpa;
  if (s2 && !s2->translate(gpa, Access::kRead, /*is_walk=*/true, &h)) return false;
  *hpa = h;
  *value = mem.read_phys(h, size);
  return true;
}

// 32-bit paging (SDM 4.3): 4-byte entries, a PD and a PT, or a 4 MiB PDE
// with CR4.PSE (PSE-36: PDE bits 20:13 are address bits 39:32, Table 4-4).
static Step walk32(uint64_t la, const PagingRegs& r, unsigned maxpa, Stage2* s2, PhysMem& mem,
                   uint64_t& refs, Walk& w) {
  const uint32_t la32 = static_cast<uint32_t>(la);
  uint64_t gpa = (r.cr3 & 0xFFFFF000ull) | ((la32 >> 22) << 2);
  uint64_t hpa, e;
  if (!read_entry(s2, mem, gpa, 4, &hpa, &e)) return Step::kStage2;
  ++refs;
  if (!(e & kPteP)) return Step::kNotPresent;
  w.used[w.n++] = {gpa, hpa, e, 4, true};
  w.w_all &= (e & kPteRw) != 0;
  w.u_all &= (e & kPteUs) != 0;
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
  if (!read_entry(s2, mem, gpa, 4, &hpa, &e)) return Step::kStage2;
  ++refs;
  if (!(e & kPteP)) return Step::kNotPresent;
  // Table 4-6: a 32-bit PTE has no reserved bits.
  w.used[w.n++] = {gpa, hpa, e, 4, true};
  w.w_all &= (e & kPteRw) != 0;
  w.u_all &= (e & kPteUs) != 0;
  w.gpa = (e & 0xFFFFF000ull) | (la32 & 0xFFFu);
  w.page_size = 4096;
  w.global = (e & kPteG) != 0;
  return Step::kOk;
}

// PAE (SDM 4.4), 4-level and 5-level (SDM 4.5) paging: 8-byte entries.
// `top` is the level of the first table: 5 (PML5), 4 (PML4) or 3 (PAE PDPT).
static Step walk64(uint64_t la, const PagingRegs& r, unsigned maxpa, unsigned top, bool pae,
                   Stage2* s2, PhysMem& mem, uint64_t& refs, Walk& w) {
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
  for (unsigned level = top;; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t index = pae && level == 3 ? ((la_w >> 30) & 3) : ((la_w >> shift) & 0x1FF);
    const uint64_t gpa = base + index * 8;
    uint64_t hpa, e;
    if (!read_entry(s2, mem, gpa, 8, &hpa, &e)) return Step::kStage2;
    ++refs;
    if (!(e & kPteP)) return Step::kNotPresent;
    if (pae && level == 3) {
      // PAE PDPTE (Table 4-8): 63:M, 8:5 and 2:1 reserved; no R/W, U/S, XD
      // or A bit, so it does not restrict the access.
      if (e & (bits(63, maxpa) | bits(8, 5) | bits(2, 1))) return Step::kRsvd;
      w.used[w.n++] = {gpa, hpa, e, 8, false};
      base = e & addr;
      continue;
    }
    uint64_t rsvd = rsvd_hi;
    const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kPtePs));
    if (level >= 4) rsvd |= kPtePs;               // PS reserved in PML4E/PML5E (4.5.4)
    if (leaf && level == 2) rsvd |= bits(20, 13); // 2 MiB page (Tables 4-10, 4-18)
    if (leaf && level == 3) rsvd |= bits(29, 13); // 1 GiB page (Table 4-16)
    if (e & rsvd) return Step::kRsvd;
    w.used[w.n++] = {gpa, hpa, e, 8, true};
    w.w_all &= (e & kPteRw) != 0;
    w.u_all &= (e & kPteUs) != 0;
    w.xd_any |= nxe && (e & kPteXd);
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

WalkStatus Walker::walk(uint64_t la, const AccessCtx& ctx, const PagingRegs& regs, PhysMem& mem,
                        Translation* out, uint32_t* pf_error) {
  ++walks;
  Walk w;
  const bool pg = (regs.cr0 & kCr0Pg) != 0;
  const bool pae = (regs.cr4 & kCr4Pae) != 0;
  const bool nxe = (regs.efer & kEferNxe) != 0;
  const bool write = ctx.access == Access::kWrite;
  const bool fetch = ctx.access == Access::kExec;
  unsigned maxpa = regs.maxphyaddr;
  if (maxpa < 32) maxpa = 32;
  if (maxpa > 52) maxpa = 52;

  if (!pg) {
    // No paging (4.1.1): the linear address is the physical address.
    w.gpa = la;
  } else {
    Step st;
    if (!pae) {
      st = walk32(la, regs, maxpa, stage2_, mem, walk_refs, w);
    } else {
      const bool lm = (regs.efer & kEferLma) || (regs.efer & kEferLme);
      const unsigned top = !lm ? 3 : ((regs.cr4 & kCr4La57) ? 5 : 4);
      st = walk64(la, regs, maxpa, top, !lm, stage2_, mem, walk_refs, w);
    }
    if (st == Step::kStage2) return WalkStatus::kStage2Fault;

    // #PF error code (4.7). I/D is reported for fetches only with SMEP, or
    // with NXE under PAE/4-level/5-level paging.
    uint32_t err = (write ? kPfWrite : 0u) | (ctx.user ? kPfUser : 0u);
    if (fetch && ((regs.cr4 & kCr4Smep) || (pae && nxe))) err |= kPfFetch;

    bool fault = st != Step::kOk;
    if (st == Step::kRsvd) err |= kPfRsvd | kPfPresent;
    if (st == Step::kOk) {
      // Access rights (4.6.1). A user-mode address has U/S=1 at every level.
      bool ok;
      if (ctx.user) {
        ok = w.u_all && !(write && !w.w_all) && !(fetch && w.xd_any);
      } else if (fetch) {
        ok = !w.xd_any && !((regs.cr4 & kCr4Smep) && w.u_all);
      } else {
        // SMAP: explicit supervisor data accesses to user-mode addresses
        // only with RFLAGS.AC=1 (callers pass ac=false for implicit ones).
        ok = !((regs.cr4 & kCr4Smap) && w.u_all && !ctx.ac) &&
             !(write && (regs.cr0 & kCr0Wp) && !w.w_all);
      }
      if (!ok) {
        fault = true;
        err |= kPfPresent;
      }
    }
    if (fault) {
      ++page_faults;
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
      mem.write_phys(hpa, v, u.size);
    }
  }

  uint64_t pa = w.gpa;
  if (stage2_ && !stage2_->translate(w.gpa, ctx.access, /*is_walk=*/false, &pa))
    return WalkStatus::kStage2Fault;
  if (out) {
    out->pa = pa;
    out->gpa = w.gpa;
    out->page_size = stage2_ ? 4096 : w.page_size;
    out->writable = w.w_all;
    out->user = w.u_all;
    out->nx = w.xd_any;
    out->global = w.global && (regs.cr4 & kCr4Pge);
  }
  return WalkStatus::kOk;
}

}  // namespace hvsim::mmu
