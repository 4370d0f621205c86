// --module FILE[:args]: the file, then the module's own arguments.
#pragma once

#include <string>

#include "sim/platform/simulation.h"

namespace hvsim::app {

// Splits at the first ':' ("guest.elf:-v x" -> {"guest.elf", "-v x"}); the
// args part is optional. Throws UsageError when the file name is empty.
platform::ModuleSpec parse_module_arg(const std::string& text);

}  // namespace hvsim::app
