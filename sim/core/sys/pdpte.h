// PAE paging's PDPTE registers (SDM Vol. 3 4.4.1): the four entries of the
// page-directory-pointer table are loaded into the processor when PAE paging
// starts or CR3 changes under it, and the page walk uses those copies, not
// memory. A present entry with a reserved bit set makes the load fail:
// #GP(0) for a MOV to CR0/CR3/CR4, a VM-entry failure for VM entry.
// Modelled for Intel CPU models only; on an AMD model the walker reads the
// entries at CR3 on each walk (ArchState::pdpte_valid stays 0).
#pragma once

#include <cstdint>

#include "sim/core/engine.h"

namespace hvsim::core::sys {

// CR0.PG=1, CR4.PAE=1 and not IA-32e mode (SDM 4.1.1, Table 4-1).
inline bool pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer) {
  return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

// A present entry with a reserved bit set (Table 4-8: 63:MAXPHYADDR, 8:5, 2:1).
inline bool pdpte_reserved(uint64_t e, unsigned maxpa) {
  const uint64_t rsvd = (maxpa >= 64 ? 0 : ~0ull << maxpa) | (0xfull << 5) | (0x3ull << 1);
  return (e & 1) && (e & rsvd);
}

// The four entries at cr3[31:5] in physical memory, no stage 2 (VM entry
// without EPT, a PAE host at VM exit).
void read_pdptes_phys(Engine& e, uint64_t cr3, uint64_t out[4]);

// Reads the four entries at cr3[31:5], guest-physical through stage 2 in a
// guest (an EPT violation exits, SDM 28.2.3.1); returns false when a present
// entry has a reserved bit set (Table 4-8: 63:MAXPHYADDR, 8:5, 2:1).
bool read_pdptes(Engine& e, uint64_t cr3, uint64_t out[4]);

// MOV to CR0/CR3/CR4 (and a task switch) leaving the processor in PAE
// paging: loads the registers from cr3 on an Intel model, #GP(0) if an entry
// is bad. Call before the register write commits, so a fault leaves it undone.
void check_pdptes(Engine& e, uint64_t cr3, uint64_t out[4]);
void commit_pdptes(Engine& e, const uint64_t in[4]);

// Sets the registers as VM entry/exit loads them (from the VMCS or memory).
void set_pdptes(ArchState& s, const uint64_t in[4]);

}  // namespace hvsim::core::sys
