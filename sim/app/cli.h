// The command line, parsed with CLI11 into plain structs:
//   hvsim run KERNEL [--module FILE[:args]]... [--initrd FILE] [--cmdline STR] [--config FILE]
//             [--set key=value]... [--out DIR] [--max-insns N] [--max-cycles N]
//             [--log component=level,...]
//             [--trace-exits FILE.csv|.jsonl|.json] [--trace-filter REASON[,REASON...]]...
//             [--gdb PORT] [--checkpoint-at insns:N|cycles:N|magic|exit]... [--checkpoint-warm BOOL]
//   hvsim restore DIR [--set key=value]... [--out DIR] [--max-insns N] [--max-cycles N]
//             [--checkpoint-at ...]... [--checkpoint-warm BOOL]
//   hvsim config --list | --show [FILE] [--set key=value]...
//   hvsim sweep KERNEL ... --vary key=SPEC... (see sweep_args.h)
//   hvsim demo [--workloads DIR] [--iters N] [-j N] [--out DIR] [--set key=value]...
//   hvsim --version
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/app/cmd_demo.h"
#include "sim/app/sweep_args.h"
#include "sim/base/params.h"

namespace hvsim::app {

// A bad command line; what() is the one line to print.
struct UsageError : base::ConfigError {
  using base::ConfigError::ConfigError;
};

struct RunArgs {
  std::string kernel;
  std::vector<std::string> modules;  // "FILE[:args]" as typed
  std::string initrd;                // Linux initrd (bzImage kernels)
  std::string cmdline;
  std::string config_file;
  std::vector<std::string> sets;  // "key=value", applied in order
  std::string out_dir = "hvsim-out";
  uint64_t max_insns = 0;
  uint64_t max_cycles = 0;
  std::string log_spec;
  std::string trace_exits;                // format checked by the extension at parse time
  std::vector<std::string> trace_filter;  // reason names, split at commas; needs trace_exits
  int gdb_port = -1;                      // --gdb PORT (0: any free port); -1: no debugger
  bool quiet = false;                     // --quiet: no progress display
  std::vector<std::string> checkpoint_at;  // --checkpoint-at insns:N|cycles:N|magic|exit
  bool checkpoint_warm = true;             // --checkpoint-warm: TLBs, caches too
  std::string restore_dir;                 // hvsim restore DIR
};

struct ConfigArgs {
  std::string file;  // --show FILE; empty = the defaults
  std::vector<std::string> sets;
};

enum class Command { kHelp, kVersion, kRun, kRestore, kConfigList, kConfigShow, kSweep, kDemo, kSweepPoint };

struct CommandLine {
  Command command = Command::kHelp;
  RunArgs run;
  ConfigArgs config;
  SweepArgs sweep;
  DemoArgs demo;
  std::string sweep_point_dir;  // the hidden `sweep-point DIR` of a Slurm task
  std::string help_text;  // for kHelp
};

// Throws UsageError for anything CLI11 or our own checks reject.
CommandLine parse_command_line(int argc, const char* const* argv);

}  // namespace hvsim::app
