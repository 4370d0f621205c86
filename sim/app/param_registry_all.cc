// Every parameter of the simulator, declared once, in a fixed order (the
// order ParamRegistry::all() keeps for `hvsim config --list`):
//   core::Core     timing.*, cpu.*, mmu.*, cache.*
//   platform       memory.*, vmx.*, svm.*, platform.*
// ISA extensions (sim/ext) declare no parameters yet.
#include "sim/app/param_registry_all.h"

#include "sim/core/core.h"
#include "sim/platform/simulation.h"

namespace hvsim::app {

void declare_all_params(base::ParamRegistry& reg) {
  core::Core::declare_params(reg);
  platform::declare_params(reg);
}

}  // namespace hvsim::app
