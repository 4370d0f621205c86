// The per-reason exit summary, laid out like `perf kvm stat report` with
// times in cycles (from the exit to the next entry), the spread of the
// average as perf shows it (the standard error of the mean relative to the
// mean, "( +- x% )"), and the average cost each exit paid for the world
// switch out (vmx.exit_cycles.REASON, ...):
//
//   Analyze events for all VMs, all VCPUs (whole run; times in cycles, from each exit to the next entry):
//
//                VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time               Avg time   Exit cost
//
//                  CPUID          3    60.00%    25.00%         100         200    133.33 ( +- 21.65% )     1200.00
//   ...
//
//   Total Samples:5, Total events handled time:1600cycles.
//
// Rows are sorted by samples, then total time, descending (then by arch and
// reason number). The first column is as wide as the longest name (at least
// 20). Then, when there were any, the I/O exits by port and direction and
// the MSR exits by MSR and access, most samples first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/virt/exit_record.h"

namespace hvsim::virt {

struct ReasonSummary {
  Arch arch = Arch::kVmx;
  uint32_t reason = 0;
  std::string name;
  uint64_t samples = 0;      // exits
  uint64_t timed = 0;        // exits whose host time is known (complete)
  uint64_t total_time = 0;   // cycles, sum over the timed exits
  uint64_t min_time = 0;     // over the timed exits (0 if none)
  uint64_t max_time = 0;
  uint64_t exit_cost = 0;    // cycles charged for the world switches out, sum over all exits
  double time_m2 = 0;        // sum of squared deviations from the mean time (Welford)
};

// One port (and direction) or MSR (and access) of the breakdowns.
struct DetailSummary {
  uint32_t key = 0;     // port or MSR index
  bool write = false;   // OUT / WRMSR
  uint64_t samples = 0;
  uint64_t timed = 0;
  uint64_t total_time = 0;
};

// "( +- 21.65% )": the standard error of the mean time over its mean, as
// perf's rel_stddev_stats; 0 with fewer than two timed exits.
double relative_spread_percent(uint64_t timed, uint64_t total_time, double time_m2);

std::string format_exit_summary(std::vector<ReasonSummary> rows,
                                std::vector<DetailSummary> io = {},
                                std::vector<DetailSummary> msr = {});

}  // namespace hvsim::virt
