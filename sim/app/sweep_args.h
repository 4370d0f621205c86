// The arguments of `hvsim sweep`, as parsed from the command line:
//   hvsim sweep KERNEL [--module FILE[:args]]... [--cmdline STR] [--config FILE]
//               [--set key=value]... --vary key=SPEC [--vary key=SPEC]...
//               [--metric NAME]... [-j N] [--out DIR] [--force]
//               [--max-insns N] [--max-cycles N]
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
};

}  // namespace hvsim::app
