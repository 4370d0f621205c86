#include "sim/app/cli.h"

#include <CLI/CLI.hpp>

#include "sim/app/cli_sweep.h"
#include "sim/app/cli_timing.h"
#include "sim/base/param_value.h"
#include "sim/virt/trace_format.h"

namespace hvsim::app {

namespace {

// Counts take the same forms as --set (decimal, 0x hex, '_'); never negative.
uint64_t parse_count(const std::string& option, const std::string& text) {
  if (text.empty()) return 0;
  base::ParamSpec spec;
  spec.key = option;
  spec.type = base::ParamType::UInt;
  spec.min = 0;
  try {
    return std::get<uint64_t>(base::parse_value_text(spec, text));
  } catch (const base::ConfigError& e) {
    throw UsageError(option + " " + text + ": " + e.what());
  }
}

void add_run_options(CLI::App& run, RunArgs& a, std::string& max_insns, std::string& max_cycles,
                     std::string& gdb_port) {
  run.add_option("KERNEL", a.kernel, "kernel to boot: multiboot (ELF) or Linux bzImage")->required();
  run.add_option("--module", a.modules, "multiboot module, FILE or FILE:args (repeatable)")
      ->allow_extra_args(false);
  run.add_option("--initrd", a.initrd, "initial RAM disk for a Linux bzImage KERNEL");
  run.add_option("--cmdline", a.cmdline, "the kernel's command line");
  run.add_option("--config", a.config_file, "TOML preset applied over the defaults");
  run.add_option("--set", a.sets, "override one parameter: key=value (repeatable, in order)")
      ->allow_extra_args(false);
  run.add_option("--out", a.out_dir, "output folder (default hvsim-out)");
  run.add_option("--max-insns", max_insns,
                 "stop after N instructions, each REP string iteration counted (0 = no limit)");
  run.add_option("--max-cycles", max_cycles, "stop after N cycles (0 = no limit)");
  run.add_option("--log", a.log_spec, "log levels: component=level,...,*=level");
  run.add_option("--trace-exits", a.trace_exits,
                 "write every VM exit to FILE: .csv, .jsonl, or .json (Chrome trace events)");
  run.add_option("--trace-filter", a.trace_filter,
                 "only these exit reasons reach the trace: NAME[,NAME...] (case-insensitive)")
      ->delimiter(',')
      ->allow_extra_args(false);
  run.add_flag("--quiet", a.quiet, "no progress display on stderr (it is shown on a terminal)");
  run.add_option("--gdb", gdb_port,
                 "wait for gdb on 127.0.0.1:PORT before the first instruction (0: any free port)");
}

void check_trace_options(const RunArgs& a) {
  if (!a.trace_exits.empty() && !virt::trace_format_for_path(a.trace_exits)) {
    throw UsageError("--trace-exits " + a.trace_exits + ": unknown trace format (expected " +
                     virt::kTraceFormatsHint + ")");
  }
  if (!a.trace_filter.empty() && a.trace_exits.empty())
    throw UsageError("--trace-filter needs --trace-exits FILE");
  for (const auto& name : a.trace_filter) {
    if (name.empty() || name.find_first_of(" \t") != std::string::npos)
      throw UsageError("--trace-filter: bad reason name '" + name + "'");
  }
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine cl;
  CLI::App app{"hvsim: a cycle-level x86-64 simulator with VMX and SVM", "hvsim"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "print the version and exit");

  CLI::App* run = app.add_subcommand("run", "boot a kernel and simulate until it exits");
  std::string max_insns, max_cycles, gdb_port;
  add_run_options(*run, cl.run, max_insns, max_cycles, gdb_port);
  TimingOptionText run_timing, sweep_timing;  // --fast-forward, --sample (cli_timing.h)
  add_timing_options(*run, run_timing);

  CLI::App* config = app.add_subcommand("config", "list parameters or show a resolved config");
  bool list = false, show = false;
  CLI::Option* list_opt = config->add_flag("--list", list, "every parameter with its default");
  CLI::Option* show_opt =
      config->add_flag("--show", show, "the resolved TOML of FILE or the defaults");
  list_opt->excludes(show_opt);
  config->add_option("FILE", cl.config.file, "a TOML preset (with --show)");
  config->add_option("--set", cl.config.sets, "override one parameter: key=value (with --show)")
      ->allow_extra_args(false);

  SweepCountText sweep_counts;
  CLI::App* sweep = add_sweep_command(app, cl.sweep, sweep_counts);
  add_timing_options(*sweep, sweep_timing);

  // A Slurm array task of `hvsim sweep --backend slurm` (sweep_slurm.h); not in --help.
  CLI::App* sweep_point = app.add_subcommand("sweep-point", "");
  sweep_point->group("");
  sweep_point->add_option("DIR", cl.sweep_point_dir, "the point's folder")->required();

  CLI::App* demo = app.add_subcommand(
      "demo",
      "the mini kernel's benchmarks natively, under VMX and SVM (shadow paging, "
      "EPT, NPT) and paravirtualized (hv_pv): one table of cycles per iteration and the top "
      "exit reasons (hypercalls and bounces for pv)");
  std::string demo_iters, demo_jobs;
  demo->add_option("--workloads", cl.demo.workloads_dir,
                   "folder with minikernel.elf, hv_vmx.elf, hv_svm.elf (default "
                   "$HVSIM_WORKLOADS_DIR, else the build's workloads/)");
  demo->add_option("--iters", demo_iters,
                   "iterations per benchmark (default " + std::to_string(kDemoDefaultIters) + ")");
  demo->add_option("-j,--jobs", demo_jobs, "run up to N setups at once (default: one per CPU)");
  demo->add_option("--out", cl.demo.out_dir,
                   "output folder, one subfolder per setup (default hvsim-demo)");
  demo->add_flag("--quiet", cl.demo.quiet, "no progress display on stderr");
  demo->add_option("--config", cl.demo.config_file,
                   "TOML preset applied to every setup (before the setup's own --set values)");
  demo->add_option("--set", cl.demo.sets,
                   "override one parameter in every setup: key=value (repeatable)")
      ->allow_extra_args(false);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    cl.help_text = app.help();
    for (CLI::App* sub : app.get_subcommands()) cl.help_text = sub->help();
    return cl;
  } catch (const CLI::ParseError& e) {
    throw UsageError(one_line(e.what()));
  }

  if (run->parsed()) {
    cl.command = Command::kRun;
    cl.run.max_insns = parse_count("--max-insns", max_insns);
    cl.run.max_cycles = parse_count("--max-cycles", max_cycles);
    if (!gdb_port.empty()) {
      const uint64_t port = parse_count("--gdb", gdb_port);
      if (port > 65535) throw UsageError("--gdb " + gdb_port + ": not a TCP port (0-65535)");
      cl.run.gdb_port = static_cast<int>(port);
    }
    check_trace_options(cl.run);
    append_timing_sets(run_timing, cl.run.sets);
  } else if (config->parsed()) {
    if (!list && !show) throw UsageError("config: expected --list or --show");
    if (list && (!cl.config.file.empty() || !cl.config.sets.empty())) {
      throw UsageError("config --list takes no FILE or --set");
    }
    cl.command = list ? Command::kConfigList : Command::kConfigShow;
  } else if (sweep->parsed()) {
    cl.command = Command::kSweep;
    finish_sweep_args(cl.sweep, sweep_counts);
    append_timing_sets(sweep_timing, cl.sweep.sets);
  } else if (sweep_point->parsed()) {
    cl.command = Command::kSweepPoint;
  } else if (demo->parsed()) {
    cl.command = Command::kDemo;
    cl.demo.iters = parse_count("--iters", demo_iters);
    cl.demo.jobs = parse_count("-j", demo_jobs);
    if (!demo_iters.empty() && cl.demo.iters == 0)
      throw UsageError("--iters 0: must be at least 1");
    if (cl.demo.iters > kDemoMaxIters)
      throw UsageError("--iters " + demo_iters + ": more than the maximum of " +
                       std::to_string(kDemoMaxIters));
    if (!demo_jobs.empty() && cl.demo.jobs == 0) throw UsageError("-j 0: must be at least 1");
  } else if (version) {
    cl.command = Command::kVersion;
  } else {
    throw UsageError("expected a command: run, config, sweep, demo (see hvsim --help)");
  }
  return cl;
}

}  // namespace hvsim::app
