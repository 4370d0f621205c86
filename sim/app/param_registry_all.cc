// Core and platform declarations are fixed interfaces (their headers are in
// the repo), so they are always called: the hvsim executable links their
// libraries, and unit tests link a stub. Components whose headers are still
// missing are compiled in behind HVSIM_HAVE_<NAME>, which sim/app/CMakeLists
// defines once the target exists.
#include "sim/app/param_registry_all.h"

#include "sim/core/core.h"
#include "sim/platform/simulation.h"

namespace hvsim::app {

void declare_all_params(base::ParamRegistry& reg) {
  core::Core::declare_params(reg);
  platform::declare_params(reg);
  // Next, in this order as they land: vmx, svm, timing, ext.
}

}  // namespace hvsim::app
