// The stage-2 walk shared by EPT (SDM Vol. 3 29.3) and nested paging (AMD
// APM Vol. 2 15.25): a 4-level table of 8-byte entries rooted at the EPTP or
// N_CR3, 4 KiB pages and 2 MiB / 1 GiB leaves, rights combined from the top
// down, accessed/dirty flags set once the whole walk has succeeded (SDM
// 29.3.5, APM 5.4.2). What differs between the two, how an entry decodes
// and which rights an access needs, is a Stage2Format; how a failure is
// reported (EPT violation or misconfiguration, nested page fault EXITINFO1)
// is the caller's, from the Stage2Walk result.
#pragma once

#include <cstdint>

#include "sim/mmu/walker.h"

namespace hvsim::mmu {

// One stage-2 entry as its format reads it. `rights` are kS2* bits; an
// entry that does not restrict a right (NPT has no read bit) grants it.
struct Stage2Entry {
  bool present = false;
  bool reserved = false;  // EPT misconfiguration / NPT reserved bit
  bool leaf = false;      // maps a page (level 1, or a 2 MiB / 1 GiB page)
  uint8_t rights = 0;
};

// Logs a guest-physical page whose leaf dirty flag is about to go from 0 to
// 1 (EPT page-modification logging, SDM Vol. 3 29.3.6). log() returns false
// when the log is full: the walk then stops before setting the flag.
class Stage2DirtyLog {
 public:
  virtual ~Stage2DirtyLog() = default;
  virtual bool log(uint64_t gpa_page) = 0;
};

// The format of one stage-2 table. decode() and needs() are the policy;
// the data members are set from the EPTP / N_CR3 and the capabilities.
class Stage2Format {
 public:
  virtual ~Stage2Format() = default;
  virtual Stage2Entry decode(uint64_t entry, unsigned level) const = 0;
  // The rights (kS2*) `access` needs; is_walk: a guest paging-structure access.
  virtual uint8_t needs(Access access, bool is_walk) const = 0;

  uint64_t root = 0;      // physical address of the top table
  uint32_t maxpa = 48;    // entry address bits are maxpa-1:12
  uint64_t accessed = 0;  // the A and D flag bits; 0 when the table keeps none
  uint64_t dirty = 0;
  Stage2DirtyLog* dirty_log = nullptr;  // null: no logging
};

// kLogFull: the dirty log refused the page (nothing was written).
enum class Stage2Status : uint8_t { kOk, kNotPresent, kReserved, kDenied, kLogFull };

// What one walk found and cost.
struct Stage2Walk {
  Stage2Status status = Stage2Status::kOk;
  uint64_t hpa = 0;     // kOk: the translated address
  uint8_t rights = 0;   // rights ANDed over the entries read (0 when not present)
  uint8_t needs = 0;    // the rights the access needed
  unsigned refs = 0;    // entries read (A/D rewrites not included)
  uint64_t cycles = 0;  // every reference charged through the cache model
};

// Translates `gpa` through `f`. Reads and writes entries through `mem`,
// charges each reference (read, A/D write) to `cache` as a page-walk access.
Stage2Walk stage2_walk(const Stage2Format& f, uint64_t gpa, Access access, bool is_walk,
                       PhysMem& mem, CacheModel& cache);

}  // namespace hvsim::mmu
