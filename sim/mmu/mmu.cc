// The memory-translation unit (see mmu.h).
#include "sim/mmu/mmu.h"

#include "sim/base/stats.h"

namespace hvsim::mmu {
namespace {

constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4Pse = 1ull << 4;
constexpr uint64_t kCr4Pae = 1ull << 5;
constexpr uint64_t kCr4Pge = 1ull << 7;
constexpr uint64_t kCr4Pcide = 1ull << 17;
constexpr uint64_t kCr4Smep = 1ull << 20;
constexpr uint64_t kCr3NoFlush = 1ull << 63;

}  // namespace

void MmuParams::declare_params(hvsim::base::ParamRegistry& reg) {
  TlbHierarchyParams::declare_params(reg);
  PscParams::declare_params(reg);
  cache::CacheParams::declare_params(reg);
}

MmuParams MmuParams::from_config(const hvsim::base::Config& cfg) {
  return {TlbHierarchyParams::from_config(cfg), PscParams::from_config(cfg),
          cache::CacheParams::from_config(cfg)};
}

Mmu::Mmu(const MmuParams& p) : tlbs_(p.tlb), psc_(p.psc), cache_(p.cache) {
  walker_.set_walk_cache(&psc_);
  walker_.set_cache(&cache_);
}

WalkStatus Mmu::translate(uint64_t la, const AccessCtx& ctx, const PagingRegs& regs, PhysMem& mem,
                          Translation* out, uint32_t* pf_error) {
  last_cycles_ = 0;
  last_level_ = kTlbMiss;
  if (!(regs.cr0 & kCr0Pg)) {
    if (out) *out = Translation{la, 4096, true, true, false, false, la, true};
    return WalkStatus::kOk;
  }
  const TlbTags tags = TlbTags::of(regs);
  const TlbLookup hit = tlbs_.lookup(la, ctx.access, tags);
  last_cycles_ = hit.cycles;
  if (hit.entry) {
    const TlbEntry& e = *hit.entry;
    // The stage-2 rights too: an entry a read filled may not grant a write
    // (or a fetch) that stage 2 never allowed.
    if (access_allowed(ctx, regs, e.writable, e.user, e.nx) &&
        (e.s2_rights & s2_right_of(ctx.access))) {
      last_level_ = hit.level;
      if (out) {
        const uint64_t off = la & (e.size() - 1);
        *out = Translation{e.pa_page + off, e.size(),         e.writable, e.user, e.nx,
                           e.global,        e.gpa_page + off, e.dirty,    e.s2_rights};
      }
      return WalkStatus::kOk;
    }
    ++rights_rewalks;
  }
  Translation t;
  const WalkStatus st = walker_.walk(la, ctx, regs, mem, &t, pf_error);
  last_cycles_ += walker_.last_walk_cycles();
  if (st == WalkStatus::kOk) {
    tlbs_.fill(la, ctx.access, t, tags);
    if (out) *out = t;
  } else if (st == WalkStatus::kPageFault) {
    // Page faults invalidate the TLB entries for the faulting address of the
    // current PCID (4.10.4.1); the walker already dropped its
    // paging-structure-cache entries.
    tlbs_.flush(TlbFlush::with(PcidScope::kPcidOrGlobal, tags.pcid)
                    .at(la)
                    .in_tag(tags.tag)
                    .in_ctx(tags.ctx));
  }
  return st;
}

void Mmu::flush(const TlbFlush& f) {
  tlbs_.flush(f);
  psc_.flush(f);
}

void Mmu::invlpg(uint64_t la, const PagingRegs& regs) {
  ++invlpgs;
  const TlbTags t = TlbTags::of(regs);
  tlbs_.flush(TlbFlush::with(PcidScope::kPcidOrGlobal, t.pcid).at(la).in_tag(t.tag).in_ctx(t.ctx));
  // INVLPG empties the paging-structure caches of the current PCID whatever
  // the address (4.10.4.1).
  psc_.flush(TlbFlush::with(PcidScope::kPcidNonGlobal, t.pcid).in_tag(t.tag).in_ctx(t.ctx));
}

void Mmu::invpcid(unsigned type, uint16_t pcid, uint64_t la, const PagingRegs& regs) {
  const TlbTags t = TlbTags::of(regs);
  switch (type) {
    case 0:  // individual address: that PCID's non-global entries for la;
             // the PCID's paging-structure-cache entries at any address
      tlbs_.flush(
          TlbFlush::with(PcidScope::kPcidNonGlobal, pcid).at(la).in_tag(t.tag).in_ctx(t.ctx));
      psc_.flush(TlbFlush::with(PcidScope::kPcidNonGlobal, pcid).in_tag(t.tag).in_ctx(t.ctx));
      break;
    case 1:  // single context, globals kept
      flush(TlbFlush::with(PcidScope::kPcidNonGlobal, pcid).in_tag(t.tag).in_ctx(t.ctx));
      break;
    case 2:  // all contexts, globals included
      flush(TlbFlush::with(PcidScope::kAll).in_tag(t.tag).in_ctx(t.ctx));
      break;
    case 3:  // all contexts, globals kept
      flush(TlbFlush::with(PcidScope::kNonGlobal).in_tag(t.tag).in_ctx(t.ctx));
      break;
    default:
      break;
  }
}

void Mmu::mov_to_cr3(uint64_t written, const PagingRegs& regs) {
  const TlbTags t = TlbTags::of(regs);  // the new PCID (0 without CR4.PCIDE)
  if ((regs.cr4 & kCr4Pcide) && (written & kCr3NoFlush)) return;
  flush(TlbFlush::with(PcidScope::kPcidNonGlobal, t.pcid).in_tag(t.tag).in_ctx(t.ctx));
}

void Mmu::mov_to_cr4(uint64_t old_cr4, const PagingRegs& regs) {
  const uint64_t changed = old_cr4 ^ regs.cr4;
  const bool pcide_off = (old_cr4 & kCr4Pcide) && !(regs.cr4 & kCr4Pcide);
  const bool smep_on = !(old_cr4 & kCr4Smep) && (regs.cr4 & kCr4Smep);
  if ((changed & (kCr4Pge | kCr4Pae | kCr4Pse)) || pcide_off || smep_on)
    flush(TlbFlush::with(PcidScope::kAll).in_tag(regs.tlb_tag).in_ctx(regs.tlb_ctx));
}

void Mmu::mov_to_cr0(uint64_t old_cr0, const PagingRegs& regs) {
  if ((old_cr0 & kCr0Pg) && !(regs.cr0 & kCr0Pg))
    flush(TlbFlush::with(PcidScope::kAll).in_tag(regs.tlb_tag).in_ctx(regs.tlb_ctx));
}

void Mmu::flush_all() {
  flush(TlbFlush::with(PcidScope::kAll));
  if (s2_flush_) s2_flush_(s2_flush_arg_);
}
void Mmu::flush_tag(uint32_t tag) {
  flush(TlbFlush::with(PcidScope::kAll).in_tag(tag));
  if (s2_flush_) s2_flush_(s2_flush_arg_);
}
void Mmu::flush_ctx(uint64_t ctx) {
  flush(TlbFlush::with(PcidScope::kAll).in_ctx(ctx));
  if (s2_flush_) s2_flush_(s2_flush_arg_);
}
void Mmu::flush_tag_address(uint32_t tag, uint64_t la) {
  tlbs_.flush(TlbFlush::with(PcidScope::kAll).at(la).in_tag(tag));
  psc_.flush(TlbFlush::with(PcidScope::kAll).in_tag(tag));
}

void Mmu::register_stats(hvsim::base::StatRegistry& reg) {
  walker_.register_stats(reg);
  tlbs_.register_stats(reg);
  psc_.register_stats(reg);
  cache_.register_stats(reg);
  reg.add_counter("mmu.tlb.rights_rewalks", &rights_rewalks, "count",
                  "TLB hits whose cached rights forbade the access, so the walker re-checked "
                  "memory (SDM 4.10.4.3)");
}

}  // namespace hvsim::mmu
