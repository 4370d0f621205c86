#include "sim/app/module_arg.h"

#include "sim/app/cli.h"

namespace hvsim::app {

platform::ModuleSpec parse_module_arg(const std::string& text) {
  const size_t colon = text.find(':');
  platform::ModuleSpec m;
  m.path = text.substr(0, colon);
  if (colon != std::string::npos) m.args = text.substr(colon + 1);
  if (m.path.empty()) throw UsageError("--module '" + text + "': expected FILE or FILE:args");
  return m;
}

}  // namespace hvsim::app
