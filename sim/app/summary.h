// The lines hvsim prints on stderr after a run.
#pragma once

#include <cstdint>
#include <string>

#include "sim/platform/simulation.h"

namespace hvsim::app {

std::string with_commas(uint64_t n);  // 84123456 -> "84,123,456"

// "hvsim: 84,123,456 instructions, 101,234,567 cycles, IPC 0.83, 31.2 MIPS, 2.70 s wall
// (whole run; stats.txt: regions of interest)": what the counts cover and what stats.txt does.
std::string run_summary(const platform::RunResult& r);

}  // namespace hvsim::app
