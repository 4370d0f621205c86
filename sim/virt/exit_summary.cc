// The perf-kvm-stat-style exit summary.
#include "sim/virt/exit_summary.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace hvsim::virt {

namespace {

double percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::string format_exit_summary(std::vector<ReasonSummary> rows) {
  std::sort(rows.begin(), rows.end(), [](const ReasonSummary& a, const ReasonSummary& b) {
    if (a.samples != b.samples) return a.samples > b.samples;
    if (a.total_time != b.total_time) return a.total_time > b.total_time;
    if (a.arch != b.arch) return a.arch < b.arch;
    return a.reason < b.reason;
  });
  uint64_t samples = 0, time = 0;
  int width = 20;
  for (const auto& r : rows) {
    samples += r.samples;
    time += r.total_time;
    width = std::max(width, static_cast<int>(r.name.size()));
  }

  std::string out = "Analyze events for all VMs, all VCPUs:\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%*s %10s %9s %9s %11s %11s %11s %11s\n\n", width,
                "VM-EXIT", "Samples", "Samples%", "Time%", "Min Time", "Max Time", "Avg time",
                "Exit cost");
  out += line;
  for (const auto& r : rows) {
    const double avg = r.timed == 0 ? 0.0 : static_cast<double>(r.total_time) / r.timed;
    const double cost = r.samples == 0 ? 0.0 : static_cast<double>(r.exit_cost) / r.samples;
    std::snprintf(line, sizeof line,
                  "%*s %10" PRIu64 " %8.2f%% %8.2f%% %11" PRIu64 " %11" PRIu64 " %11.2f %11.2f\n",
                  width, r.name.c_str(), r.samples, percent(r.samples, samples),
                  percent(r.total_time, time), r.min_time, r.max_time, avg, cost);
    out += line;
  }
  std::snprintf(line, sizeof line,
                "\nTotal Samples:%" PRIu64 ", Total events handled time:%" PRIu64 "cycles.\n",
                samples, time);
  out += line;
  return out;
}

}  // namespace hvsim::virt
