// Statistics of a boot (issue 15): instructions and cycles before the first
// CPL-3 instruction, and the run's split into user (CPL 3), kernel (CPL
// 0-2, not halted) and idle (halted in HLT) time, from the core's CplSplit
// (sim/core/cpl_split.h) and the CPU module's halted cycles.
#pragma once

#include "sim/base/stats.h"
#include "sim/platform/cpu_module.h"

namespace hvsim::platform {

void register_boot_stats(base::StatRegistry& stats, Cpu& cpu);

}  // namespace hvsim::platform
