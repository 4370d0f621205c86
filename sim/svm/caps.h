// What the SVM of this CPU model offers, from the svm.* parameters, as
// CPUID 8000_000Ah reports it (AMD APM Vol. 3 E.4.9), and the cycle costs
// of the SVM operations (svm.*_cycles).
#pragma once

#include <cstdint>

#include "sim/base/params.h"

namespace hvsim::svm {

struct SvmCaps {
  uint32_t revision = 1;
  uint32_t asids = 16;  // EBX: number of ASIDs (ASID 0 is the host's)
  bool np = true, nrips = true, vmcb_clean = true, flush_by_asid = true;
  bool decode_assists = true, pause_filter = true, pause_filter_threshold = true;
  bool lbrv = true;  // LBR virtualization (15.23)
  bool disabled = false;  // VM_CR.SVMDIS|LOCK at reset (firmware disabled SVM)
  uint32_t maxphyaddr = 48;
  // CPUID 8000_000Ah EDX.
  uint32_t features() const;
  static SvmCaps from_config(const base::Config& cfg);
};

// Cycle costs (svm.*_cycles).
struct SvmCosts {
  uint64_t vmrun = 0, vmrun_group = 0, vmexit = 0, vmload = 0, vmsave = 0, stgi = 0,
           clgi = 0, invlpga = 0, tlb_flush = 0;
  static SvmCosts from_config(const base::Config& cfg);
};

// Declares every svm.* parameter (capabilities, then cycle costs).
void declare_params(base::ParamRegistry& reg);

}  // namespace hvsim::svm
