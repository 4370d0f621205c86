#include "sim/virt/exit_costs.h"

namespace hvsim::virt {

void declare_exit_costs(base::ParamRegistry& reg, const std::string& arch,
                        const std::vector<ExitName>& names) {
  for (const ExitName& n : names)
    reg.add_int(arch + ".exit_cycles." + n.name, -1, "cycles",
                "VM exit cost for exit " + std::to_string(n.code) + " (" + n.name + "); -1: " +
                    arch + ".vmexit_cycles",
                -1, INT64_MAX);
}

std::map<uint32_t, uint64_t> exit_costs_from_config(const base::Config& cfg,
                                                    const std::string& arch,
                                                    const std::vector<ExitName>& names) {
  std::map<uint32_t, uint64_t> out;
  for (const ExitName& n : names) {
    const int64_t v = cfg.get_int(arch + ".exit_cycles." + n.name);
    if (v >= 0) out[n.code] = static_cast<uint64_t>(v);
  }
  return out;
}

}  // namespace hvsim::virt
