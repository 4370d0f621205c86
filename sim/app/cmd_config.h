// hvsim config --list: every parameter as an aligned table.
// hvsim config --show [FILE]: the fully resolved TOML.
#pragma once

#include <string>

#include "sim/app/cli.h"
#include "sim/base/params.h"

namespace hvsim::app {

std::string param_table(const base::ParamRegistry& reg);
int config_list_command(const ConfigArgs& args);
int config_show_command(const ConfigArgs& args);

}  // namespace hvsim::app
