// Every output folder records the version and the full command line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "sim/app/run_info.h"
#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;
using hvsim::app::shell_quote;

TEST(RunInfo, ShellQuoting) {
  EXPECT_EQ(shell_quote("run"), "run");
  EXPECT_EQ(shell_quote("--set=timing.alu_cycles=2"), "--set=timing.alu_cycles=2");
  EXPECT_EQ(shell_quote("bench=syscall iters=10"), "'bench=syscall iters=10'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

TEST(RunInfo, RunAndSweepFoldersRecordVersionAndCommand) {
  const fs::path dir = fs::temp_directory_path() / ("hvsim_run_info_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string k = std::string(HVSIM_WORKLOADS_DIR) + "/minikernel.elf";
  auto o = hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                              {"run", k, "--cmdline", "bench=syscall syscalls=10", "--out", "r"});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto version = hvsim_test::run_in(dir, HVSIM_REAL_BIN, {"--version"}, "_v").out;
  const auto info = hvsim_test::lines_of(hvsim_test::read_all(dir / "r" / "run-info.txt"));
  ASSERT_EQ(info.size(), 3u);
  EXPECT_EQ(info[0] + "\n", version);
  EXPECT_EQ(info[1], "command: " + std::string(HVSIM_REAL_BIN) + " run " + k +
                         " --cmdline 'bench=syscall syscalls=10' --out r");
  EXPECT_EQ(info[2], "cwd: " + dir.string());
  o = hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                         {"sweep", k, "--cmdline", "bench=syscall syscalls=10", "--vary",
                          "timing.alu_cycles=1", "--out", "s"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(hvsim_test::read_all(dir / "s" / "run-info.txt").find("command: "), std::string::npos);
  // Each point is a run of its own, with its own record.
  EXPECT_NE(hvsim_test::read_all(dir / "s" / "point-000" / "run-info.txt").find(" run " + k),
            std::string::npos);
  fs::remove_all(dir);
}

#endif

}  // namespace
