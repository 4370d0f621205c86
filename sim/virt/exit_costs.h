// Per-exit-reason world-switch costs: `vmx.exit_cycles.<REASON>` and
// `svm.exit_cycles.<CODE>` (e.g. vmx.exit_cycles.CR_ACCESS,
// svm.exit_cycles.VMMCALL), each -1 by default, meaning the global
// vmx.vmexit_cycles / svm.vmexit_cycles; so a sweep can make one exit
// dearer or cheaper and leave the rest. WorldSwitch::exit applies them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/base/params.h"

namespace hvsim::virt {

struct ExitName {
  uint32_t code;
  std::string name;  // the key's last part
};

// Declares `<arch>.exit_cycles.<name>` for every exit in `names`.
void declare_exit_costs(base::ParamRegistry& reg, const std::string& arch,
                        const std::vector<ExitName>& names);
// The exits whose cost the config sets (>= 0), by code.
std::map<uint32_t, uint64_t> exit_costs_from_config(const base::Config& cfg,
                                                    const std::string& arch,
                                                    const std::vector<ExitName>& names);

}  // namespace hvsim::virt
