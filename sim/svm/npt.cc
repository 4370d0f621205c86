// Nested page walk (APM Vol. 2 15.25.5-15.25.6, and 5.3 for the format).
#include "sim/svm/npt.h"

#include "sim/svm/vmcb.h"

namespace hvsim::svm {

namespace {
constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return (hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}
constexpr uint64_t kP = 1, kRw = 2, kUs = 4, kA = 1u << 5, kD = 1u << 6, kPs = 1u << 7,
                   kNx = 1ull << 63;
}  // namespace

void Npt::set_root(uint64_t ncr3, bool nxe, uint32_t maxpa, bool big1g) {
  format_.root = ncr3 & bits(maxpa - 1, 12);
  format_.maxpa = maxpa;
  format_.accessed = kA;
  format_.dirty = kD;
  format_.nxe = nxe;
  format_.big1g = big1g;
}

mmu::Stage2Entry NptFormat::decode(uint64_t e, unsigned level) const {
  mmu::Stage2Entry d;
  d.present = e & kP;
  const bool large = (level == 2 || level == 3) && (e & kPs);
  d.leaf = level == 1 || large;
  // Reserved: above MAXPHYADDR, NX without EFER.NXE, bits 8:7 of a PML4E
  // (5.3.3: PS and bit 8 MBZ), the low address bits of a large page, and
  // 1 GiB pages when not offered.
  d.reserved = (e & (bits(51, maxpa) | (nxe ? 0 : kNx))) ||
               (level == 4 && (e & (kPs | (1u << 8)))) ||
               (level == 3 && large && (!big1g || (e & bits(29, 13)))) ||
               (level == 2 && large && (e & bits(20, 13)));
  d.rights = mmu::kS2Read;  // no read bit
  if (e & kRw) d.rights |= mmu::kS2Write;
  if (e & kUs) d.rights |= mmu::kS2User;
  if (!(nxe && (e & kNx))) d.rights |= mmu::kS2Exec;
  return d;
}

// Every nested access is a user access (15.25.5); a write needs RW, and so
// does every access to a guest page table (treated as a write, as the walk
// may set A/D: a read-only table faults with RW in EXITINFO1, 15.25.6); a
// fetch of the final page needs no NX.
uint8_t NptFormat::needs(mmu::Access access, bool is_walk) const {
  uint8_t n = mmu::kS2User;
  if (access == mmu::Access::kWrite || is_walk) n |= mmu::kS2Write;
  if (access == mmu::Access::kExec && !is_walk) n |= mmu::kS2Exec;
  return n;
}

bool Npt::translate(uint64_t gpa, mmu::Access access, bool is_walk, uint64_t* hpa,
                    uint8_t* rights) {
  ++walks;
  const mmu::Stage2Walk w = mmu::stage2_walk(format_, gpa, access, is_walk, e_, e_.mmu().cache());
  refs += w.refs;
  e_.add_cycles(w.cycles);
  if (w.status == mmu::Stage2Status::kOk) {
    *hpa = w.hpa;
    if (rights) *rights = w.rights;
    return true;
  }
  // 15.25.6: the access as the guest made it, with the phase in bits 32/33;
  // P for a present entry that forbade it or set a reserved bit.
  uint64_t info = npf::kU | ((w.needs & mmu::kS2Write) ? npf::kW : 0) |
                  ((w.needs & mmu::kS2Exec) && (format_.nxe || host_smep_) ? npf::kId : 0) |
                  (is_walk ? npf::kTable : npf::kFinal);
  if (w.status == mmu::Stage2Status::kReserved) info |= npf::kP | npf::kRsv;
  if (w.status == mmu::Stage2Status::kDenied) info |= npf::kP;
  fault_ = NptFault{gpa, info};
  ++faults;
  return false;
}

}  // namespace hvsim::svm
