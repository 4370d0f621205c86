#include "sim/core/sys/pdpte.h"

#include "sim/mmu/walker.h"

namespace hvsim::core::sys {

void read_pdptes_phys(Engine& e, uint64_t cr3, uint64_t out[4]) {
  for (unsigned i = 0; i < 4; ++i) out[i] = e.read_phys((cr3 & 0xffffffe0ull) + 8 * i, 8);
}

bool read_pdptes(Engine& e, uint64_t cr3, uint64_t out[4]) {
  const unsigned maxpa = e.cpuid().maxphyaddr();
  const uint64_t base = cr3 & 0xffffffe0ull;
  mmu::Stage2* s2 = e.guest_context().stage2;
  bool ok = true;
  for (unsigned i = 0; i < 4; ++i) {
    const uint64_t gpa = base + 8 * i;
    uint64_t hpa = gpa;
    if (s2 && !s2->translate(gpa, mmu::Access::kRead, /*is_walk=*/true, &hpa))
      e.guest()->stage2_fault(0, /*la_valid=*/false);  // no linear address (28.2.3.2)
    out[i] = e.read_phys(hpa, 8);
    if (pdpte_reserved(out[i], maxpa)) ok = false;
  }
  return ok;
}

void check_pdptes(Engine& e, uint64_t cr3, uint64_t out[4]) {
  if (e.cpuid().is_amd()) return;
  if (!read_pdptes(e, cr3, out)) raise(kGP, 0);
}

void commit_pdptes(Engine& e, const uint64_t in[4]) {
  if (!e.cpuid().is_amd()) set_pdptes(e.s, in);
}

void set_pdptes(ArchState& s, const uint64_t in[4]) {
  for (unsigned i = 0; i < 4; ++i) s.pdpte[i] = in[i];
  s.pdpte_valid = 1;
}

}  // namespace hvsim::core::sys
