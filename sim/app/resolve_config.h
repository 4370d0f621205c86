// Defaults, then the --config file, then each --set in order.
#pragma once

#include <string>
#include <vector>

#include "sim/base/params.h"

namespace hvsim::app {

// Throws base::ConfigError naming the bad key and where it came from.
void resolve_config(base::Config& cfg, const std::string& file,
                    const std::vector<std::string>& sets);

}  // namespace hvsim::app
