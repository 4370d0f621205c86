#include "sim/timing/simple_core.h"

namespace hvsim::timing {

void SimpleCore::register_stats(base::StatRegistry& reg, const std::string& prefix) {
  reg.add_counter(prefix + ".cycles", &cycles_, "cycles",
                  "cycles charged by the simple model (detailed phases only: "
                  "timing.fast_forward, timing.sample)");
  reg.add_counter(prefix + ".instructions", &instructions_, "instructions",
                  "instructions retired through the simple model (detailed phases only)");
  reg.add_formula(
      prefix + ".ipc",
      [&reg, prefix] {
        return reg.value(prefix + ".instructions") /
               static_cast<double>(reg.value(prefix + ".cycles"));
      },
      "instructions/cycle", "instructions per cycle (at most 1 under the simple model)");
}

}  // namespace hvsim::timing
