// Running the points of a sweep: each point is its own `hvsim run` process
// (SystemC elaborates once per process), at most `parallel` at a time, with
// stdout and stderr captured in the point's folder. Results come back in
// point order whatever order the processes finish in.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace hvsim::app {

struct PointJob {
  std::string dir;                // the point's output folder (exists before the run)
  std::vector<std::string> args;  // after the executable: "run", KERNEL, ..., "--out", dir
};

struct PointOutcome {
  int exit_status = -1;  // the process's exit status; -1 when it did not exit normally
  std::string reason;    // empty when exit_status == 0, else one line
  double seconds = 0;    // wall time
};

// Files a point's run leaves in its folder next to hvsim's own output.
inline constexpr const char* kPointStdout = "stdout.txt";
inline constexpr const char* kPointStderr = "stderr.txt";
inline constexpr const char* kPointMarker = "sweep-point.txt";  // exit status + command

// Runs every job with `exe`, at most `parallel` (>= 1) at once. done(i, o) is
// called in this process as each job ends (in completion order). Returns the
// outcomes in job order. A job whose process cannot be started fails with
// the reason; the others still run.
std::vector<PointOutcome> run_points(const std::string& exe, const std::vector<PointJob>& jobs,
                                     size_t parallel,
                                     const std::function<void(size_t, const PointOutcome&)>& done);

// The last non-empty line of a text, trimmed ("" if none).
std::string last_line(const std::string& text);

// The line of an `hvsim run` stderr that says why it ended: the last line
// starting "hvsim:" other than the closing summary ("N instructions, M cycles,
// IPC ..."); else the last non-empty line; "" for an empty text.
std::string reason_line(const std::string& stderr_text);

// One line saying why a process ended as it did: "exit 82: <reason_line>",
// "killed by signal 9", "cannot run hvsim: ...".
std::string failure_reason(int wait_status, const std::string& stderr_text);

// The marker a finished point leaves: its exit status and the command it ran
// (args after the executable), so a re-run can tell whether the results on
// disk are the ones it would produce.
std::string point_marker(int exit_status, const std::vector<std::string>& args);

// True when dir holds the complete results of exactly this point: a marker
// with exit status 0 and the same command, config.resolved.toml equal to
// resolved_toml, and a complete stats.json.
bool point_is_complete(const std::string& dir, const std::vector<std::string>& args,
                       const std::string& resolved_toml);

// The guest's own last word: the last line of its serial output that is not a
// "timing:" or "info:" line ("" if none).
std::string guest_reason_line(const std::string& stdout_text);

// The reason of a failed point: failure_reason(), and when the guest itself
// ended the run (it wrote the exit port) the guest's reason line first:
// exit 2: guest: "minikernel: bad ws/stride ..." (hvsim: guest wrote 2 ...).
std::string point_failure_reason(int wait_status, const std::string& stderr_text,
                                 const std::string& stdout_text);

// The path of this process's own executable (/proc/self/exe resolved).
std::string self_executable();

}  // namespace hvsim::app
