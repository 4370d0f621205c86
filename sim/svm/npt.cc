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
  root_ = ncr3 & bits(maxpa - 1, 12);
  nxe_ = nxe;
  maxpa_ = maxpa;
  big1g_ = big1g;
}

bool Npt::translate(uint64_t gpa, mmu::Access access, bool is_walk, uint64_t* hpa) {
  ++walks;
  const bool write = access == mmu::Access::kWrite;
  const bool fetch = access == mmu::Access::kExec && !is_walk;
  // Every nested access is a user access (15.25.5); the error code reports
  // the access as the guest made it, with the phase in bits 32/33.
  uint64_t info = npf::kU | (write ? npf::kW : 0) | (fetch && nxe_ ? npf::kId : 0) |
                  (is_walk ? npf::kTable : npf::kFinal);
  uint64_t table = root_;
  uint64_t used[4];
  unsigned n = 0;
  bool w_all = true, u_all = true, nx_any = false;
  const uint64_t rsvd_hi = bits(51, maxpa_) | (nxe_ ? 0 : kNx);
  for (unsigned level = 4;; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t addr = table + ((gpa >> shift) & 0x1ff) * 8;
    const uint64_t ent = e_.read_phys(addr, 8);
    ++refs;
    e_.add_cycles(e_.mmu().cache().access(addr, false, mmu::CacheSource::kWalk));
    if (!(ent & kP)) {
      fault_ = NptFault{gpa, info};
      ++faults;
      return false;
    }
    bool rsvd = ent & rsvd_hi;
    const bool large = (level == 2 || level == 3) && (ent & kPs);
    if (level == 4 && (ent & kPs)) rsvd = true;
    if (level == 3 && large && (!big1g_ || (ent & bits(29, 13)))) rsvd = true;
    if (level == 2 && large && (ent & bits(20, 13))) rsvd = true;
    if (rsvd) {
      fault_ = NptFault{gpa, info | npf::kP | npf::kRsv};
      ++faults;
      return false;
    }
    w_all &= (ent & kRw) != 0;
    u_all &= (ent & kUs) != 0;
    nx_any |= nxe_ && (ent & kNx);
    used[n++] = addr;
    const bool leaf = level == 1 || large;
    if (!leaf) {
      table = ent & bits(maxpa_ - 1, 12);
      continue;
    }
    if (!u_all || (write && !w_all) || (fetch && nx_any)) {
      fault_ = NptFault{gpa, info | npf::kP};
      ++faults;
      return false;
    }
    // Accessed on every entry, dirty on the leaf for writes (5.4.2).
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t v = e_.read_phys(used[i], 8);
      uint64_t nv = v | kA;
      if (write && i == n - 1) nv |= kD;
      if (nv != v) {
        e_.write_phys(used[i], nv, 8);
        e_.add_cycles(e_.mmu().cache().access(used[i], true, mmu::CacheSource::kWalk));
      }
    }
    const uint64_t size = 1ull << shift;
    *hpa = (ent & bits(maxpa_ - 1, 12) & ~(size - 1)) | (gpa & (size - 1));
    return true;
  }
}

}  // namespace hvsim::svm
