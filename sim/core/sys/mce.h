// Machine-check MSRs and IA32_DEBUGCTL (sys/mce.cc), for the MSR table.
#pragma once

#include <vector>

#include "sim/core/sys/msr.h"

namespace hvsim::core::sys {

void append_mce_msrs(std::vector<MsrDef>& t);

}  // namespace hvsim::core::sys
