#include "sim/app/cmd_sweep.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "sim/app/cmd_run.h"
#include "sim/app/param_registry_all.h"
#include "sim/app/resolve_config.h"
#include "sim/app/run_info.h"
#include "sim/app/sweep_csv.h"
#include "sim/app/sweep_grid.h"
#include "sim/app/sweep_plot.h"
#include "sim/app/sweep_results.h"
#include "sim/app/progress.h"
#include "sim/app/sweep_runner.h"
#include "sim/app/sweep_slurm.h"
#include "sim/base/exit_status.h"
#include "sim/checkpoint/format.h"
#include "sim/checkpoint/writer.h"
#include "sim/platform/simulation.h"

namespace hvsim::app {

namespace {

namespace fs = std::filesystem;
using base::ConfigError;

struct Point {
  SweepPoint grid;
  std::string name;
  PointJob job;
  std::string resolved_toml;
  bool skipped = false;
};

std::string key_of(const std::string& key_eq_value) {
  return key_eq_value.substr(0, key_eq_value.find('='));
}

// The axes of --vary-cmdline and --vary-module: arguments of the run, not
// parameters.
constexpr const char* kCmdlineAxis = "cmdline";
constexpr const char* kModuleAxis = "module";
bool is_run_axis(const std::string& key) { return key == kCmdlineAxis || key == kModuleAxis; }

// The point's --set arguments: its parameter axes only.
std::vector<std::string> param_sets(const std::vector<SweepAxis>& axes, const SweepPoint& p) {
  std::vector<std::string> sets;
  for (size_t k = 0; k < axes.size(); ++k)
    if (!is_run_axis(axes[k].key)) sets.push_back(p.sets[k]);
  return sets;
}

// The command of one point, after the executable.
std::vector<std::string> point_args(const SweepArgs& a, const std::vector<SweepAxis>& axes,
                                    const SweepPoint& p, const std::string& dir) {
  if (!a.from_checkpoint.empty()) {  // every point continues the checkpoint (hvsim restore)
    std::vector<std::string> args{"restore", a.from_checkpoint};
    for (const auto& s : a.sets) args.insert(args.end(), {"--set", s});
    for (const auto& s : param_sets(axes, p)) args.insert(args.end(), {"--set", s});
    args.insert(args.end(), {"--out", dir});
    if (a.max_insns) args.insert(args.end(), {"--max-insns", std::to_string(a.max_insns)});
    if (a.max_cycles) args.insert(args.end(), {"--max-cycles", std::to_string(a.max_cycles)});
    return args;
  }
  std::vector<std::string> args{"run", a.kernel};
  std::string cmdline = a.cmdline;
  for (const auto& m : a.modules) args.insert(args.end(), {"--module", m});
  if (!a.initrd.empty()) args.insert(args.end(), {"--initrd", a.initrd});
  for (size_t k = 0; k < axes.size(); ++k) {
    if (axes[k].key == kModuleAxis) args.insert(args.end(), {"--module", p.values[k]});
    if (axes[k].key == kCmdlineAxis) cmdline = p.values[k];
  }
  if (!cmdline.empty()) args.insert(args.end(), {"--cmdline", cmdline});
  if (!a.config_file.empty()) args.insert(args.end(), {"--config", a.config_file});
  for (const auto& s : a.sets) args.insert(args.end(), {"--set", s});
  for (const auto& s : param_sets(axes, p)) args.insert(args.end(), {"--set", s});
  args.insert(args.end(), {"--out", dir});
  if (a.max_insns) args.insert(args.end(), {"--max-insns", std::to_string(a.max_insns)});
  if (a.max_cycles) args.insert(args.end(), {"--max-cycles", std::to_string(a.max_cycles)});
  if (!a.trace_exits.empty()) {
    args.insert(args.end(), {"--trace-exits", (fs::path(dir) / a.trace_exits).string()});
    for (const auto& f : a.trace_filter) args.insert(args.end(), {"--trace-filter", f});
  }
  return args;
}

// --metric names must exist before anything runs: a statistic of the model
// (its names come from a one-instruction probe run of the first point, in
// OUT/.probe), a per-reason virt.exits.R / virt.exit_time.R, or guest.NAME.
// The probe also checks the point's other arguments (--trace-filter names).
void check_metrics(const SweepArgs& a, const std::string& exe, std::vector<std::string> args) {
  bool needed = !a.trace_filter.empty();
  for (const auto& m : a.metrics) needed = needed || m.rfind("guest.", 0) != 0;
  if (!needed) return;
  PointJob probe;
  probe.dir = (fs::path(a.out_dir) / ".probe").string();
  std::error_code ec;
  fs::remove_all(probe.dir, ec);
  fs::create_directories(probe.dir, ec);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--out") args[i + 1] = probe.dir;
    if (args[i] == "--trace-exits") args[i + 1] = (fs::path(probe.dir) / a.trace_exits).string();
    if (args[i] == "--max-insns" || args[i] == "--max-cycles") args[i + 1] = "0";
  }
  args.insert(args.end(), {"--max-insns", "1"});
  probe.args = args;
  const PointOutcome o = run_points(exe, {probe}, 1, {}).at(0);
  if (o.exit_status == base::kExitBadInput) throw ConfigError("sweep: " + o.reason);
  const auto stats = read_stats_json((fs::path(probe.dir) / "stats.json").string());
  if (!stats) return;  // the probe could not tell: the points will
  std::set<std::string> reasons;
  for (const auto& n : platform::exit_reason_names()) {
    std::string t = n;
    for (char& c : t) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    reasons.insert(t);
  }
  for (const auto& m : a.metrics) {
    if (m.rfind("guest.", 0) == 0 || stats->count(m)) continue;
    bool reason = false;
    for (const char* family : {"virt.exits.", "virt.exit_time."}) {
      const std::string f = family;
      if (m.rfind(f, 0) == 0 && reasons.count(m.substr(f.size()))) reason = true;
    }
    if (!reason)
      throw ConfigError("--metric " + m + ": no such statistic (names as in stats.json, "
                        "virt.exits.REASON, or guest.NAME from 'timing:' lines)");
  }
  fs::remove_all(probe.dir, ec);
}

std::string describe(const std::vector<SweepAxis>& axes, const SweepPoint& p) {
  std::string d;
  for (size_t k = 0; k < axes.size(); ++k) d += (k ? " " : "") + axes[k].key + "=" + p.values[k];
  return d;
}

std::string in_dir(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// Reads a finished point back into a CSV row.
SweepRow collect(const Point& p, const PointOutcome& o) {
  SweepRow row;
  row.point = p.name;
  row.values = p.grid.values;
  row.exit_status = o.exit_status;
  row.reason = o.reason;
  row.ok = o.exit_status == 0;
  const auto stats = read_stats_json(in_dir(p.job.dir, "stats.json"));
  if (stats) row.metrics = *stats;
  if (row.ok && !stats) {
    row.ok = false;
    row.reason = "no complete stats.json in " + p.job.dir;
  }
  for (const auto& [name, value] :
       parse_guest_timings(read_text_file(in_dir(p.job.dir, kPointStdout))))
    row.metrics[name] = value;
  return row;
}

std::vector<std::string> choose_metrics(const SweepArgs& a, const std::vector<Point>& points) {
  if (!a.metrics.empty()) return a.metrics;
  std::vector<std::string> metrics = default_sweep_metrics();
  std::set<std::string> seen(metrics.begin(), metrics.end());
  for (const Point& p : points) {
    for (const auto& [name, value] :
         parse_guest_timings(read_text_file(in_dir(p.job.dir, kPointStdout)))) {
      if (seen.insert(name).second) metrics.push_back(name);
    }
  }
  return metrics;
}

// The units of the metrics: stats.txt's for statistics, the word after the
// value of a guest's "timing: NAME VALUE UNIT" line for guest.NAME.
std::map<std::string, std::string> metric_units(const std::vector<Point>& points,
                                                const std::vector<SweepRow>& rows) {
  std::map<std::string, std::string> units;
  for (size_t i = 0; i < points.size() && i < rows.size(); ++i) {
    if (!rows[i].ok) continue;
    units = stat_units(read_text_file(in_dir(points[i].job.dir, "stats.txt")));
    std::istringstream out(read_text_file(in_dir(points[i].job.dir, kPointStdout)));
    for (std::string line; std::getline(out, line);) {
      std::istringstream w(line);
      std::string tag, name, value, unit;
      if (w >> tag >> name >> value >> unit && tag == "timing:") units["guest." + name] = unit;
    }
    break;
  }
  return units;
}

void plot_all(const std::string& out_dir, const std::vector<SweepAxis>& axes,
              const std::vector<std::string>& metrics, const std::vector<SweepRow>& rows,
              const std::map<std::string, std::string>& units, const std::string& x_unit) {
  const std::string gnuplot = find_on_path("gnuplot");
  if (gnuplot.empty()) {
    std::fprintf(stderr,
                 "hvsim: sweep: gnuplot not found on PATH: no plots (install gnuplot-nox)\n");
    return;
  }
  const std::string log = in_dir(out_dir, "plot.log");
  std::error_code ec;
  fs::remove(log, ec);
  size_t plots = 0;
  for (const auto& m : metrics) {
    bool any = false;
    for (const auto& r : rows) any = any || (r.ok && r.metrics.count(m));
    if (!any) continue;
    const std::string png = in_dir(out_dir, plot_file_name(m).c_str());
    const std::string script = png.substr(0, png.size() - 4) + ".gp";
    const auto u = units.find(m);
    write_file_atomically(script, gnuplot_script(m, png, axes, rows,
                                                 {u == units.end() ? "" : u->second, x_unit}));
    const int rc = run_gnuplot(gnuplot, script, log);
    if (rc != 0) {
      std::fprintf(stderr, "hvsim: sweep: gnuplot failed (status %d) on %s, see %s\n", rc,
                   script.c_str(), log.c_str());
    } else {
      ++plots;
    }
  }
  if (plots)
    std::fprintf(stderr, "hvsim: sweep: %zu plots in %s/plot-*.png\n", plots, out_dir.c_str());
}

}  // namespace

const std::vector<std::string>& default_sweep_metrics() {
  static const std::vector<std::string> m{"cpu.cycles", "cpu.instructions", "virt.exits",
                                          "virt.world_switch_cycles"};
  return m;
}

int sweep_command(const SweepArgs& args) {
  return sweep_command_with(args, self_executable());
}

int sweep_command_with(const SweepArgs& given, const std::string& exe) {
  // --from-checkpoint: the checkpoint's config is the base of every point.
  SweepArgs a = given;
  if (a.from_checkpoint.empty() == a.kernel.empty())
    throw ConfigError("sweep: expected a KERNEL or --from-checkpoint DIR (one of them)");
  if (!a.from_checkpoint.empty()) {
    if (!a.modules.empty() || !a.initrd.empty() || !a.cmdline.empty() || !a.config_file.empty() ||
        !a.vary_cmdlines.empty() || !a.vary_modules.empty() || !a.trace_exits.empty())
      throw ConfigError("--from-checkpoint: the checkpoint fixes the kernel, modules, command "
                        "line and config (only --set and --vary apply)");
    a.config_file = (fs::path(a.from_checkpoint) / checkpoint::kConfigName).string();
    if (!fs::is_regular_file(a.config_file))
      throw ConfigError(a.from_checkpoint + ": not a checkpoint folder (no config.toml)");
    a.kernel = checkpoint::read_inputs(a.from_checkpoint).kernel;  // checked, for the probe
  }
  // 1. Everything checked before anything runs or is written.
  base::ParamRegistry reg;
  declare_all_params(reg);
  {
    base::Config cfg(reg);
    resolve_config(cfg, a.config_file, a.sets);
  }
  std::vector<SweepAxis> axes;
  for (const auto& v : a.varies) {
    axes.push_back(parse_vary(v));
    grid_size(axes);  // the cap, axis by axis: many large axes never pile up in memory
  }
  check_axes(axes, reg);
  if (!a.vary_cmdlines.empty()) axes.push_back(SweepAxis{kCmdlineAxis, a.vary_cmdlines});
  if (!a.vary_modules.empty()) axes.push_back(SweepAxis{kModuleAxis, a.vary_modules});
  grid_size(axes);
  for (const auto& s : a.sets) {
    for (const auto& axis : axes) {
      if (key_of(s) == axis.key)
        throw ConfigError("--set " + s + ": '" + axis.key + "' is also varied (--vary)");
    }
  }
  RunArgs probe;
  probe.kernel = a.kernel;
  probe.modules = a.modules;
  probe.modules.insert(probe.modules.end(), a.vary_modules.begin(), a.vary_modules.end());
  probe.initrd = a.initrd;
  make_run_spec(probe);  // the kernel, modules and initrd exist and are readable

  const std::vector<SweepPoint> grid = expand_grid(axes);
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  if (ec) throw ConfigError("--out " + a.out_dir + ": " + ec.message());
  write_run_info(a.out_dir);
  if (!grid.empty()) check_metrics(a, exe, point_args(a, axes, grid.front(), a.out_dir));

  // 2. The points: skip those whose results are complete, clear the others.
  std::vector<Point> points;
  for (const SweepPoint& g : grid) {
    Point p;
    p.grid = g;
    p.name = point_name(g.index, grid.size());
    p.job.dir = (fs::path(a.out_dir) / p.name).string();
    p.job.args = point_args(a, axes, g, p.job.dir);
    base::Config cfg(reg);
    std::vector<std::string> sets = a.sets;
    const std::vector<std::string> own = param_sets(axes, g);
    sets.insert(sets.end(), own.begin(), own.end());
    resolve_config(cfg, a.config_file, sets);
    p.resolved_toml = cfg.to_toml();
    p.skipped = !a.force && point_is_complete(p.job.dir, p.job.args, p.resolved_toml);
    points.push_back(std::move(p));
  }
  std::vector<PointJob> jobs;
  std::vector<size_t> job_point;
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].skipped) continue;
    fs::remove_all(points[i].job.dir, ec);
    fs::create_directories(points[i].job.dir, ec);
    if (ec) throw ConfigError(points[i].job.dir + ": " + ec.message());
    jobs.push_back(points[i].job);
    job_point.push_back(i);
  }
  const size_t skipped = points.size() - jobs.size();
  const std::string how = a.backend == "slurm"
                              ? std::string("as a Slurm job array")
                              : "up to " + std::to_string(a.jobs) + " at once";
  std::fprintf(stderr, "hvsim: sweep: %zu points (%zu to run, %zu already done), %s, in %s\n",
               points.size(), jobs.size(), skipped, how.c_str(), a.out_dir.c_str());

  // 3. Run; each finished point leaves its marker and one progress line.
  size_t finished = 0;
  PointsProgress progress("sweep", jobs.size(), progress_enabled(a.quiet));
  auto on_done = [&](size_t j, const PointOutcome& o) {
        progress.before_line();
        const Point& p = points[job_point[j]];
        try {
          write_file_atomically(in_dir(p.job.dir, kPointMarker),
                                point_marker(o.exit_status, p.job.args));
        } catch (const ConfigError& e) {
          std::fprintf(stderr, "hvsim: sweep: %s\n", e.what());
        }
        ++finished;
        std::fprintf(stderr, "hvsim: sweep: [%zu/%zu] %s %s: %s (%.2f s)\n", finished, jobs.size(),
                     p.name.c_str(), describe(axes, p.grid).c_str(),
                     o.exit_status == 0 ? "ok" : ("FAILED, " + o.reason).c_str(), o.seconds);
        progress.point_done();
      };
  SlurmOptions slurm{a.partition, a.time, a.mem, a.jobs > 1 ? static_cast<size_t>(a.jobs) : 0};
  const std::vector<PointOutcome> outcomes =
      a.backend == "slurm" ? run_points_slurm(exe, jobs, a.out_dir, slurm, on_done)
                           : run_points(exe, jobs, a.jobs, on_done);
  progress.before_line();

  // 4. Collect in grid order, write the CSV, then the plots.
  std::vector<PointOutcome> by_point(points.size(), PointOutcome{0, "", 0});
  for (size_t j = 0; j < jobs.size(); ++j) by_point[job_point[j]] = outcomes[j];
  std::vector<SweepRow> rows;
  size_t failed = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    rows.push_back(collect(points[i], by_point[i]));
    if (!rows.back().ok) ++failed;
  }
  const std::vector<std::string> metrics = choose_metrics(a, points);
  for (const auto& m : metrics) {
    bool any = false;
    for (const auto& r : rows) any = any || r.metrics.count(m);
    if (!any)
      std::fprintf(stderr, "hvsim: sweep: metric '%s' is in no point's results\n", m.c_str());
  }
  std::vector<std::string> keys;
  for (const auto& axis : axes) keys.push_back(axis.key);
  const std::string csv = in_dir(a.out_dir, "sweep.csv");
  write_file_atomically(csv, sweep_csv(keys, metrics, rows));
  const base::ParamSpec* x_param = axes.empty() ? nullptr : reg.find(axes.front().key);
  plot_all(a.out_dir, axes, metrics, rows, metric_units(points, rows),
           x_param ? x_param->unit : "");
  std::fprintf(stderr, "hvsim: sweep: %zu ok, %zu failed (%zu skipped as done); wrote %s\n",
               points.size() - failed, failed, skipped, csv.c_str());
  return failed ? kExitSomePointsFailed : base::kExitOk;
}

}  // namespace hvsim::app
