#include "sim/app/cli_sweep.h"

#include <CLI/CLI.hpp>

#include "sim/app/cli.h"
#include "sim/base/param_value.h"
#include "sim/virt/trace_format.h"

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
  s->add_option("KERNEL", a.kernel, "multiboot kernel (ELF) to boot at every point");
  s->add_option("--from-checkpoint", a.from_checkpoint,
                "start every point from this checkpoint folder (hvsim restore) instead of KERNEL");
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
  s->add_flag("--quiet", a.quiet, "no progress display on stderr");
  s->add_option("--trace-exits", a.trace_exits,
                "each point writes its VM exits to POINT/NAME (.csv, .jsonl or .json)");
  s->add_option("--trace-filter", a.trace_filter,
                "only these exit reasons reach each point's trace: NAME[,NAME...]")
      ->delimiter(',')
      ->allow_extra_args(false);
  s->add_option("--backend", a.backend,
                "where points run: local (processes here, default) or slurm (one job array, "
                "one point per task; the folder must be shared with the nodes)");
  s->add_option("--partition", a.partition, "slurm: the partition to submit to");
  s->add_option("--time", a.time, "slurm: time limit per point, as sbatch --time takes it");
  s->add_option("--mem", a.mem, "slurm: memory per point, as sbatch --mem takes it (e.g. 2G)");
  s->add_option("--vary-cmdline", a.vary_cmdlines,
                "an axis over the kernel's command line: one whole value per use (repeatable)")
      ->allow_extra_args(false);
  s->add_option("--vary-module", a.vary_modules,
                "an axis over one more module, FILE or FILE:args: one value per use (repeatable)")
      ->allow_extra_args(false);

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
  if (a.varies.empty() && a.vary_cmdlines.empty() && a.vary_modules.empty())
    throw UsageError("sweep: expected at least one --vary, --vary-cmdline or --vary-module");
  if (!a.vary_cmdlines.empty() && !a.cmdline.empty())
    throw UsageError("--cmdline and --vary-cmdline: give the command line one way");
  if (!a.trace_exits.empty()) {
    if (a.trace_exits.find('/') != std::string::npos || !virt::trace_format_for_path(a.trace_exits))
      throw UsageError("--trace-exits " + a.trace_exits +
                       ": a file name in each point's folder ending in " +
                       virt::kTraceFormatsHint);
  }
  if (a.backend != "local" && a.backend != "slurm")
    throw UsageError("--backend " + a.backend + ": expected local or slurm");
  if (a.backend == "local" && (!a.partition.empty() || !a.time.empty() || !a.mem.empty()))
    throw UsageError("--partition, --time and --mem need --backend slurm");
  std::erase(a.trace_filter, std::string());
  if (!a.trace_filter.empty() && a.trace_exits.empty())
    throw UsageError("--trace-filter needs --trace-exits NAME");
}

}  // namespace hvsim::app
