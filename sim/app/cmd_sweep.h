// hvsim sweep: check everything (config, keys and values of every axis,
// input files) before running anything; run each point as `hvsim run` in its
// own process and folder (OUT/point-NNN); write OUT/sweep.csv and one
// OUT/plot-<metric>.png per metric. Points whose complete results are on
// disk are skipped unless --force.
//
// Exit status: 0 every point succeeded; 1 some point failed (it is in
// sweep.csv with its reason, the others finished); 2 bad input.
#pragma once

#include <string>
#include <vector>

#include "sim/app/sweep_args.h"

namespace hvsim::app {

inline constexpr int kExitSomePointsFailed = 1;

// The statistics sweep.csv shows when no --metric is given (then followed by
// every guest.NAME any point printed).
const std::vector<std::string>& default_sweep_metrics();

int sweep_command(const SweepArgs& args);

// As sweep_command, running points with exe (the tests use this).
int sweep_command_with(const SweepArgs& args, const std::string& exe);

}  // namespace hvsim::app
