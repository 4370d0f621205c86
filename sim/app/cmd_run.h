// hvsim run: resolve the config, write OUT/config.resolved.toml, simulate,
// and report on stderr (stdout carries only the guest's serial output).
#pragma once

#include "sim/app/cli.h"
#include "sim/platform/simulation.h"

namespace hvsim::app {

// Everything the run needs, checked, before anything is written.
platform::RunSpec make_run_spec(const RunArgs& args);

// argc/argv are handed to SystemC unchanged. Returns RunResult::exit_status.
int run_command(const RunArgs& args, int argc, char** argv);

// The part of `run` after the config and inputs are resolved (restore uses
// it too): progress, --checkpoint-at, OUT files, simulate, report.
int run_spec_command(platform::RunSpec spec, const base::Config& cfg, const RunArgs& args,
                     int argc, char** argv);

}  // namespace hvsim::app
