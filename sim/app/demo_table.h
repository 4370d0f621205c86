// The demo's report as plain text, from the results of its runs: one table
// (rows = benchmarks, columns = setups, cells = cycles per iteration and the
// ratio to native) and, per VM setup, the exit reasons that cost the most
// cycles in the timed loops. No processes here: the tests feed it results.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hvsim::app {

// One column of the table: what ran and what came back.
struct DemoColumn {
  std::string setup;   // "native", "vmx-shadow", ...
  bool ok = false;     // the run ended with status 0 and left its results
  std::string reason;  // why not, one line (when !ok)
  std::map<std::string, double> cycles_per_iter;  // benchmark -> the guest's timing value
  std::map<std::string, std::string> stats;       // stats.json (the timed regions, summed)
};

// The benchmarks in table order: the mini kernel's full-system ones, then the
// seven nanobenchmarks ("syscall", "pgfault", "fork", "tlb", "nano.syscall"...).
const std::vector<std::string>& demo_benchmarks();

// `timing: NAME VALUE cycles/iter` lines of a guest's output as NAME -> VALUE.
std::map<std::string, double> parse_cycles_per_iter(const std::string& guest_stdout);

// "(140.9x)"; "(n/a)" when either side is missing or native is 0.
std::string format_ratio(std::optional<double> value, std::optional<double> native);

// A cycles/iter value as the table shows it: rounded to a whole cycle, with
// thousands separators ("3,663"); "n/a" when missing.
std::string format_cycles(std::optional<double> value);

// The table; the first column whose setup is "native" is the reference.
std::string demo_table(const std::vector<DemoColumn>& columns);

struct ExitShare {
  std::string reason;   // "CR_ACCESS", "VMEXIT_IOIO", ...
  uint64_t count = 0;   // virt.exits.<reason>
  uint64_t cycles = 0;  // virt.exit_time.<reason>
  double share = 0;     // cycles / cpu.cycles (both over the timed regions)
};

// A run's exit reasons with at least one exit, most cycles first (ties: most
// exits, then name), at most n.
std::vector<ExitShare> top_exits(const std::map<std::string, std::string>& stats, size_t n);

// Per column: its top exit reasons ("native" and a column without exits say
// "no VM exits"; a failed column says n/a and why).
std::string demo_exit_summary(const std::vector<DemoColumn>& columns, size_t n);

// demo.csv: setup,benchmark,cycles_per_iter,ratio_to_native with the exact
// values the guests printed (rows of failed setups are left out).
std::string demo_csv(const std::vector<DemoColumn>& columns);

}  // namespace hvsim::app
