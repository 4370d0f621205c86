// The arguments of `hvsim sweep`, as parsed from the command line:
//   hvsim sweep KERNEL [--module FILE[:args]]... [--cmdline STR] [--config FILE]
//               [--set key=value]... --vary key=SPEC [--vary key=SPEC]...
//               [--metric NAME]... [-j N] [--out DIR] [--force]
//               [--max-insns N] [--max-cycles N]
//   hvsim sweep --from-checkpoint DIR [--set key=value]... --vary key=SPEC... (the same)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hvsim::app {

struct SweepArgs {
  std::string kernel;
  std::vector<std::string> modules;  // "FILE[:args]" as typed
  std::string initrd;                // Linux initrd (bzImage kernels)
  std::string cmdline;
  std::string config_file;
  std::vector<std::string> sets;     // fixed for every point, applied before the point's own
  std::vector<std::string> varies;   // "key=a,b,c" or "key=start:stop:step"
  std::vector<std::string> metrics;  // empty: the default set
  uint64_t jobs = 1;
  std::string out_dir = "hvsim-sweep";
  bool force = false;
  uint64_t max_insns = 0;
  uint64_t max_cycles = 0;
  bool quiet = false;  // --quiet: no progress display
  std::string trace_exits;                 // --trace-exits NAME: each point writes POINT/NAME
  std::vector<std::string> trace_filter;   // --trace-filter, passed to each point
  std::vector<std::string> vary_cmdlines;  // --vary-cmdline: an axis "cmdline", one value each
  std::vector<std::string> vary_modules;   // --vary-module: an axis "module" (FILE[:args])
  std::string backend = "local";           // --backend local|slurm
  std::string partition, time, mem;        // --partition, --time, --mem (slurm only)
  std::string from_checkpoint;  // --from-checkpoint DIR: every point restores DIR (no KERNEL)
};

}  // namespace hvsim::app
