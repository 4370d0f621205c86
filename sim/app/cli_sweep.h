// The `sweep` subcommand's options (kept out of cli.cc, which registers it).
#pragma once

#include <string>

#include "sim/app/sweep_args.h"

namespace CLI {
class App;
}

namespace hvsim::app {

struct SweepCountText {  // counts as typed, checked after parsing
  std::string jobs, max_insns, max_cycles;
};

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& args, SweepCountText& counts);

// Converts the counts; throws UsageError for a bad one.
void finish_sweep_args(SweepArgs& args, const SweepCountText& counts);

}  // namespace hvsim::app
