#include "sim/app/cli_sweep.h"

#include <CLI/CLI.hpp>

#include "sim/app/cli.h"
#include "sim/base/param_value.h"

namespace hvsim::app {

namespace {

uint64_t parse_count(const std::string& option, const std::string& text, uint64_t min) {
  base::ParamSpec spec;
  spec.key = option;
  spec.type = base::ParamType::UInt;
  spec.min = static_cast<double>(min);
  try {
    const base::ParamValue v = base::parse_value_text(spec, text);
    base::check_value(spec, v);
    return std::get<uint64_t>(v);
  } catch (const base::ConfigError& e) {
    throw UsageError(option + " " + text + ": " + e.what());
  }
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& a, SweepCountText& counts) {
  CLI::App* s = app.add_subcommand(
      "sweep", "run a kernel over a grid of parameter values; write sweep.csv and plots");
  s->add_option("KERNEL", a.kernel, "multiboot kernel (ELF) to boot at every point")->required();
  s->add_option("--module", a.modules, "multiboot module, FILE or FILE:args (repeatable)")
      ->allow_extra_args(false);
  s->add_option("--initrd", a.initrd, "initial RAM disk for a Linux bzImage KERNEL");
  s->add_option("--cmdline", a.cmdline, "the kernel's command line");
  s->add_option("--config", a.config_file, "TOML preset applied over the defaults");
  s->add_option("--set", a.sets, "fix one parameter for every point: key=value (repeatable)")
      ->allow_extra_args(false);
  s->add_option("--vary", a.varies,
                "one axis of the grid: key=a,b,c or key=start:stop:step (repeatable: a cross "
                "product, the last varying fastest)")
      ->required()
      ->allow_extra_args(false);
  s->add_option("--metric", a.metrics,
                "a column of sweep.csv and a plot: a stats.json name or guest.NAME from the "
                "guest's 'timing: NAME VALUE' lines (repeatable; default cpu.cycles, "
                "cpu.instructions, virt.exits, virt.world_switch_cycles and every guest.*)")
      ->delimiter(',')
      ->allow_extra_args(false);
  s->add_option("-j,--jobs", counts.jobs, "run up to N points at once (default 1)");
  s->add_option("--out", a.out_dir,
                "sweep folder: sweep.csv, plots, point-NNN/ (default hvsim-sweep)");
  s->add_flag("--force", a.force, "re-run points whose results already exist");
  s->add_option("--max-insns", counts.max_insns,
                "stop each point after N instructions (0 = no limit)");
  s->add_option("--max-cycles", counts.max_cycles, "stop each point after N cycles (0 = no limit)");
  return s;
}

void finish_sweep_args(SweepArgs& a, const SweepCountText& counts) {
  if (!counts.jobs.empty()) a.jobs = parse_count("-j", counts.jobs, 1);
  if (!counts.max_insns.empty()) a.max_insns = parse_count("--max-insns", counts.max_insns, 0);
  if (!counts.max_cycles.empty()) a.max_cycles = parse_count("--max-cycles", counts.max_cycles, 0);
  for (const auto& m : a.metrics) {
    if (m.empty() || m.find_first_of(" \t\"") != std::string::npos)
      throw UsageError("--metric: bad name '" + m + "'");
  }
}

}  // namespace hvsim::app
