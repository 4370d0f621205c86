#include "sim/app/cli_timing.h"

#include <CLI/CLI.hpp>

#include "sim/app/cli.h"
#include "sim/timing/sample_schedule.h"

namespace hvsim::app {

void add_timing_options(CLI::App& cmd, TimingOptionText& text) {
  cmd.add_option("--fast-forward", text.fast_forward,
                 "insns:N: run each core's first N instructions functionally (no core or cache "
                 "model, 1 cycle each), then timing.model");
  cmd.add_option("--sample", text.sample,
                 "PERIOD:WINDOW:WARMUP instructions: sampled simulation (SMARTS); prints the CPI "
                 "estimate with its 95% interval (sample.* statistics)");
}

void append_timing_sets(const TimingOptionText& text, std::vector<std::string>& sets) {
  if (!text.fast_forward.empty()) {
    try {
      timing::SampleSchedule::parse_fast_forward(text.fast_forward);
    } catch (const base::ConfigError& e) {
      throw UsageError(std::string("--fast-forward: ") + e.what());
    }
    sets.push_back("timing.fast_forward=" + text.fast_forward);
  }
  if (!text.sample.empty()) {
    timing::SampleSchedule s;
    try {
      timing::SampleSchedule::parse_sample(text.sample, &s);
    } catch (const base::ConfigError& e) {
      throw UsageError(std::string("--sample: ") + e.what());
    }
    sets.push_back("timing.sample=" + text.sample);
  }
}

}  // namespace hvsim::app
