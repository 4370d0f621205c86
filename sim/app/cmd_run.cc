#include "sim/app/cmd_run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "sim/app/module_arg.h"
#include "sim/app/param_registry_all.h"
#include "sim/app/progress.h"
#include "sim/app/resolve_config.h"
#include "sim/app/run_info.h"
#include "sim/app/summary.h"
#include "sim/app/systemc_entry.h"
#include "sim/base/log.h"
#include "sim/checkpoint/writer.h"
#include "sim/gdb/gdb_entry.h"
#include "sim/platform/stop_signal.h"

namespace hvsim::app {

namespace {

namespace fs = std::filesystem;

void check_input_file(const std::string& path, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw base::ConfigError(std::string(what) + " '" + path + "': no such file");
  if (!fs::is_regular_file(path, ec)) {
    throw base::ConfigError(std::string(what) + " '" + path + "': not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw base::ConfigError(std::string(what) + " '" + path + "': cannot be read");
}

void write_resolved_config(const std::string& out_dir, const base::Config& cfg) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw base::ConfigError("--out " + out_dir + ": " + ec.message());
  const std::string path = (fs::path(out_dir) / "config.resolved.toml").string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << cfg.to_toml();
  if (!out.flush()) throw base::ConfigError(path + ": cannot be written");
}

platform::RunResult simulate(const platform::RunSpec& spec, const base::Config& cfg, int argc,
                             char** argv) {
  platform::RunResult result;
  const auto start = std::chrono::steady_clock::now();
  run_in_systemc(argc, argv, [&] { result = platform::run_simulation(spec, cfg); });
  if (result.wall_seconds <= 0) {
    result.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return result;
}

void report(const platform::RunResult& r) {
  std::fflush(stdout);  // the guest's output first, when both go to a terminal
  if (!r.end_reason.empty()) std::fprintf(stderr, "hvsim: %s\n", r.end_reason.c_str());
  if (!r.register_dump.empty()) {
    std::fputs(r.register_dump.c_str(), stderr);
    if (r.register_dump.back() != '\n') std::fputc('\n', stderr);
  }
  std::fprintf(stderr, "%s\n", run_summary(r).c_str());
  for (const std::string& note : r.timing_notes) std::fprintf(stderr, "hvsim: %s\n", note.c_str());
}

}  // namespace

platform::RunSpec make_run_spec(const RunArgs& args) {
  platform::RunSpec spec;
  check_input_file(args.kernel, "kernel");
  spec.kernel = args.kernel;
  for (const auto& m : args.modules) {
    spec.modules.push_back(parse_module_arg(m));
    check_input_file(spec.modules.back().path, "module");
  }
  if (!args.initrd.empty()) {
    check_input_file(args.initrd, "initrd");
    spec.initrd = args.initrd;
  }
  spec.cmdline = args.cmdline;
  spec.max_insns = args.max_insns;
  spec.max_cycles = args.max_cycles;
  spec.out_dir = args.out_dir;
  spec.trace_exits = args.trace_exits;  // the format was checked when parsing
  spec.trace_filter = args.trace_filter;
  if (args.gdb_port >= 0) spec.run_control = gdb::make_run_control(static_cast<uint16_t>(args.gdb_port));
  return spec;
}

int run_command(const RunArgs& args, int argc, char** argv) {
  base::ParamRegistry reg;
  declare_all_params(reg);
  base::Config cfg(reg);
  resolve_config(cfg, args.config_file, args.sets);
  if (!args.log_spec.empty()) base::configure_logging(args.log_spec);
  return run_spec_command(make_run_spec(args), cfg, args, argc, argv);
}

int run_spec_command(platform::RunSpec spec, const base::Config& cfg, const RunArgs& args,
                     int argc, char** argv) {
  RunProgressLine progress;
  if (progress_enabled(args.quiet) && args.gdb_port < 0) {  // gdb: the user steps, no display
    spec.progress = [&progress](const platform::RunProgress& p) { progress.draw(p); };
    spec.progress_after_seconds = progress_delay_seconds();
  }
  // --checkpoint-at: OUT/checkpoint-<insns>/ (sim/checkpoint/writer.h).
  std::vector<checkpoint::Trigger> at;
  for (const auto& t : args.checkpoint_at) at.push_back(checkpoint::parse_trigger(t));
  checkpoint::Writer writer({at, args.checkpoint_warm, spec.out_dir, cfg.to_toml()});
  if (!at.empty()) writer.install(spec);
  write_resolved_config(spec.out_dir, cfg);
  write_run_info(spec.out_dir);
  // Ctrl-C / SIGTERM: stop at an instruction boundary and keep the statistics.
  platform::install_stop_signal_handlers();
  const platform::RunResult result = simulate(spec, cfg, argc, argv);
  progress.clear();
  report(result);
  return result.exit_status;
}

}  // namespace hvsim::app
