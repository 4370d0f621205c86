// The tags that name an address space in the TLBs and paging-structure
// caches, and the one invalidation request both understand (SDM Vol. 3
// 4.10.1, 4.10.4; VPID/EPTP: SDM Vol. 3 29.1-29.4; ASID/nCR3: APM Vol. 2 15.16).
#pragma once

#include <cstdint>

#include "sim/mmu/walker.h"

namespace hvsim::mmu {

// PCID from CR3 (with CR4.PCIDE), plus a VPID/ASID `tag` and an EPTP/nCR3
// `ctx` that the VMX and SVM code set; tag and ctx are 0 natively.
struct TlbTags {
  uint16_t pcid = 0;
  uint32_t tag = 0;
  uint64_t ctx = 0;

  static TlbTags of(const PagingRegs& r) { return {current_pcid(r), r.tlb_tag, r.tlb_ctx}; }
};

// Which PCIDs an invalidation reaches. Global entries (G=1 with CR4.PGE,
// SDM 4.10.2.4) are shared by all PCIDs; paging-structure-cache entries are
// never global.
enum class PcidScope : uint8_t {
  kAll,            // every entry, global or not, of every PCID
  kNonGlobal,      // every non-global entry of every PCID
  kPcidOrGlobal,   // entries of `pcid`, and global entries (INVLPG)
  kPcidNonGlobal,  // non-global entries of `pcid` (INVPCID 0/1, MOV CR3)
};

// An invalidation: every entry that satisfies all the given conditions goes.
struct TlbFlush {
  PcidScope scope = PcidScope::kAll;
  uint16_t pcid = 0;
  bool by_la = false;  // only entries whose page (or region) contains `la`
  uint64_t la = 0;
  bool by_tag = false;  // only entries of VPID/ASID `tag`
  uint32_t tag = 0;
  bool by_ctx = false;  // only entries of EPTP/nCR3 `ctx`
  uint64_t ctx = 0;

  TlbFlush& in_tag(uint32_t t) {
    by_tag = true;
    tag = t;
    return *this;
  }
  TlbFlush& in_ctx(uint64_t c) {
    by_ctx = true;
    ctx = c;
    return *this;
  }
  TlbFlush& at(uint64_t a) {
    by_la = true;
    la = a;
    return *this;
  }
  static TlbFlush with(PcidScope s, uint16_t pcid = 0) {
    TlbFlush f;
    f.scope = s;
    f.pcid = pcid;
    return f;
  }

  // Whether an entry with these tags is reached (the address is checked by
  // the owner, which knows the entry's coverage).
  bool reaches(uint16_t e_pcid, bool e_global, uint32_t e_tag, uint64_t e_ctx) const {
    if (by_tag && e_tag != tag) return false;
    if (by_ctx && e_ctx != ctx) return false;
    switch (scope) {
      case PcidScope::kAll:
        return true;
      case PcidScope::kNonGlobal:
        return !e_global;
      case PcidScope::kPcidOrGlobal:
        return e_global || e_pcid == pcid;
      case PcidScope::kPcidNonGlobal:
        return !e_global && e_pcid == pcid;
    }
    return false;
  }
};

}  // namespace hvsim::mmu
