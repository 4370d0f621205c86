// hvsim demo: the mini kernel's benchmarks (the full-system ones and the
// seven nanobenchmarks) natively and under each hypervisor setup (VMX with
// shadow paging or EPT, SVM with shadow paging or nested paging, and
// paravirtualized: the mini kernel's PV build under hv_pv), each its own
// `hvsim run` process in OUT/<setup>/, then one table of cycles per
// iteration with the ratio to native and, per VM setup, the top exit reasons
// (for pv: its hypercalls and bounced exceptions) (stdout). Progress goes to stderr; OUT/demo.txt holds the report and
// OUT/demo.csv the exact values.
//
// Exit status: 0 when native and at least one VM setup ran; 1 otherwise (a
// failed setup is a column of n/a with the reason); 2 bad input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hvsim::app {

struct DemoArgs {
  std::string workloads_dir;  // empty: $HVSIM_WORKLOADS_DIR, else next to the executable
  uint64_t iters = 0;         // 0: kDemoDefaultIters
  uint64_t jobs = 0;          // 0: one per host CPU (at most the number of setups)
  std::string out_dir = "hvsim-demo";
  std::vector<std::string> sets;  // "key=value", applied to every setup after its own
};

inline constexpr uint64_t kDemoDefaultIters = 1000;
// --iters above this is refused: at ~1.5M cycles per iteration the slowest
// setup would run for days, and the per-setup cycle limit (demo_max_cycles)
// stays far from overflowing (a wrapped limit of 0 would mean "unlimited").
inline constexpr uint64_t kDemoMaxIters = 1'000'000;
inline constexpr size_t kDemoTopExits = 4;

struct DemoSetupSpec {
  std::string name;               // column name and folder
  std::vector<std::string> args;  // after the executable, without --out
};

// The six setups' commands for the given workloads folder and iterations.
std::vector<DemoSetupSpec> demo_setups(const std::string& workloads_dir, uint64_t iters,
                                       const std::vector<std::string>& sets);

// The mini kernel's command line for the demo ("bench=all iters=N faults=N").
std::string demo_guest_args(uint64_t iters);

int demo_command(const DemoArgs& args);

}  // namespace hvsim::app
