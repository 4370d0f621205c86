#include "sim/app/sweep_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>

#include "sim/app/sweep_results.h"

namespace hvsim::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Exit status of a child that could not exec; the reason is on its stderr.
constexpr int kExecFailed = 127;

std::string path_in(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// fork + exec with stdout/stderr redirected into the point's folder. Returns
// the pid, or -1 with errno set when fork fails.
pid_t spawn(const std::string& exe, const PointJob& job) {
  std::vector<std::string> argv_s;
  argv_s.push_back(exe);
  argv_s.insert(argv_s.end(), job.args.begin(), job.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string out = path_in(job.dir, kPointStdout), err = path_in(job.dir, kPointStderr);

  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls from here on.
  const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (o < 0 || e < 0 || dup2(o, STDOUT_FILENO) < 0 || dup2(e, STDERR_FILENO) < 0)
    _exit(kExecFailed);
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  execv(exe.c_str(), argv.data());
  const char* msg = strerror(errno);
  (void)!write(STDERR_FILENO, "cannot run ", 11);
  (void)!write(STDERR_FILENO, exe.c_str(), exe.size());
  (void)!write(STDERR_FILENO, ": ", 2);
  (void)!write(STDERR_FILENO, msg, strlen(msg));
  (void)!write(STDERR_FILENO, "\n", 1);
  _exit(kExecFailed);
}

}  // namespace

std::string last_line(const std::string& text) {
  size_t end = text.size();
  for (;;) {
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ' ||
                       text[end - 1] == '\t'))
      --end;
    if (end == 0) return "";
    size_t start = text.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    while (start < end && (text[start] == ' ' || text[start] == '\t')) ++start;
    if (start < end) return text.substr(start, end - start);
    end = start;
  }
}

std::string reason_line(const std::string& stderr_text) {
  std::string text = stderr_text, fallback;
  for (;;) {
    const std::string line = last_line(text);
    if (line.empty()) return fallback;
    if (fallback.empty()) fallback = line;
    const bool summary = line.find(" instructions, ") != std::string::npos &&
                         line.find(" cycles, IPC ") != std::string::npos;
    if (line.rfind("hvsim:", 0) == 0 && !summary) return line;
    text.resize(text.rfind(line));
  }
}

std::string failure_reason(int wait_status, const std::string& stderr_text) {
  const std::string line = reason_line(stderr_text);
  std::string reason;
  if (WIFEXITED(wait_status)) {
    if (WEXITSTATUS(wait_status) == 0) return "";
    if (WEXITSTATUS(wait_status) == kExecFailed && line.rfind("cannot run ", 0) == 0) return line;
    reason = "exit " + std::to_string(WEXITSTATUS(wait_status));
  } else if (WIFSIGNALED(wait_status)) {
    reason = "killed by signal " + std::to_string(WTERMSIG(wait_status));
  } else {
    reason = "ended abnormally";
  }
  return line.empty() ? reason : reason + ": " + line;
}

std::string guest_reason_line(const std::string& stdout_text) {
  std::string text = stdout_text;
  for (;;) {
    const std::string line = last_line(text);
    if (line.empty()) return "";
    if (line.rfind("timing:", 0) != 0 && line.rfind("info:", 0) != 0) return line;
    text.resize(text.rfind(line));
  }
}

std::string point_failure_reason(int wait_status, const std::string& stderr_text,
                                 const std::string& stdout_text) {
  const std::string reason = failure_reason(wait_status, stderr_text);
  if (reason.empty() || !WIFEXITED(wait_status)) return reason;
  const std::string hvsim_line = reason_line(stderr_text);
  if (hvsim_line.find("guest wrote") == std::string::npos) return reason;
  const std::string guest = guest_reason_line(stdout_text);
  if (guest.empty()) return reason;
  return "exit " + std::to_string(WEXITSTATUS(wait_status)) + ": guest: \"" + guest + "\" (" +
         hvsim_line + ")";
}

std::vector<PointOutcome> run_points(const std::string& exe, const std::vector<PointJob>& jobs,
                                     size_t parallel,
                                     const std::function<void(size_t, const PointOutcome&)>& done) {
  if (parallel == 0) parallel = 1;
  std::vector<PointOutcome> outcomes(jobs.size());
  std::map<pid_t, std::pair<size_t, Clock::time_point>> running;
  size_t next = 0;
  auto finish = [&](size_t i, PointOutcome o) {
    outcomes[i] = std::move(o);
    if (done) done(i, outcomes[i]);
  };
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && running.size() < parallel) {
      const size_t i = next++;
      const auto start = Clock::now();
      const pid_t pid = spawn(exe, jobs[i]);
      if (pid < 0) {
        finish(i, {-1, std::string("cannot start a process: ") + strerror(errno), 0});
        continue;
      }
      running[pid] = {i, start};
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      // No children left that we know of: fail whatever is still listed.
      for (auto& [p, job] : running) finish(job.first, {-1, "lost track of the process", 0});
      running.clear();
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;  // not one of ours
    const auto [i, start] = it->second;
    running.erase(it);
    PointOutcome o;
    o.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.reason = point_failure_reason(status, read_text_file(path_in(jobs[i].dir, kPointStderr)),
                                    read_text_file(path_in(jobs[i].dir, kPointStdout)));
    o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    finish(i, std::move(o));
  }
  return outcomes;
}

std::string point_marker(int exit_status, const std::vector<std::string>& args) {
  std::string m = "exit " + std::to_string(exit_status) + "\n";
  for (const auto& a : args) {
    std::string one = a;
    for (char& c : one) {
      if (c == '\n') c = ' ';
    }
    m += "arg " + one + "\n";
  }
  return m;
}

bool point_is_complete(const std::string& dir, const std::vector<std::string>& args,
                       const std::string& resolved_toml) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  if (read_text_file(path_in(dir, kPointMarker)) != point_marker(0, args)) return false;
  if (read_text_file(path_in(dir, "config.resolved.toml")) != resolved_toml) return false;
  return read_stats_json(path_in(dir, "stats.json")).has_value();
}

std::string self_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

}  // namespace hvsim::app
