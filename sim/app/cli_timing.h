// --fast-forward insns:N and --sample PERIOD:WINDOW:WARMUP (hvsim run and
// hvsim sweep): shorthands for --set timing.fast_forward=... and
// --set timing.sample=..., checked when the command line is parsed
// (sim/timing/sample_schedule.h; docs/timing.md "Fast-forward and sampling").
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace hvsim::app {

struct TimingOptionText {  // as typed
  std::string fast_forward, sample;
};

void add_timing_options(CLI::App& cmd, TimingOptionText& text);
// Checks both (UsageError, one line) and appends them to `sets` as
// timing.fast_forward=... / timing.sample=..., after the --set values.
void append_timing_sets(const TimingOptionText& text, std::vector<std::string>& sets);

}  // namespace hvsim::app
