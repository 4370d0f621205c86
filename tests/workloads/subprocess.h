// Spawns a process, captures stdout and stderr, and enforces a timeout.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace hvsim_test {

struct ProcResult {
  bool started = false;    // exec succeeded
  bool timed_out = false;  // killed after the timeout
  int exit_code = -1;      // valid when exited normally
  int term_signal = 0;     // nonzero when killed by a signal
  std::string out, err;
};

// Runs argv[0] (looked up in PATH) with stdin from /dev/null.  On timeout
// the child's whole process group gets SIGKILL.
ProcResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// Full path of an executable found in PATH, or "" when absent.
std::string find_in_path(const std::string& name);

}  // namespace hvsim_test
