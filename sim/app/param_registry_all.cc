// Every parameter of the simulator, declared once, in a fixed order (the
// order ParamRegistry::all() keeps for `hvsim config --list`):
//   core::Core     timing.*, cpu.*, mmu.*, cache.*, ext.* (sim/ext, every
//                  linked extension: ext.<name>.enabled and its own keys)
//   platform       memory.*, vmx.*, svm.*, platform.*
#include "sim/app/param_registry_all.h"

#include "sim/core/core.h"
#include "sim/platform/simulation.h"

namespace hvsim::app {

void declare_all_params(base::ParamRegistry& reg) {
  core::Core::declare_params(reg);
  platform::declare_params(reg);
}

}  // namespace hvsim::app
