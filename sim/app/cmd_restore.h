// hvsim restore DIR: continue a run from a checkpoint folder (sim/checkpoint,
// docs/checkpoint.md). The folder names the kernel, modules and command line
// and holds the resolved config, so nothing else is needed; --set may change
// timing, latency, cache and exit-cost parameters, never the machine itself.
#pragma once

#include <string>
#include <vector>

#include "sim/app/cli.h"
#include "sim/base/params.h"

namespace hvsim::app {

// The parameters a restore cannot change (the machine the state belongs to).
const std::vector<std::string>& fixed_on_restore();

// The checkpoint's config with `sets` applied; throws checkpoint::CheckpointError
// (bad input) when a set changes a fixed parameter.
void resolve_restore_config(base::Config& cfg, const std::string& dir,
                            const std::vector<std::string>& sets);

int restore_command(const RunArgs& args, int argc, char** argv);

}  // namespace hvsim::app
