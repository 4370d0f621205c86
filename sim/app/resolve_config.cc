#include "sim/app/resolve_config.h"

namespace hvsim::app {

void resolve_config(base::Config& cfg, const std::string& file,
                    const std::vector<std::string>& sets) {
  if (!file.empty()) cfg.load_file(file);
  for (const auto& s : sets) cfg.set_override(s);
}

}  // namespace hvsim::app
