#include "sim/timing/latencies.h"

namespace hvsim::timing {

void Latencies::declare_params(hvsim::base::ParamRegistry& reg) {
#define HVSIM_X(name, def, desc) \
  reg.add_uint("timing." #name "_cycles", def, "cycles", desc, 0, 1000000);
  HVSIM_INSN_CLASSES(HVSIM_X)
#undef HVSIM_X
  reg.add_uint("timing.mem_operand_cycles", 0, "cycles",
               "extra latency of an instruction with a memory operand, on top of what the "
               "cache model (cache.*) charges for the access",
               0, 1000000);
  reg.add_uint("timing.exception_cycles", 100, "cycles",
               "delivering an exception or interrupt through the IDT", 0, 1000000);
  reg.add_uint("timing.taken_branch_cycles", 1, "cycles", "extra latency of a taken branch", 0,
               1000000);
}

Latencies Latencies::from_config(const hvsim::base::Config& cfg) {
  Latencies l;
  unsigned i = 0;
#define HVSIM_X(name, def, desc) \
  l.cls[i++] = static_cast<uint32_t>(cfg.get_uint("timing." #name "_cycles"));
  HVSIM_INSN_CLASSES(HVSIM_X)
#undef HVSIM_X
  l.mem_operand = static_cast<uint32_t>(cfg.get_uint("timing.mem_operand_cycles"));
  l.exception = static_cast<uint32_t>(cfg.get_uint("timing.exception_cycles"));
  l.taken_branch = static_cast<uint32_t>(cfg.get_uint("timing.taken_branch_cycles"));
  return l;
}

}  // namespace hvsim::timing
