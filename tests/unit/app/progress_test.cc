// The progress display: its formatting, and a real run on a pseudo-terminal
// (drawn) against --quiet and a file (not drawn).
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sim/app/progress.h"

namespace {

using hvsim::app::format_duration;
using hvsim::app::format_run_progress;

TEST(Progress, FormatsDurationsAndRunLine) {
  EXPECT_EQ(format_duration(7.2), "0:07");
  EXPECT_EQ(format_duration(723), "12:03");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-1), "0:00");
  hvsim::platform::RunProgress p;
  p.instructions = 123'000'000;
  p.cycles = 456'789;
  p.exits = 12;
  p.wall_seconds = 2;
  EXPECT_EQ(format_run_progress(p),
            "hvsim: 61.5 MIPS  123,000,000 insns  456,789 cycles  12 exits  0:02");
}

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

// Runs hvsim with its stderr (and stdout) on a pseudo-terminal; returns what
// the terminal received.
std::string run_on_pty(bool quiet) {
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    setenv("TERM", "xterm", 1);
    setenv("HVSIM_PROGRESS_DELAY", "0", 1);  // draw from the start
    const std::string kernel = std::string(HVSIM_WORKLOADS_DIR) + "/minikernel.elf";
    const std::string out = "/tmp/hvsim_progress_test_" + std::to_string(getppid());
    std::vector<std::string> args{HVSIM_REAL_BIN, "run", kernel, "--cmdline",
                                  "bench=syscall syscalls=100000000", "--max-insns", "30000000",
                                  "--out", out};
    if (quiet) args.push_back("--quiet");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child closed the terminal
    text.append(buf, static_cast<size_t>(n));
  }
  waitpid(pid, nullptr, 0);
  close(master);
  std::system(("rm -rf /tmp/hvsim_progress_test_" + std::to_string(getpid())).c_str());
  return text;
}

TEST(Progress, DrawnOnATerminalOnlyWithoutQuiet) {
  const std::string shown = run_on_pty(false);
  EXPECT_NE(shown.find("\r\033[Khvsim: "), std::string::npos) << shown;
  EXPECT_NE(shown.find(" insns  "), std::string::npos) << shown;
  EXPECT_NE(shown.find(" MIPS  "), std::string::npos) << shown;
  EXPECT_NE(shown.find("instruction limit of 30000000 reached"), std::string::npos) << shown;
  const std::string quiet = run_on_pty(true);
  EXPECT_EQ(quiet.find("\033[K"), std::string::npos) << quiet;
  EXPECT_NE(quiet.find("instruction limit of 30000000 reached"), std::string::npos) << quiet;
}

#endif

}  // namespace
