// Every component's parameters in one registry, declared in a fixed order.
#pragma once

#include "sim/base/params.h"

namespace hvsim::app {

void declare_all_params(base::ParamRegistry& reg);

}  // namespace hvsim::app
