// One simulated run, as the app sees it: elaborate the System from a resolved
// Config, load the multiboot kernel and modules, sc_start, and report how it
// ended. SystemC elaborates once per process, so call this once per process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/base/params.h"
#include "sim/base/stats.h"

namespace hvsim::platform {

// A bad kernel or module file: what() is one line naming the file and problem.
struct LoadError : hvsim::base::ConfigError {
  using hvsim::base::ConfigError::ConfigError;
};

class Cpu;
class RunControl;

struct ModuleSpec {
  std::string path;
  std::string args;  // the module's string is "path args" (multiboot v1)
};

// What a progress display shows while a run goes on (RunSpec::progress).
struct RunProgress {
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  uint64_t exits = 0;  // VM exits so far
  double wall_seconds = 0;
};

struct RunSpec {
  std::string kernel;
  std::vector<ModuleSpec> modules;
  std::string initrd;      // Linux initrd (--initrd); empty = none
  std::string cmdline;     // the kernel's arguments; the loader prefixes the program name
  uint64_t max_insns = 0;  // 0 = no limit
  uint64_t max_cycles = 0;
  std::string out_dir;     // stats.txt and stats.json are written here at the end
  std::string trace_exits;                // --trace-exits FILE (.csv/.jsonl/.json); empty = none
  std::vector<std::string> trace_filter;  // --trace-filter reason names; empty = every exit
  // Builds a debugger for the CPU before the simulation starts (--gdb); empty: none.
  std::function<std::unique_ptr<RunControl>(Cpu&)> run_control;
  // Called from the simulation thread about twice a second once the run has
  // lasted progress_after_seconds (a progress display); empty: never.
  std::function<void(const RunProgress&)> progress;
  double progress_after_seconds = 2;  // the first display (then every 0.5 s)
};

struct RunResult {
  int exit_status = 0;        // guest's debug-exit value, or a base::ExitStatus
  std::string end_reason;     // one line: "guest wrote 0 to isa-debug-exit", "triple fault at ..."
  std::string register_dump;  // filled for fatal ends
  uint64_t instructions = 0;  // all cores
  uint64_t cycles = 0;        // the furthest core's (elapsed)
  double wall_seconds = 0;
  struct CoreCount {
    uint64_t instructions = 0, cycles = 0;
  };
  std::vector<CoreCount> per_core;  // platform.cpus > 1: each core, BSP first
  // What stats.txt and stats.json cover: "regions of interest" (the guest
  // marked some; counters are summed over them) or "whole run". The
  // instruction and cycle counts above and exits.txt always cover the whole run.
  std::string stats_scope = "whole run";
  // Fast-forward / sampling (timing.fast_forward, timing.sample): one line
  // per core with a schedule, "cpuN: " first on a multiprocessor; else empty.
  std::vector<std::string> timing_notes;
};

// Every VM exit reason name hvsim reports (VMX: SDM Vol. 3 App. C; SVM:
// APM Vol. 2 App. C), as --trace-filter, exits.txt and virt.exits.* use them.
std::vector<std::string> exit_reason_names();

// Registers every parameter the platform and the models it builds read.
void declare_params(hvsim::base::ParamRegistry& reg);

// Runs the whole simulation and writes OUT/stats.txt and OUT/stats.json before
// the model is torn down (counters live in the model's components).
// Throws LoadError for bad binaries, base::ConfigError for bad parameters.
RunResult run_simulation(const RunSpec& spec, const hvsim::base::Config& cfg);

}  // namespace hvsim::platform
