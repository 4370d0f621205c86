#include "sim/app/summary.h"

#include <cstdio>

namespace hvsim::app {

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string run_summary(const platform::RunResult& r) {
  const double ipc = r.cycles == 0 ? 0.0 : static_cast<double>(r.instructions) / r.cycles;
  const double mips = r.wall_seconds <= 0 ? 0.0 : r.instructions / r.wall_seconds / 1e6;
  char tail[96];
  std::snprintf(tail, sizeof tail, ", IPC %.2f, %.1f MIPS, %.2f s wall", ipc, mips, r.wall_seconds);
  return "hvsim: " + with_commas(r.instructions) + " instructions, " + with_commas(r.cycles) +
         " cycles" + tail + " (whole run; stats.txt: " + r.stats_scope + ")";
}

}  // namespace hvsim::app
