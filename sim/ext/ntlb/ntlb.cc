// ext.ntlb: a nested TLB for the stage-2 walk (Bhargava, Serebrin, Spadini
// and Manne, "Accelerating two-dimensional page walks for virtualized
// systems", ASPLOS 2008, section 4.3). Every guest-physical reference of a
// guest page walk, and the final guest-physical address, is translated
// by stage 2 (EPT/NPT): up to 24 references for a cold 4+4 walk. The NTLB
// caches guest-physical -> host-physical translations (per 4 KiB page,
// tagged with the EPTP/nCR3) in front of the stage-2 walk, so a hit costs
// ext.ntlb.hit_cycles instead of a 4-level walk.
//
// It keeps the rights stage 2 granted; a hit must allow the access (a
// guest paging-structure access is taken to need read and write, for A/D
// updates) and, for a write or a paging-structure access, the entry must
// have been filled by one (so the stage-2 D flag is known set, SDM Vol. 3
// 29.3.5): otherwise the walk runs and the entry is refilled. Faults are
// never cached. It is emptied by every flush that covers stage 2 (INVEPT,
// INVVPID, TLB_CONTROL, reset: mmu::Mmu's stage-2 flush listener).
#include <algorithm>
#include <vector>

#include "sim/core/engine.h"
#include "sim/ext/extension.h"
#include "sim/mmu/walker.h"

namespace hvsim::ext::ntlb {
namespace {

struct Entry {
  bool valid = false;
  bool dirty = false;  // filled by an access that sets the stage-2 D flag
  uint8_t rights = 0;
  uint64_t ctx = 0, gpn = 0, hpn = 0, lru = 0;
};

class Ntlb final : public Extension, public mmu::Stage2 {
 public:
  Ntlb(core::Engine& e, const base::Config& cfg)
      : e_(e),
        ways_(cfg.get_uint("ext.ntlb.ways")),
        sets_(std::max<uint64_t>(1, cfg.get_uint("ext.ntlb.entries") / ways_)),
        hit_cycles_(cfg.get_uint("ext.ntlb.hit_cycles")),
        table_(sets_ * ways_) {
    e.mmu().set_stage2_flush_listener(&Ntlb::flush_all, this);
  }

  mmu::Stage2* stage2(mmu::Stage2* inner) override {
    if (inner != this) inner_ = inner;
    return this;
  }

  bool translate(uint64_t gpa, mmu::Access access, bool is_walk, uint64_t* hpa,
                 uint8_t* rights = nullptr) override {
    const uint64_t ctx = e_.guest_context().tlb_ctx, gpn = gpa >> 12;
    const bool needs_dirty = is_walk || access == mmu::Access::kWrite;
    const uint8_t need = static_cast<uint8_t>(
        mmu::s2_right_of(access) | (is_walk ? mmu::kS2Read | mmu::kS2Write : 0));
    Entry* set = &table_[(gpn % sets_) * ways_];
    for (unsigned w = 0; w < ways_; ++w) {
      Entry& x = set[w];
      if (!x.valid || x.gpn != gpn || x.ctx != ctx) continue;
      if ((x.rights & need) != need || (needs_dirty && !x.dirty)) break;  // walk again
      x.lru = ++clock_;
      ++hits_;
      e_.add_cycles(hit_cycles_);
      *hpa = (x.hpn << 12) | (gpa & 0xfff);
      if (rights) *rights = x.rights;
      return true;
    }
    ++misses_;
    uint8_t got = 0;
    if (!inner_->translate(gpa, access, is_walk, hpa, &got)) return false;
    if (rights) *rights = got;
    fill(set, ctx, gpn, *hpa >> 12, got, needs_dirty);
    return true;
  }

  void register_stats(base::StatRegistry& s) override {
    s.add_counter("ext.ntlb.hits", &hits_, "count", "stage-2 translations found in the nested TLB");
    s.add_counter("ext.ntlb.misses", &misses_, "count", "stage-2 translations that walked");
    s.add_counter("ext.ntlb.flushes", &flushes_, "count", "nested TLB flushes");
  }

 private:
  void fill(Entry* set, uint64_t ctx, uint64_t gpn, uint64_t hpn, uint8_t rights, bool dirty) {
    Entry* victim = set;
    for (unsigned w = 0; w < ways_; ++w) {
      Entry& x = set[w];
      if (x.valid && x.gpn == gpn && x.ctx == ctx) {
        victim = &x;  // refill in place (rights or D changed)
        dirty = dirty || x.dirty;
        break;
      }
      if (!x.valid) {
        if (victim->valid) victim = &x;
      } else if (victim->valid && x.lru < victim->lru) {
        victim = &x;
      }
    }
    *victim = Entry{true, dirty, rights, ctx, gpn, hpn, ++clock_};
  }

  static void flush_all(void* self) {
    auto* n = static_cast<Ntlb*>(self);
    for (Entry& x : n->table_) x.valid = false;
    ++n->flushes_;
  }

  core::Engine& e_;
  mmu::Stage2* inner_ = nullptr;
  const uint64_t ways_, sets_, hit_cycles_;
  std::vector<Entry> table_;
  uint64_t clock_ = 0, hits_ = 0, misses_ = 0, flushes_ = 0;
};

void declare_params(base::ParamRegistry& reg) {
  reg.add_uint("ext.ntlb.entries", 32, "entries", "nested TLB entries (4 KiB guest-physical pages; rounded down to a multiple of ways, at least one set)",
               1, 4096);
  reg.add_uint("ext.ntlb.ways", 4, "ways", "nested TLB associativity (entries / ways sets)", 1, 64);
  reg.add_uint("ext.ntlb.hit_cycles", 2, "cycles", "a nested TLB hit (instead of a stage-2 walk)");
}

const Info kInfo{"ntlb",
                 "a nested TLB caching guest-physical to host-physical translations for the "
                 "stage-2 walk (Bhargava et al., ASPLOS 2008)",
                 -1,
                 0,
                 0,
                 &declare_params,
                 [](core::Engine& e, const base::Config& c) -> std::unique_ptr<Extension> {
                   return std::make_unique<Ntlb>(e, c);
                 }};

}  // namespace
}  // namespace hvsim::ext::ntlb

HVSIM_EXTENSION(ntlb, hvsim::ext::ntlb::kInfo)
