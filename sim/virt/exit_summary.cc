// The perf-kvm-stat-style exit summary.
#include "sim/virt/exit_summary.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace hvsim::virt {

namespace {

double percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

double average(uint64_t total, uint64_t n) {
  return n == 0 ? 0.0 : static_cast<double>(total) / static_cast<double>(n);
}

std::string details(const char* title, const char* key_head, const char* dir_head,
                    std::vector<DetailSummary> rows, bool port) {
  if (rows.empty()) return "";
  std::sort(rows.begin(), rows.end(), [](const DetailSummary& a, const DetailSummary& b) {
    if (a.samples != b.samples) return a.samples > b.samples;
    if (a.key != b.key) return a.key < b.key;
    return a.write < b.write;
  });
  uint64_t samples = 0;
  for (const auto& r : rows) samples += r.samples;
  std::string out = std::string("\n") + title + "\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%12s %7s %10s %9s %11s\n\n", key_head, dir_head, "Samples",
                "Samples%", "Avg time");
  out += line;
  for (const auto& r : rows) {
    char key[24];
    std::snprintf(key, sizeof key, port ? "0x%04x" : "0x%08x", r.key);
    const char* dir = port ? (r.write ? "OUT" : "IN") : (r.write ? "WRMSR" : "RDMSR");
    std::snprintf(line, sizeof line, "%12s %7s %10" PRIu64 " %8.2f%% %11.2f\n", key, dir,
                  r.samples, percent(r.samples, samples), average(r.total_time, r.timed));
    out += line;
  }
  return out;
}

}  // namespace

double relative_spread_percent(uint64_t timed, uint64_t total_time, double time_m2) {
  if (timed < 2 || total_time == 0) return 0.0;
  const double n = static_cast<double>(timed);
  const double mean = static_cast<double>(total_time) / n;
  const double stderr_mean = std::sqrt(time_m2 / (n - 1) / n);
  return 100.0 * stderr_mean / mean;
}

std::string format_exit_summary(std::vector<ReasonSummary> rows, std::vector<DetailSummary> io,
                                std::vector<DetailSummary> msr) {
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

  std::string out =
      "Analyze events for all VMs, all VCPUs (whole run; times in cycles, from each exit to the "
      "next entry):\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%*s %10s %9s %9s %11s %11s %23s %11s\n\n", width, "VM-EXIT",
                "Samples", "Samples%", "Time%", "Min Time", "Max Time", "Avg time", "Exit cost");
  out += line;
  for (const auto& r : rows) {
    const double avg = average(r.total_time, r.timed);
    const double cost = average(r.exit_cost, r.samples);
    const double spread = relative_spread_percent(r.timed, r.total_time, r.time_m2);
    std::snprintf(line, sizeof line,
                  "%*s %10" PRIu64 " %8.2f%% %8.2f%% %11" PRIu64 " %11" PRIu64
                  " %9.2f ( +-%6.2f%% ) %11.2f\n",
                  width, r.name.c_str(), r.samples, percent(r.samples, samples),
                  percent(r.total_time, time), r.min_time, r.max_time, avg, spread, cost);
    out += line;
  }
  std::snprintf(line, sizeof line,
                "\nTotal Samples:%" PRIu64 ", Total events handled time:%" PRIu64 "cycles.\n",
                samples, time);
  out += line;
  out += details("I/O exits by port (IO_INSTRUCTION, VMEXIT_IOIO; times in cycles):", "PORT",
                 "DIR", std::move(io), true);
  out += details("MSR exits by MSR (MSR_READ, MSR_WRITE, VMEXIT_MSR; times in cycles):", "MSR",
                 "ACCESS", std::move(msr), false);
  return out;
}

}  // namespace hvsim::virt
