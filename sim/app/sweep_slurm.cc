#include "sim/app/sweep_slurm.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

#include "sim/app/run_info.h"
#include "sim/app/sweep_csv.h"
#include "sim/app/sweep_plot.h"
#include "sim/app/sweep_results.h"
#include "sim/base/exit_status.h"
#include "sim/base/params.h"

namespace hvsim::app {

namespace {

namespace fs = std::filesystem;
using base::ConfigError;

constexpr const char* kArgsFile = "point-args.txt";
constexpr const char* kOutcomeFile = "point-outcome.txt";

std::string path_in(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// Runs a command (no shell), returns its exit status and stdout.
int capture(const std::vector<std::string>& argv, std::string* out, std::string* err) {
  const fs::path tmp = fs::temp_directory_path() / ("hvsim-slurm-" + std::to_string(getpid()));
  const std::string o = tmp.string() + ".out", e = tmp.string() + ".err";
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + shell_quote(a);
  cmd += " >" + shell_quote(o) + " 2>" + shell_quote(e) + " </dev/null";
  const int rc = std::system(cmd.c_str());
  if (out) *out = read_text_file(o);
  if (err) *err = read_text_file(e);
  std::error_code ec;
  fs::remove(o, ec);
  fs::remove(e, ec);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// True while the array job has tasks queued or running.
bool job_active(const std::string& job_id) {
  std::string out;
  if (capture({"squeue", "-h", "-j", job_id, "-o", "%i"}, &out, nullptr) != 0) return false;
  return out.find_first_not_of(" \n") != std::string::npos;
}

std::optional<PointOutcome> read_outcome(const std::string& dir) {
  std::istringstream in(read_text_file(path_in(dir, kOutcomeFile)));
  PointOutcome o;
  if (!(in >> o.exit_status >> o.seconds)) return std::nullopt;
  in.ignore(1);
  std::getline(in, o.reason);
  return o;
}

// OUT/slurm/job.txt: the job id, then one point folder per line.
std::string job_record(const std::string& id, const std::vector<PointJob>& jobs) {
  std::string r = id + "\n";
  for (const auto& j : jobs) r += j.dir + "\n";
  return r;
}

}  // namespace

std::string slurm_array_script(const std::string& exe, const std::vector<PointJob>& jobs,
                               const std::string& cwd, const std::string& log_dir,
                               const SlurmOptions& o) {
  std::string s = "#!/bin/sh\n# hvsim sweep: one point per array task (hvsim sweep-point DIR).\n";
  s += "#SBATCH --job-name=hvsim-sweep\n";
  s += "#SBATCH --array=0-" + std::to_string(jobs.empty() ? 0 : jobs.size() - 1);
  if (o.max_running) s += "%" + std::to_string(o.max_running);
  s += "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n";
  s += "#SBATCH --chdir=" + cwd + "\n";
  s += "#SBATCH --output=" + (fs::path(log_dir) / "task-%a.log").string() + "\n";
  if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.time.empty()) s += "#SBATCH --time=" + o.time + "\n";
  if (!o.mem.empty()) s += "#SBATCH --mem=" + o.mem + "\n";
  s += "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (size_t i = 0; i < jobs.size(); ++i)
    s += "  " + std::to_string(i) + ") dir=" + shell_quote(jobs[i].dir) + " ;;\n";
  s += "  *) echo \"hvsim: no point for task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\nesac\n";
  s += "exec " + shell_quote(exe) + " sweep-point \"$dir\"\n";
  return s;
}

std::vector<PointOutcome> run_points_slurm(
    const std::string& exe, const std::vector<PointJob>& jobs, const std::string& sweep_dir,
    const SlurmOptions& o, const std::function<void(size_t, const PointOutcome&)>& done) {
  std::vector<PointOutcome> outcomes(jobs.size());
  if (jobs.empty()) return outcomes;
  const std::string slurm_dir = (fs::absolute(sweep_dir) / "slurm").string();
  std::error_code ec;
  fs::create_directories(slurm_dir, ec);
  if (ec) throw ConfigError(slurm_dir + ": " + ec.message());
  const std::string record_path = path_in(slurm_dir, "job.txt");

  // A job of an earlier run of this sweep that is still active: wait for it.
  std::string job_id;
  const std::string earlier = read_text_file(record_path);
  if (!earlier.empty()) {
    const std::string id = earlier.substr(0, earlier.find('\n'));
    if (job_active(id)) {
      if (earlier != job_record(id, jobs))
        throw ConfigError("sweep: Slurm job " + id +
                          " of this folder is still running other points: wait for it or "
                          "scancel " + id);
      job_id = id;
      std::fprintf(stderr, "hvsim: sweep: waiting for Slurm job %s, still running\n", id.c_str());
    }
  }
  if (job_id.empty()) {
    for (const auto& j : jobs) {
      std::string args;
      for (const auto& a : j.args) args += one_line(a) + "\n";
      write_file_atomically(path_in(j.dir, kArgsFile), args);
      fs::remove(path_in(j.dir, kOutcomeFile), ec);
    }
    const std::string script = path_in(slurm_dir, "sweep.sbatch");
    write_file_atomically(script, slurm_array_script(exe, jobs, fs::current_path().string(),
                                                     slurm_dir, o));
    std::string out, err;
    const int rc = capture({"sbatch", "--parsable", script}, &out, &err);
    if (rc != 0)
      throw ConfigError("sweep: sbatch failed" +
                        (rc == 127 ? std::string(" (is Slurm installed? sbatch not found)")
                                   : ": " + one_line(err.empty() ? out : err)));
    job_id = one_line(out.substr(0, out.find(';')));
    write_file_atomically(record_path, job_record(job_id, jobs));
    std::fprintf(stderr, "hvsim: sweep: submitted Slurm job array %s (%zu tasks), logs in %s\n",
                 job_id.c_str(), jobs.size(), slurm_dir.c_str());
  }

  // Gather outcomes as they appear; once the job has left the queue, points
  // without one failed (their task log says why).
  std::vector<bool> finished(jobs.size(), false);
  size_t left = jobs.size();
  for (bool active = true; left > 0;) {
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (finished[i]) continue;
      if (auto oc = read_outcome(jobs[i].dir)) {
        outcomes[i] = *oc;
      } else if (!active) {
        outcomes[i] = {-1,
                       "the Slurm task ended without a result (see " +
                           path_in(slurm_dir, ("task-" + std::to_string(i) + ".log").c_str()) +
                           ")",
                       0};
      } else {
        continue;
      }
      finished[i] = true;
      --left;
      if (done) done(i, outcomes[i]);
    }
    if (left == 0) break;
    if (!active) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    active = job_active(job_id);
  }
  return outcomes;
}

int sweep_point_command(const std::string& dir) {
  std::istringstream in(read_text_file(path_in(dir, kArgsFile)));
  PointJob job;
  job.dir = dir;
  for (std::string line; std::getline(in, line);) job.args.push_back(line);
  if (job.args.empty()) {
    std::fprintf(stderr, "hvsim: sweep-point: %s: no %s\n", dir.c_str(), kArgsFile);
    return base::kExitBadInput;
  }
  const PointOutcome o = run_points(self_executable(), {job}, 1, {}).at(0);
  write_file_atomically(path_in(dir, kPointMarker), point_marker(o.exit_status, job.args));
  char head[64];
  std::snprintf(head, sizeof head, "%d %.3f\n", o.exit_status, o.seconds);
  write_file_atomically(path_in(dir, kOutcomeFile), head + one_line(o.reason) + "\n");
  return base::kExitOk;
}

}  // namespace hvsim::app
