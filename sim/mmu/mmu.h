// The memory-translation unit of one core: TLB hierarchy, paging-structure
// caches and the page walker, charging walks to the cache model
// (sim/cache), with the
// invalidations each architectural operation performs (SDM Vol. 3 4.10.4).
//
// translate() is Walker::walk's contract with TLBs in front: a hit that the
// cached rights allow returns the cached translation without touching
// memory, so a PTE changed without INVLPG keeps translating the old way, as
// on hardware (4.10.4.3). A hit whose cached rights (stage-2 rights
// included) forbid the access, or a write to an entry with D not known set,
// walks again (allowed by 4.10.4.3: the processor may re-walk before
// faulting); a walk that faults removes the
// TLB and paging-structure-cache entries for the address (4.10.4.1, "page
// faults invalidate"). With CR0.PG=0 nothing is cached and nothing charged.
#pragma once

#include <cstdint>

#include "sim/cache/cache_model.h"
#include "sim/mmu/tlb_hierarchy.h"
#include "sim/mmu/walk_cache.h"
#include "sim/mmu/walker.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::base {
class Config;
class ParamRegistry;
class StatRegistry;
}  // namespace hvsim::base

namespace hvsim::mmu {

struct MmuParams {
  TlbHierarchyParams tlb;
  PscParams psc;
  cache::CacheParams cache;

  // Declares mmu.itlb/dtlb/l2tlb.*, mmu.psc.* and cache.*.
  static void declare_params(hvsim::base::ParamRegistry& reg);
  static MmuParams from_config(const hvsim::base::Config& cfg);
};

class Mmu {
  friend struct ::hvsim::checkpoint::Access;
 public:
  explicit Mmu(const MmuParams& p = {});
  Mmu(const Mmu&) = delete;
  Mmu& operator=(const Mmu&) = delete;

  WalkStatus translate(uint64_t la, const AccessCtx& ctx, const PagingRegs& regs, PhysMem& mem,
                       Translation* out, uint32_t* pf_error);
  // Cycles the last translate() cost: TLB probes, plus the walk if any.
  uint64_t last_cycles() const { return last_cycles_; }
  // Which level served the last translate() (kTlbMiss: it walked).
  TlbLevel last_level() const { return last_level_; }

  // Charges an instruction's data access of `n` bytes to the cache model.
  uint32_t data_access(uint64_t pa, unsigned n, bool is_write) {
    return cache_.data_access(pa, n, is_write);
  }

  // ---- invalidations (SDM Vol. 3 4.10.4.1); `regs` are the registers in
  // force after the instruction (CR3/CR4 already written).
  // INVLPG: the page's entries of the current PCID and global ones; all
  // paging-structure-cache entries of the current PCID.
  void invlpg(uint64_t la, const PagingRegs& regs);
  // INVPCID type 0 (address), 1 (single context), 2 (all, globals too),
  // 3 (all but globals). `la` is used by type 0 only. Types > 3 are the
  // caller's #GP.
  void invpcid(unsigned type, uint16_t pcid, uint64_t la, const PagingRegs& regs);
  // MOV to CR3 (and a task switch loading CR3): `written` is the operand as
  // written, bit 63 included. Without CR4.PCIDE: non-global entries of PCID
  // 0. With it: non-global entries of the new PCID, unless bit 63 is set.
  // Paging-structure caches follow the same PCID.
  void mov_to_cr3(uint64_t written, const PagingRegs& regs);
  // MOV to CR4: a change of PGE, PCIDE 1->0, PAE, PSE, or SMEP 0->1 flushes
  // everything (for the current VPID/ASID tag). The SDM asks for less on
  // PAE/SMEP (current PCID only); over-invalidation is always permitted.
  void mov_to_cr4(uint64_t old_cr4, const PagingRegs& regs);
  // MOV to CR0: clearing PG flushes everything (for the current tag).
  void mov_to_cr0(uint64_t old_cr0, const PagingRegs& regs);
  // Everything of every tag and context (reset, INIT, INVEPT/INVVPID all-context).
  void flush_all();
  // Everything of one VPID/ASID (INVVPID single-context, TLB_CONTROL, INVLPGA
  // without an address) or one EPTP/nCR3 (INVEPT single-context).
  void flush_tag(uint32_t tag);
  void flush_ctx(uint64_t ctx);
  // One address of one VPID/ASID, globals too (INVVPID type 0, INVLPGA).
  void flush_tag_address(uint32_t tag, uint64_t la);
  // Called by flush_all, flush_tag and flush_ctx (which cover INVEPT, the
  // SVM TLB_CONTROL flushes, reset): a structure that caches guest-physical
  // translations outside the TLBs (sim/ext/ntlb) empties itself there.
  void set_stage2_flush_listener(void (*fn)(void*), void* arg) {
    s2_flush_ = fn;
    s2_flush_arg_ = arg;
  }

  Walker& walker() { return walker_; }
  TlbHierarchy& tlbs() { return tlbs_; }
  PagingStructureCache& psc() { return psc_; }
  cache::CacheModel& cache() { return cache_; }

  // Registers every counter of the walker, TLBs, paging-structure caches and
  // cache model ("mmu.*", "cache.*").
  void register_stats(hvsim::base::StatRegistry& reg);

  uint64_t rights_rewalks = 0;  // TLB hits whose cached rights forbade the access
  uint64_t invlpgs = 0;         // invlpg() calls (INVLPG; TLB shootdowns on a multiprocessor)

 private:
  void flush(const TlbFlush& f);

  TlbHierarchy tlbs_;
  PagingStructureCache psc_;
  cache::CacheModel cache_;
  Walker walker_;
  uint64_t last_cycles_ = 0;
  TlbLevel last_level_ = kTlbMiss;
  void (*s2_flush_)(void*) = nullptr;
  void* s2_flush_arg_ = nullptr;
};

}  // namespace hvsim::mmu
