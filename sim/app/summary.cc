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
  std::string cores;  // a multiprocessor: IPC above is the aggregate; each core's follows
  for (size_t i = 0; i < r.per_core.size(); ++i) {
    const auto& c = r.per_core[i];
    char one[48];
    std::snprintf(one, sizeof one, "%scpu%zu %.2f", i ? ", " : " (per-core IPC: ", i,
                  c.cycles ? static_cast<double>(c.instructions) / c.cycles : 0.0);
    cores += one;
  }
  if (!cores.empty()) cores += ")";
  return "hvsim: " + with_commas(r.instructions) + " instructions, " + with_commas(r.cycles) +
         " cycles" + tail + cores;
}

}  // namespace hvsim::app
