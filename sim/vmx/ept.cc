// EPT translation (SDM Vol. 3 29.3.2-29.3.5).
#include "sim/vmx/ept.h"

#include "sim/vmx/caps.h"

namespace hvsim::vmx {

namespace {
constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return (hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}
constexpr uint64_t kW = 2, kX = 4, kLarge = 1u << 7, kA = 1u << 8, kD = 1u << 9;

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
  format_.root = eptp_pml4(eptp);
  format_.maxpa = caps.maxphyaddr;
  format_.ad = eptp_ad(eptp) && caps.ept_ad;
  format_.accessed = format_.ad ? kA : 0;
  format_.dirty = format_.ad ? kD : 0;
  format_.big1g = caps.ept_1g;
  format_.big2m = caps.ept_2m;
}

mmu::Stage2Entry EptFormat::decode(uint64_t e, unsigned level) const {
  mmu::Stage2Entry d;
  d.present = (e & 7) != 0;
  d.reserved = misconfigured(e, level, maxpa, big2m, big1g);
  d.leaf = level == 1 || (e & kLarge);
  d.rights = static_cast<uint8_t>((e & 7) | mmu::kS2User);  // R/W/X are kS2Read/Write/Exec
  return d;
}

// A read (and every guest paging-structure access) needs R, a write W, a
// fetch X; with A/D flags on, guest paging-structure accesses are writes
// (29.3.5).
uint8_t EptFormat::needs(mmu::Access access, bool is_walk) const {
  uint8_t n = 0;
  if (access == mmu::Access::kRead || is_walk) n |= mmu::kS2Read;
  if (access == mmu::Access::kWrite || (ad && is_walk)) n |= mmu::kS2Write;
  if (access == mmu::Access::kExec) n |= mmu::kS2Exec;
  return n;
}

bool Ept::translate(uint64_t gpa, mmu::Access access, bool is_walk, uint64_t* hpa,
                    uint8_t* rights) {
  ++walks;
  const mmu::Stage2Walk w = mmu::stage2_walk(format_, gpa, access, is_walk, e_, e_.mmu().cache());
  refs += w.refs;
  e_.add_cycles(w.cycles);
  switch (w.status) {
    case mmu::Stage2Status::kOk:
      *hpa = w.hpa;
      if (rights) *rights = w.rights;
      return true;
    case mmu::Stage2Status::kReserved:
      fault_ = EptFault{true, gpa, 0, is_walk};
      ++misconfigs;
      return false;
    case mmu::Stage2Status::kLogFull:
      fault_ = EptFault{};
      fault_.gpa = gpa;
      fault_.pml_full = true;
      return false;
    case mmu::Stage2Status::kNotPresent:
    case mmu::Stage2Status::kDenied:
      break;
  }
  // Table 28-7: bits 2:0 the access (a paging-structure access reads, and
  // writes with A/D on), bits 5:3 the R/W/X of the translation ANDed over
  // the walk (0 when an entry was not present).
  fault_ = EptFault{false, gpa, static_cast<uint64_t>(w.needs & 7) | ((w.rights & 7u) << 3),
                    is_walk};
  ++violations;
  return false;
}

}  // namespace hvsim::vmx
