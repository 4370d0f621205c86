// EPT translation (SDM Vol. 3 29.3.2-29.3.5).
#include "sim/vmx/ept.h"

#include "sim/vmx/caps.h"

namespace hvsim::vmx {

namespace {
constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return (hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}
constexpr uint64_t kR = 1, kW = 2, kX = 4, kLarge = 1u << 7, kA = 1u << 8, kD = 1u << 9;

// 29.3.3.1: EPT misconfigurations of one present entry at `level`.
bool misconfigured(uint64_t e, unsigned level, uint32_t maxpa, bool big2m, bool big1g) {
  const unsigned rwx = e & 7;
  if (rwx == kW || rwx == (kW | kX)) return true;  // write without read
  if (e & bits(51, maxpa)) return true;            // reserved address bits
  const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kLarge));
  if (level == 4 && (e & bits(7, 3))) return true;  // PML4E bits 7:3 reserved
  if (!leaf && level != 4 && (e & bits(7, 3))) return true;
  if (leaf) {
    const unsigned mt = (e >> 3) & 7;
    if (mt == 2 || mt == 3 || mt == 7) return true;  // reserved memory types
    if (level == 3 && (!big1g || (e & bits(29, 12)))) return true;
    if (level == 2 && (!big2m || (e & bits(20, 12)))) return true;
  }
  return false;
}
}  // namespace

// 24.6.11 and 26.2.1.1: memory type UC(0)/WB(6), walk length 4, A/D only if
// supported, bits 11:7 and above MAXPHYADDR zero.
bool eptp_valid(uint64_t eptp, const VmxCaps& caps) {
  const unsigned mt = eptp & 7;
  if (mt != 0 && mt != 6) return false;
  if (((eptp >> 3) & 7) != 3) return false;
  if (eptp_ad(eptp) && !caps.ept_ad) return false;
  if (eptp & bits(11, 7)) return false;
  if (eptp & bits(63, caps.maxphyaddr)) return false;
  return true;
}

void Ept::set_eptp(uint64_t eptp, const VmxCaps& caps) {
  eptp_ = eptp;
  ad_ = eptp_ad(eptp) && caps.ept_ad;
  big1g_ = caps.ept_1g;
  big2m_ = caps.ept_2m;
  maxpa_ = caps.maxphyaddr;
}

bool Ept::translate(uint64_t gpa, mmu::Access access, bool is_walk, uint64_t* hpa) {
  ++walks;
  // With A/D flags on, guest paging-structure accesses are writes (29.3.5).
  const bool write = access == mmu::Access::kWrite || (ad_ && is_walk);
  const bool fetch = access == mmu::Access::kExec;
  uint64_t qual = (access == mmu::Access::kRead || (is_walk && !write) ? 1 : 0) |
                  (write ? 2 : 0) | (fetch ? 4 : 0);
  if (is_walk && write) qual |= 1;  // a paging-structure access reads too
  uint64_t table = eptp_pml4(eptp_);
  uint64_t used[4];
  unsigned n = 0;
  unsigned rights = 7;
  for (unsigned level = 4;; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t addr = table + ((gpa >> shift) & 0x1ff) * 8;
    const uint64_t ent = e_.read_phys(addr, 8);
    ++refs;
    e_.add_cycles(e_.mmu().cache().access(addr, false, mmu::CacheSource::kWalk));
    if (!(ent & 7)) {  // not present: a violation
      fault_ = EptFault{false, gpa, qual, is_walk};
      ++violations;
      return false;
    }
    if (misconfigured(ent, level, maxpa_, big2m_, big1g_)) {
      fault_ = EptFault{true, gpa, 0, is_walk};
      ++misconfigs;
      return false;
    }
    rights &= ent & 7;
    used[n++] = addr;
    const bool leaf = level == 1 || (ent & kLarge);
    if (!leaf) {
      table = ent & bits(maxpa_ - 1, 12);
      continue;
    }
    const uint64_t size = 1ull << shift;
    const bool ok = !((access == mmu::Access::kRead || is_walk) && !(rights & kR)) &&
                    !(write && !(rights & kW)) && !(fetch && !(rights & kX));
    if (!ok) {
      // Bits 3-5: the R/W/X of the translation (AND over the walk), 28.2.1.
      fault_ = EptFault{false, gpa, qual | (static_cast<uint64_t>(rights) << 3), is_walk};
      ++violations;
      return false;
    }
    if (ad_) {  // 29.3.5: accessed on every entry used, dirty on the leaf for writes
      for (unsigned i = 0; i < n; ++i) {
        const uint64_t v = e_.read_phys(used[i], 8);
        uint64_t nv = v | kA;
        if (write && i == n - 1) nv |= kD;
        if (nv != v) {
          e_.write_phys(used[i], nv, 8);
          e_.add_cycles(e_.mmu().cache().access(used[i], true, mmu::CacheSource::kWalk));
        }
      }
    }
    *hpa = (ent & bits(maxpa_ - 1, 12) & ~(size - 1)) | (gpa & (size - 1));
    return true;
  }
}

}  // namespace hvsim::vmx
