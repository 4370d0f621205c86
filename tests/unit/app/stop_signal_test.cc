// Ctrl-C and SIGTERM end a real hvsim run at an instruction boundary with
// status 130 / 143 and keep stats.txt, stats.json and exits.txt; so do the
// --max-insns and --max-cycles ends.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

class StopSignal : public ::testing::Test {
 protected:
  fs::path dir;
  const std::string kernel = std::string(HVSIM_WORKLOADS_DIR) + "/minikernel.elf";

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("hvsim_stop_test_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }

  // Starts a run that would take minutes, waits until it simulates, sends
  // `sig`, and returns the exit status (-1 if killed by the signal).
  int interrupt_long_run(int sig) {
    const pid_t pid = fork();
    if (pid == 0) {
      const int out = open((dir / "stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = open((dir / "stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      const std::string out_dir = (dir / "o").string();
      execl(HVSIM_REAL_BIN, HVSIM_REAL_BIN, "run", kernel.c_str(), "--cmdline",
            "bench=syscall syscalls=1000000000", "--out", out_dir.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // config.resolved.toml is written just before the handlers are installed.
    for (int i = 0; i < 200 && !fs::exists(dir / "o" / "config.resolved.toml"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  void expect_outputs() {
    for (const char* f : {"stats.txt", "stats.json", "exits.txt"})
      EXPECT_TRUE(fs::exists(dir / "o" / f)) << f;
    EXPECT_NE(hvsim_test::read_all(dir / "o" / "stats.txt").find("cpu.instructions"),
              std::string::npos);
    EXPECT_NE(hvsim_test::read_all(dir / "o" / "stats.json").find("\"cpu.cycles\""),
              std::string::npos);
  }
};

TEST_F(StopSignal, CtrlCEndsWith130AndKeepsStatistics) {
  EXPECT_EQ(interrupt_long_run(SIGINT), 130);
  expect_outputs();
  const std::string err = hvsim_test::read_all(dir / "stderr.txt");
  EXPECT_NE(err.find("interrupted by SIGINT"), std::string::npos) << err;
  EXPECT_NE(err.find(" instructions, "), std::string::npos) << err;
}

TEST_F(StopSignal, SigtermEndsWith143AndKeepsStatistics) {
  EXPECT_EQ(interrupt_long_run(SIGTERM), 143);
  expect_outputs();
  EXPECT_NE(hvsim_test::read_all(dir / "stderr.txt").find("stopped by SIGTERM"),
            std::string::npos);
}

TEST_F(StopSignal, LimitsKeepStatistics) {
  auto o = hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                              {"run", kernel, "--max-insns", "200000", "--out", "o"});
  EXPECT_EQ(o.status, 82) << o.err;
  expect_outputs();
  fs::remove_all(dir / "o");
  o = hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                         {"run", kernel, "--max-cycles", "300000", "--out", "o"});
  EXPECT_EQ(o.status, 83) << o.err;
  expect_outputs();
}

#else
TEST(StopSignal, NeedsRealHvsim) { GTEST_SKIP() << "hvsim or the workloads are not built"; }
#endif

}  // namespace
