#include "sim/core/sys/control_regs.h"

#include "sim/core/sys/descriptor.h"
#include "sim/core/sys/pdpte.h"

namespace hvsim::core::sys {

namespace {
constexpr uint64_t kCr0Defined = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP |
                                 CR0_AM | CR0_NW | CR0_CD | CR0_PG;
}  // namespace

uint64_t cr4_allowed(const Engine& e) {
  uint64_t m = CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE |
               CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_UMIP;
  const CpuidResult l1 = e.cpuid().query(1, 0);
  const CpuidResult l7 = e.cpuid().query(7, 0);
  if (l1.ecx & (1u << 5)) m |= CR4_VMXE;
  if (l1.ecx & (1u << 17)) m |= CR4_PCIDE;
  if (l1.ecx & (1u << 26)) m |= CR4_OSXSAVE;
  if (l7.ebx & (1u << 0)) m |= CR4_FSGSBASE;
  if (l7.ebx & (1u << 7)) m |= CR4_SMEP;
  if (l7.ebx & (1u << 20)) m |= CR4_SMAP;
  if (l7.ecx & (1u << 3)) m |= CR4_PKE;
  if (l7.ecx & (1u << 16)) m |= CR4_LA57;
  return m;
}

uint64_t efer_allowed(const Engine& e) {
  const CpuidResult x1 = e.cpuid().query(0x80000001, 0);
  uint64_t m = EFER_SCE | EFER_LME | EFER_LMA;
  if (x1.edx & (1u << 20)) m |= EFER_NXE;
  if (x1.ecx & (1u << 2)) m |= EFER_SVME;
  if (x1.edx & (1u << 25)) m |= EFER_FFXSR;
  return m;
}

// SDM Vol. 2A MOV CR0 and Vol. 3 9.8.5 (IA-32e mode activation).
void write_cr0(Engine& e, uint64_t v) {
  ArchState& s = e.s;
  if (v >> 32) raise(kGP, 0);
  v = (v & kCr0Defined) | CR0_ET;  // reserved bits of CR0[31:0] are ignored; ET is fixed
  // VMX root operation: PE, NE and PG are fixed to 1 (SDM Vol. 3 24.8, A.7);
  // a guest's fixed bits are checked by its hooks.
  if (s.in_vmx && !e.guest() && (~v & (CR0_PE | CR0_NE | CR0_PG))) raise(kGP, 0);
  if ((v & CR0_PG) && !(v & CR0_PE)) raise(kGP, 0);
  if ((v & CR0_NW) && !(v & CR0_CD)) raise(kGP, 0);
  const uint64_t old = s.cr0;
  const bool pg_on = (v & CR0_PG) && !(old & CR0_PG);
  const bool pg_off = !(v & CR0_PG) && (old & CR0_PG);
  if (pg_on && (s.efer & EFER_LME)) {
    if (!(s.cr4 & CR4_PAE)) raise(kGP, 0);
    if (s.seg[CS].l()) raise(kGP, 0);
    if (!(s.tr.type() & 8) && s.tr.present()) raise(kGP, 0);  // a 16-bit TSS
  }
  if (pg_off) {
    if (e.long64()) raise(kGP, 0);
    if (s.cr4 & CR4_PCIDE) raise(kGP, 0);
  }
  uint64_t efer = s.efer;
  if (pg_on && (s.efer & EFER_LME)) efer |= EFER_LMA;
  if (pg_off) efer &= ~EFER_LMA;
  // SDM 4.4.1: a MOV to CR0 changing PG, CD or NW into PAE paging loads the PDPTEs.
  uint64_t pdpte[4];
  const bool load = pae_paging(v, s.cr4, efer) && ((old ^ v) & (CR0_PG | CR0_CD | CR0_NW));
  if (load) check_pdptes(e, s.cr3, pdpte);
  s.cr0 = v;
  s.efer = efer;
  if (load) commit_pdptes(e, pdpte);
  if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE)) e.flush_tlb();
  e.mmu().mov_to_cr0(old, e.paging_regs());
  if ((old ^ v) & (CR0_PE | CR0_PG)) e.update_mode();
  e.update_alignment_check();  // CR0.AM
  e.break_block();
}

// SDM Vol. 2A MOV CR3; Vol. 3 4.10.4.1: without PCIDE the non-global
// translations go; with PCIDE those of the new PCID, unless bit 63 is set.
// The simulator's host-pointer TLB is untagged and always flushed.
void write_cr3(Engine& e, uint64_t v) {
  ArchState& s = e.s;
  const uint64_t written = v;
  if (ia32e(e)) {
    if (s.cr4 & CR4_PCIDE) v &= ~(1ull << 63);
    if (v >> e.cpuid().maxphyaddr()) raise(kGP, 0);
  } else {
    v = static_cast<uint32_t>(v);
  }
  uint64_t pdpte[4];
  const bool load = pae_paging(s.cr0, s.cr4, s.efer);  // SDM 4.4.1
  if (load) check_pdptes(e, v, pdpte);
  s.cr3 = v;
  if (load) commit_pdptes(e, pdpte);
  e.flush_tlb();
  e.mmu().mov_to_cr3(written, e.paging_regs());
  e.break_block();
}

// SDM Vol. 2A MOV CR4.
void write_cr4(Engine& e, uint64_t v) {
  ArchState& s = e.s;
  if (v & ~cr4_allowed(e)) raise(kGP, 0);
  if (s.in_vmx && !e.guest() && !(v & CR4_VMXE)) raise(kGP, 0);  // SDM Vol. 3 24.8
  const uint64_t old = s.cr4;
  if (ia32e(e)) {
    if (!(v & CR4_PAE)) raise(kGP, 0);
    if ((old ^ v) & CR4_LA57) raise(kGP, 0);
  }
  if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) && (!ia32e(e) || (s.cr3 & 0xfff))) raise(kGP, 0);
  // SDM 4.4.1: a MOV to CR4 changing PAE, PGE, PSE or SMEP into PAE paging
  // loads the PDPTEs.
  uint64_t pdpte[4];
  const bool load = pae_paging(s.cr0, v, s.efer) &&
                    ((old ^ v) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP));
  if (load) check_pdptes(e, s.cr3, pdpte);
  s.cr4 = v;
  if (load) commit_pdptes(e, pdpte);
  if ((old ^ v) &
      (CR4_PGE | CR4_PAE | CR4_PSE | CR4_SMEP | CR4_SMAP | CR4_PCIDE | CR4_PKE | CR4_LA57))
    e.flush_tlb();
  e.mmu().mov_to_cr4(old, e.paging_regs());
  e.break_block();
}

// SDM Vol. 3 10.8.6.1: CR8 is TPR[7:4]; bits 63:4 are reserved.
void write_cr8(Engine& e, uint64_t v) {
  if (v & ~0xfull) raise(kGP, 0);
  e.set_cr8(v);  // the APIC's TPR; a lower TPR may unmask a pending interrupt
}

// SDM Vol. 4 IA32_EFER; Vol. 3 9.8.5: LME cannot change while paging is on;
// LMA is read-only (writes keep the current value).
void write_efer(Engine& e, uint64_t v) {
  ArchState& s = e.s;
  if (v & ~efer_allowed(e)) raise(kGP, 0);
  const uint64_t old = s.efer;
  if ((s.cr0 & CR0_PG) && ((old ^ v) & EFER_LME)) raise(kGP, 0);
  s.efer = (v & ~EFER_LMA) | (old & EFER_LMA);
  if ((old ^ s.efer) & EFER_NXE) {  // NX is cached as it was at walk time
    e.flush_tlb();
    e.mmu().flush_tag(0);
  }
  e.update_mode();
}

}  // namespace hvsim::core::sys
