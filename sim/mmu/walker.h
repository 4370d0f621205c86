// The page walker: one walker for 32-bit, PAE, 4-level and 5-level paging
// (SDM Vol. 3 ch. 4). Each paging-structure reference goes through PhysMem, and — for a
// guest under EPT/NPT — through a stage-2 hook that the VMX and SVM code plug
// in (identity when none is set), so that native, EPT and NPT share one walker.
#pragma once

#include <cstdint>

namespace hvsim::base {
class StatRegistry;
}

namespace hvsim::cache {
class CacheModel;
enum class CacheSource : uint8_t;
}  // namespace hvsim::cache

namespace hvsim::mmu {

// Every paging-structure reference is charged to the cache model (sim/cache).
using cache::CacheModel;
using cache::CacheSource;

class PagingStructureCache;
struct WalkRefs;

enum class Access : uint8_t { kRead, kWrite, kExec };

// #PF error code bits (SDM Vol. 3 4.7).
enum PfError : uint32_t {
  kPfPresent = 1u << 0,
  kPfWrite = 1u << 1,
  kPfUser = 1u << 2,
  kPfRsvd = 1u << 3,
  kPfFetch = 1u << 4,
  kPfPk = 1u << 5,
  kPfShadowStack = 1u << 6,
};

// The control registers that select and parameterize paging.
struct PagingRegs {
  uint64_t cr0 = 0, cr3 = 0, cr4 = 0, efer = 0;
  uint32_t maxphyaddr = 48;  // CPUID.80000008H:EAX[7:0]
  // Address-space tags beyond PCID for the TLBs and paging-structure caches:
  // VPID (VMX) or ASID (SVM), and EPTP or nCR3. Both 0 natively.
  uint32_t tlb_tag = 0;
  uint64_t tlb_ctx = 0;
  // PAE paging: the four PDPTE registers (SDM Vol. 3 4.4.1), or null to read
  // the entries at CR3[31:5] on every walk (AMD; the walker's unit tests).
  const uint64_t* pdptes = nullptr;
};

// The PCID of the current address space: CR3[11:0] with CR4.PCIDE, else 0
// (SDM Vol. 3 4.10.1).
uint16_t current_pcid(const PagingRegs& regs);

// One access to translate. `user` is a user-mode access (CPL 3 and not an
// implicit supervisor access such as a descriptor-table read); `ac` is
// RFLAGS.AC for SMAP (SDM Vol. 3 4.6).
struct AccessCtx {
  Access access = Access::kRead;
  bool user = false;
  bool ac = false;
};

// Paging-structure entry bits (SDM Vol. 3 4.3, 4.4.2, 4.5.4).
inline constexpr uint64_t kPteP = 1ull << 0;
inline constexpr uint64_t kPteRw = 1ull << 1;
inline constexpr uint64_t kPteUs = 1ull << 2;
inline constexpr uint64_t kPteA = 1ull << 5;
inline constexpr uint64_t kPteD = 1ull << 6;
inline constexpr uint64_t kPtePs = 1ull << 7;
inline constexpr uint64_t kPteG = 1ull << 8;
inline constexpr uint64_t kPteXd = 1ull << 63;

struct Translation {
  uint64_t pa = 0;  // after stage 2 (host-physical under EPT/NPT)
  // The guest page size; with a stage-2 hook set it is clamped to 4 KiB,
  // since stage 2 may map the guest page with smaller pages.
  uint64_t page_size = 4096;  // 4 KiB, 2 MiB, 4 MiB or 1 GiB
  bool writable = false;      // the combined R/W of the whole walk
  bool user = false;          // the combined U/S
  bool nx = false;            // any level had XD set (with EFER.NXE)
  bool global = false;        // G of the mapping entry, only with CR4.PGE
  uint64_t gpa = 0;           // before stage 2 (equals pa with no hook)
  bool dirty = false;         // D=1 in the mapping entry after the walk (4.8)
  // What stage 2 allows on the final guest-physical page (kS2*; all without
  // a hook). A TLB entry keeps it: the access rights of a combined mapping
  // come from the guest and the EPT paging structures both (SDM Vol. 3
  // 29.4.1), so an access needing a right stage 2 did not grant must not
  // hit on an entry a read filled.
  uint8_t s2_rights = 0xf;
};

// The access-rights check of SDM Vol. 3 4.6.1 on combined rights (R/W and
// U/S ANDed over the walk, XD ORed): shared by the walker and by TLB hits,
// which check the cached rights against the current CR0.WP, CR4.SMEP/SMAP,
// CPL and RFLAGS.AC.
bool access_allowed(const AccessCtx& ctx, const PagingRegs& regs, bool writable, bool user,
                    bool nx);

// Physical memory as the walker sees it; accessed/dirty updates are writes.
class PhysMem {
 public:
  virtual ~PhysMem() = default;
  virtual uint64_t read_phys(uint64_t pa, unsigned size) = 0;  // size 4 or 8
  virtual void write_phys(uint64_t pa, uint64_t value, unsigned size) = 0;
};

// Rights of a stage-2 translation in one encoding for EPT and NPT (EPT's
// R/W/X are bits 0-2 of its entries; NPT has no read bit, so reads are
// always granted, and every nested access is a user access).
enum Stage2Rights : uint8_t { kS2Read = 1, kS2Write = 2, kS2Exec = 4, kS2User = 8, kS2All = 0xf };

// The stage-2 right an access of this kind needs on the final page.
inline uint8_t s2_right_of(Access a) {
  return a == Access::kWrite ? kS2Write : a == Access::kExec ? kS2Exec : kS2Read;
}

// Stage-2 translation of a guest-physical address (EPT / NPT), the walker's
// hook. Returns false when stage 2 faults; the VMX/SVM code records the
// violation itself. On success, `rights` (when non-null) receives the
// kS2* rights the translation grants, whatever `access` was.
class Stage2 {
 public:
  virtual ~Stage2() = default;
  virtual bool translate(uint64_t gpa, Access access, bool is_walk, uint64_t* hpa,
                         uint8_t* rights = nullptr) = 0;
};

// Why a walk stopped (beyond the #PF error code): lets callers tell a
// stage-2 fault from a guest page fault.
enum class WalkStatus : uint8_t { kOk, kPageFault, kStage2Fault };

class Walker {
 public:
  // Translates `la`. On a page fault returns kPageFault with *pf_error set as
  // the SDM defines the #PF error code. Accessed and dirty bits are set
  // (SDM Vol. 3 4.8) once the walk and its permission checks succeed; a
  // faulting walk writes nothing. `out` is written only on kOk, `pf_error`
  // only on kPageFault (either may be null). Canonical-address checks (#GP)
  // are the caller's; so is CR2. See walker.cc for the mode selection.
  WalkStatus walk(uint64_t la, const AccessCtx& ctx, const PagingRegs& regs, PhysMem& mem,
                  Translation* out, uint32_t* pf_error);

  void set_stage2(Stage2* s2) { stage2_ = s2; }
  // Paging-structure caches (SDM 4.10.3) consulted to skip upper levels of
  // 4-level, 5-level and PAE walks; null (the default) disables them.
  void set_walk_cache(PagingStructureCache* psc) { psc_ = psc; }
  // Every paging-structure reference (entry reads and A/D writes) is charged
  // through this cache model as a page-walk access; with none set each
  // reference costs `ref_cycles` (0 by default).
  void set_cache(CacheModel* cache) { cache_ = cache; }
  void set_ref_cycles(uint32_t c) { ref_cycles_ = c; }

  // Cycles charged by the last walk() (references and paging-structure-cache
  // hits); the caller adds them to its clock.
  uint64_t last_walk_cycles() const { return last_cycles_; }

  // Registers the counters below under "mmu.walks", "mmu.walk.*" etc.
  void register_stats(hvsim::base::StatRegistry& reg);

  static constexpr unsigned kRefHistBuckets = 7;  // 0..5 references, and 6 or more

  // Statistics (counters owned here, registered by register_stats).
  uint64_t walks = 0;                        // calls to walk(), CR0.PG=0 included
  uint64_t walk_refs = 0;                    // paging-structure entries read (PAE PDPTEs too)
  uint64_t page_faults = 0;                  // walks ending in kPageFault
  uint64_t refs_level[5] = {};               // entries read per level: [0] PTE .. [4] PML5E
  uint64_t ad_writes = 0;                    // accessed/dirty updates written back
  uint64_t refs_hist[kRefHistBuckets] = {};  // walks by entries read
  uint64_t walk_cycles = 0;                  // sum of last_walk_cycles() over all walks

 private:
  WalkStatus do_walk(uint64_t la, const AccessCtx& ctx, const PagingRegs& regs, WalkRefs& refs,
                     Translation* out, uint32_t* pf_error);

  Stage2* stage2_ = nullptr;
  PagingStructureCache* psc_ = nullptr;
  CacheModel* cache_ = nullptr;
  uint32_t ref_cycles_ = 0;
  uint64_t last_cycles_ = 0;
};

}  // namespace hvsim::mmu
