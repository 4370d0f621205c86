#include "sim/app/cmd_demo.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "sim/app/demo_table.h"
#include "sim/app/param_registry_all.h"
#include "sim/app/resolve_config.h"
#include "sim/app/sweep_csv.h"
#include "sim/app/sweep_results.h"
#include "sim/app/sweep_runner.h"
#include "sim/base/exit_status.h"

namespace hvsim::app {

namespace {

namespace fs = std::filesystem;
using base::ConfigError;

constexpr const char* kGuest = "minikernel.elf";
constexpr const char* kHvVmx = "hv_vmx.elf";
constexpr const char* kHvSvm = "hv_svm.elf";
// Paravirtualization: hv_pv runs the mini kernel's PV build deprivileged.
constexpr const char* kHvPv = "hv_pv.elf";
constexpr const char* kGuestPv = "minikernel-pv.elf";

std::string in_dir(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

bool readable_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && access(path.c_str(), R_OK) == 0;
}

// --workloads, else $HVSIM_WORKLOADS_DIR, else BUILD/workloads for an hvsim
// at BUILD/sim/app/hvsim, else ./workloads.
std::string find_workloads(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("HVSIM_WORKLOADS_DIR"); env && *env) return env;
  const fs::path beside = fs::path(self_executable()).parent_path() / ".." / ".." / "workloads";
  if (readable_file((beside / kGuest).string())) return beside.lexically_normal().string();
  return "workloads";
}

// A generous cycle limit per run, so that a setup that never ends fails
// instead of hanging the demo (the slowest setup needs ~1.5M cycles/iter).
// iters is at most kDemoMaxIters (checked when parsing), so this cannot wrap.
uint64_t demo_max_cycles(uint64_t iters) {
  static_assert(kDemoMaxIters <= (UINT64_MAX - 2'000'000'000ULL) / 8'000'000ULL);
  return 2'000'000'000ULL + 8'000'000ULL * std::min(iters, kDemoMaxIters);
}

}  // namespace

std::string demo_guest_args(uint64_t iters) {
  const std::string n = std::to_string(iters);
  return "bench=all iters=" + n + " faults=" + n;
}

std::vector<DemoSetupSpec> demo_setups(const std::string& workloads_dir, uint64_t iters,
                                       const std::vector<std::string>& sets) {
  const std::string guest = in_dir(workloads_dir, kGuest);
  const std::string args = demo_guest_args(iters);
  const std::string max_cycles = std::to_string(demo_max_cycles(iters));
  auto hv = [&](const char* name, const char* elf, const char* mmu,
                std::vector<std::string> own_sets) {
    DemoSetupSpec s{name,
                    {"run", in_dir(workloads_dir, elf), "--module", guest + ":" + args, "--cmdline",
                     std::string("mmu=") + mmu}};
    own_sets.insert(own_sets.end(), sets.begin(), sets.end());
    for (const auto& kv : own_sets) s.args.insert(s.args.end(), {"--set", kv});
    s.args.insert(s.args.end(), {"--max-cycles", max_cycles});
    return s;
  };
  // SVM needs an AMD CPU model; the SVM hypervisor wants room for 128 MiB of
  // guest RAM above itself.
  const std::vector<std::string> amd{"cpu.vendor=AuthenticAMD", "memory.size_mib=256"};
  DemoSetupSpec native{"native", {"run", guest, "--cmdline", args}};
  for (const auto& kv : sets) native.args.insert(native.args.end(), {"--set", kv});
  native.args.insert(native.args.end(), {"--max-cycles", max_cycles});
  DemoSetupSpec pv{"pv",
                   {"run", in_dir(workloads_dir, kHvPv), "--module",
                    in_dir(workloads_dir, kGuestPv) + ":" + args}};
  for (const auto& kv : sets) pv.args.insert(pv.args.end(), {"--set", kv});
  pv.args.insert(pv.args.end(), {"--max-cycles", max_cycles});
  return {native,
          hv("vmx-shadow", kHvVmx, "shadow", {}),
          hv("vmx-ept", kHvVmx, "ept", {}),
          hv("svm-shadow", kHvSvm, "shadow", amd),
          hv("svm-npt", kHvSvm, "npt", amd),
          pv};
}

int demo_command(const DemoArgs& a) {
  // 1. Checked before anything runs: the config keys, the guest, --out.
  base::ParamRegistry reg;
  declare_all_params(reg);
  {
    base::Config cfg(reg);
    resolve_config(cfg, "", a.sets);
  }
  const std::string workloads = find_workloads(a.workloads_dir);
  if (!readable_file(in_dir(workloads, kGuest)))
    throw ConfigError("--workloads " + workloads + ": no readable " + kGuest +
                      " (build the workloads, or pass --workloads DIR)");
  if (a.iters > kDemoMaxIters)
    throw ConfigError("--iters " + std::to_string(a.iters) + ": more than the maximum of " +
                      std::to_string(kDemoMaxIters));
  const uint64_t iters = a.iters ? a.iters : kDemoDefaultIters;
  const std::vector<DemoSetupSpec> setups = demo_setups(workloads, iters, a.sets);
  uint64_t jobs = a.jobs;
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<uint64_t>(jobs, setups.size());
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  if (ec) throw ConfigError("--out " + a.out_dir + ": " + ec.message());

  // 2. The runs. A setup whose hypervisor is missing fails without running.
  std::vector<DemoColumn> columns(setups.size());
  std::vector<PointJob> jobs_to_run;
  std::vector<size_t> job_setup;
  for (size_t i = 0; i < setups.size(); ++i) {
    columns[i].setup = setups[i].name;
    const std::string kernel = setups[i].args[1];
    if (!readable_file(kernel)) {
      columns[i].reason = "no readable " + kernel;
      continue;
    }
    PointJob job;
    job.dir = in_dir(a.out_dir, setups[i].name);
    fs::remove_all(job.dir, ec);
    fs::create_directories(job.dir, ec);
    if (ec) throw ConfigError(job.dir + ": " + ec.message());
    job.args = setups[i].args;
    job.args.insert(job.args.end(), {"--out", job.dir});
    jobs_to_run.push_back(job);
    job_setup.push_back(i);
  }
  // The shadow-paging setups take longest: start them first.
  std::vector<size_t> order(jobs_to_run.size());
  for (size_t j = 0; j < order.size(); ++j) order[j] = j;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const bool sx = setups[job_setup[x]].name.find("shadow") != std::string::npos;
    const bool sy = setups[job_setup[y]].name.find("shadow") != std::string::npos;
    return sx && !sy;
  });
  std::vector<PointJob> ordered;
  for (size_t j : order) ordered.push_back(jobs_to_run[j]);

  std::fprintf(stderr,
               "hvsim: demo: %zu setups, %llu iterations per benchmark (%s), up to %llu at "
               "once, in %s\n",
               setups.size(), static_cast<unsigned long long>(iters),
               demo_guest_args(iters).c_str(), static_cast<unsigned long long>(jobs),
               a.out_dir.c_str());
  size_t finished = 0;
  const std::vector<PointOutcome> outcomes =
      run_points(self_executable(), ordered, jobs, [&](size_t k, const PointOutcome& o) {
        ++finished;
        std::fprintf(stderr, "hvsim: demo: [%zu/%zu] %s: %s (%.2f s)\n", finished, ordered.size(),
                     setups[job_setup[order[k]]].name.c_str(),
                     o.exit_status == 0 ? "ok" : ("FAILED, " + o.reason).c_str(), o.seconds);
      });

  // 3. Read the results back.
  for (size_t k = 0; k < ordered.size(); ++k) {
    DemoColumn& c = columns[job_setup[order[k]]];
    const PointOutcome& o = outcomes[k];
    const std::string& dir = ordered[k].dir;
    if (o.exit_status != 0) {
      // The guest's (or hypervisor's) last words usually say why.
      c.reason = o.reason.empty() ? "exit " + std::to_string(o.exit_status) : o.reason;
      const std::string said = last_line(read_text_file(in_dir(dir, kPointStdout)));
      if (!said.empty()) c.reason = said + " (" + c.reason + ")";
      continue;
    }
    const auto stats = read_stats_json(in_dir(dir, "stats.json"));
    c.cycles_per_iter = parse_cycles_per_iter(read_text_file(in_dir(dir, kPointStdout)));
    if (!stats) {
      c.reason = "no complete stats.json in " + dir;
    } else if (c.cycles_per_iter.empty()) {
      c.reason = "the guest printed no timing lines (see " + in_dir(dir, kPointStdout) + ")";
    } else {
      c.ok = true;
      c.stats = *stats;
    }
  }

  // 4. The report.
  const std::string report = demo_table(columns) + "\n" + demo_exit_summary(columns, kDemoTopExits);
  std::fputs(report.c_str(), stdout);
  std::fflush(stdout);
  write_file_atomically(in_dir(a.out_dir, "demo.txt"), report);
  write_file_atomically(in_dir(a.out_dir, "demo.csv"), demo_csv(columns));
  size_t vm_ok = 0;
  for (size_t i = 1; i < columns.size(); ++i) vm_ok += columns[i].ok;
  const bool ok = columns[0].ok && vm_ok > 0;
  std::fprintf(stderr, "hvsim: demo: native %s, %zu of %zu VM setups ok; wrote %s\n",
               columns[0].ok ? "ok" : "FAILED", vm_ok, columns.size() - 1,
               in_dir(a.out_dir, "demo.csv").c_str());
  return ok ? base::kExitOk : 1;
}

}  // namespace hvsim::app
