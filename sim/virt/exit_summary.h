// The per-reason exit summary, laid out like `perf kvm stat report` with
// times in cycles (from the exit to the next entry), and the average cost
// each exit paid for the world switch out (vmx.exit_cycles.REASON, ...):
//
//   Analyze events for all VMs, all VCPUs:
//
//                VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time    Avg time   Exit cost
//
//                  CPUID          3    60.00%    25.00%         100         200      133.33     1200.00
//   ...
//
//   Total Samples:5, Total events handled time:1600cycles.
//
// Rows are sorted by samples, then total time, descending (then by arch and
// reason number). The first column is as wide as the longest name (at least 20).
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
};

std::string format_exit_summary(std::vector<ReasonSummary> rows);

}  // namespace hvsim::virt
