// `hvsim sweep` end to end with the real hvsim and the mini kernel: the CSV,
// parallel points, re-runs that skip finished points, --force, a failing
// point, plots; and every preset in configs/ loads (`config --show`).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

using hvsim_test::lines_of;
using hvsim_test::Outcome;
using hvsim_test::read_all;

class SweepProcess : public ::testing::Test {
 protected:
  fs::path dir;
  const std::string kernel = std::string(HVSIM_WORKLOADS_DIR) + "/minikernel.elf";

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("hvsim_sweep_test_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }

  Outcome run(const std::vector<std::string>& args) {
    return hvsim_test::run_in(dir, HVSIM_REAL_BIN, args);
  }

  std::vector<std::string> sweep_args(std::vector<std::string> extra) {
    std::vector<std::string> a{"sweep", kernel, "--cmdline", "bench=syscall syscalls=200",
                               "--out", "sw"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> grid_2x2() {
    return sweep_args(
        {"--vary", "timing.alu_cycles=1,2", "--vary", "timing.call_ret_cycles=2,4", "-j", "2"});
  }
  std::vector<std::string> csv() { return lines_of(read_all(dir / "sw" / "sweep.csv")); }
};

TEST_F(SweepProcess, TwoByTwoGridInParallel) {
  const Outcome o = run(grid_2x2());
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "");  // the guests' output is in each point's folder
  const auto rows = csv();
  ASSERT_EQ(rows.size(), 5u) << read_all(dir / "sw" / "sweep.csv");
  EXPECT_EQ(rows[0],
            "point,timing.alu_cycles,timing.call_ret_cycles,status,exit_status,cpu.cycles,"
            "cpu.instructions,virt.exits,virt.world_switch_cycles,guest.syscall,reason");
  const char* want_prefix[4] = {"point-000,1,2,ok,0,", "point-001,1,4,ok,0,", "point-002,2,2,ok,0,",
                                "point-003,2,4,ok,0,"};
  std::vector<long> cycles;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(rows[i + 1].rfind(want_prefix[i], 0), 0u) << rows[i + 1];
    cycles.push_back(std::stol(rows[i + 1].substr(std::string(want_prefix[i]).size())));
    EXPECT_TRUE(fs::exists(dir / "sw" / ("point-00" + std::to_string(i)) / "stats.json"));
    EXPECT_NE(read_all(dir / "sw" / ("point-00" + std::to_string(i)) / "stdout.txt")
                  .find("timing: syscall "),
              std::string::npos);
  }
  // Dearer ALU and call/ret cost more cycles, and the same instructions.
  EXPECT_LT(cycles[0], cycles[1]);
  EXPECT_LT(cycles[0], cycles[2]);
  EXPECT_LT(cycles[2], cycles[3]);
  EXPECT_NE(o.err.find("up to 2 at once"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("4 ok, 0 failed"), std::string::npos) << o.err;
  if (std::system("command -v gnuplot >/dev/null 2>&1") == 0) {
    for (const char* m : {"cpu.cycles", "cpu.instructions", "guest.syscall"}) {
      const fs::path png = dir / "sw" / ("plot-" + std::string(m) + ".png");
      ASSERT_TRUE(fs::exists(png)) << png;
      EXPECT_EQ(read_all(png).substr(1, 3), "PNG");
    }
  }
}

TEST_F(SweepProcess, ReRunSkipsFinishedPointsUnlessForced) {
  ASSERT_EQ(run(grid_2x2()).status, 0);
  const std::string first = read_all(dir / "sw" / "sweep.csv");
  const auto stamp = fs::last_write_time(dir / "sw" / "point-001" / "stats.json");

  Outcome o = run(grid_2x2());
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("4 points (0 to run, 4 already done)"), std::string::npos) << o.err;
  EXPECT_EQ(read_all(dir / "sw" / "sweep.csv"), first);
  EXPECT_EQ(fs::last_write_time(dir / "sw" / "point-001" / "stats.json"), stamp);

  // A point whose results are gone (or cut short) is run again, alone.
  fs::remove(dir / "sw" / "point-002" / "stats.json");
  o = run(grid_2x2());
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("(1 to run, 3 already done)"), std::string::npos) << o.err;
  EXPECT_EQ(read_all(dir / "sw" / "sweep.csv"), first);

  // Growing the grid runs only the new points.
  auto bigger = sweep_args(
      {"--vary", "timing.alu_cycles=1,2,3", "--vary", "timing.call_ret_cycles=2,4", "-j", "2"});
  o = run(bigger);
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("6 points (2 to run, 4 already done)"), std::string::npos) << o.err;
  EXPECT_EQ(csv().size(), 7u);

  auto forced = grid_2x2();
  forced.push_back("--force");
  o = run(forced);
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("(4 to run, 0 already done)"), std::string::npos) << o.err;
  EXPECT_EQ(read_all(dir / "sw" / "sweep.csv"), first);  // deterministic
}

TEST_F(SweepProcess, AFailingPointIsReportedAndTheOthersFinish) {
  // 2 MiB of RAM cannot hold the kernel's working set: the guest gives up
  // and writes 2 to the debug-exit port.
  const Outcome o =
      run(sweep_args({"--vary", "memory.size_mib=2,128", "--vary", "timing.alu_cycles=1,2", "-j",
                      "2", "--metric", "cpu.cycles,guest.syscall"}));
  EXPECT_EQ(o.status, 1) << o.err;
  const auto rows = csv();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0],
            "point,memory.size_mib,timing.alu_cycles,status,exit_status,cpu.cycles,guest.syscall,"
            "reason");
  for (int i : {1, 2}) {
    EXPECT_EQ(rows[i].rfind("point-00" + std::to_string(i - 1) + ",2,", 0), 0u) << rows[i];
    EXPECT_NE(rows[i].find(",failed,2,"), std::string::npos) << rows[i];
    // The guest's own reason first, then hvsim's line.
    EXPECT_NE(rows[i].find(",\"exit 2: guest: \"\"minikernel: bad ws/stride"), std::string::npos)
        << rows[i];
    EXPECT_NE(rows[i].find("(hvsim: guest wrote 2 to isa-debug-exit"), std::string::npos)
        << rows[i];
  }
  for (int i : {3, 4}) {
    EXPECT_NE(rows[i].find(",128,"), std::string::npos) << rows[i];
    EXPECT_NE(rows[i].find(",ok,0,"), std::string::npos) << rows[i];
    EXPECT_EQ(rows[i].back(), ',');  // no reason
  }
  EXPECT_NE(o.err.find("FAILED, exit 2: guest: \"minikernel: bad ws/stride"), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("2 ok, 2 failed"), std::string::npos) << o.err;

  // Failed points are not "done": a re-run tries them again.
  const Outcome again =
      run(sweep_args({"--vary", "memory.size_mib=2,128", "--vary", "timing.alu_cycles=1,2", "-j",
                      "2", "--metric", "cpu.cycles,guest.syscall"}));
  EXPECT_NE(again.err.find("(2 to run, 2 already done)"), std::string::npos) << again.err;
}

TEST_F(SweepProcess, InstructionLimitFailsAPoint) {
  const Outcome o = run(sweep_args({"--vary", "timing.alu_cycles=1", "--max-insns", "1000"}));
  EXPECT_EQ(o.status, 1);
  const auto rows = csv();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_NE(rows[1].find(",failed,82,"), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find("exit 82: hvsim: instruction limit of 1000 reached"), std::string::npos)
      << rows[1];
}

TEST_F(SweepProcess, BadInputIsOneLineAndRunsNothing) {
  const std::vector<std::vector<std::string>> bad{
      sweep_args({"--vary", "timing.alu_cyles=1,2"}),
      sweep_args({"--vary", "timing.alu_cycles=1,x"}),
      sweep_args({"--vary", "timing.alu_cycles=4:1:1"}),
      sweep_args({"--vary", "timing.alu_cycles=1,2", "--set", "timing.alu_cycles=3"}),
      sweep_args({"--vary", "timing.alu_cycles=1,2", "--set", "nope=1"}),
      sweep_args({"--vary", "timing.alu_cycles=1,2", "-j", "0"}),
      sweep_args({"--vary", "timing.alu_cycles=1,2", "--config", "missing.toml"}),
      sweep_args({}),
      {"sweep", "missing.elf", "--vary", "timing.alu_cycles=1"},
  };
  for (const auto& args : bad) {
    const Outcome o = run(args);
    EXPECT_EQ(o.status, 2) << args.back() << ": " << o.err;
    EXPECT_EQ(lines_of(o.err).size(), 1u) << o.err;
    EXPECT_EQ(o.err.rfind("hvsim: error: ", 0), 0u) << o.err;
    EXPECT_FALSE(fs::exists(dir / "sw" / "point-000")) << o.err;
  }
  EXPECT_EQ(run(sweep_args({"--vary", "timing.alu_cyles=1,2"})).err,
            "hvsim: error: --vary timing.alu_cyles: unknown key 'timing.alu_cyles'\n");
}

TEST(Presets, EveryPresetLoads) {
  const fs::path configs = fs::path(HVSIM_SOURCE_DIR) / "configs";
  int n = 0;
  for (const auto& e : fs::directory_iterator(configs)) {
    if (e.path().extension() != ".toml") continue;
    ++n;
    const std::string cmd = "'" HVSIM_REAL_BIN "' config --show '" + e.path().string() +
                            "' >/dev/null 2>/tmp/hvsim_preset_err_" + std::to_string(getpid());
    const int rc = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0)
        << e.path() << ": " << read_all("/tmp/hvsim_preset_err_" + std::to_string(getpid()));
  }
  fs::remove("/tmp/hvsim_preset_err_" + std::to_string(getpid()));
  EXPECT_GE(n, 4);
}

#else
TEST(SweepProcess, NeedsTheRealBinary) {
  GTEST_SKIP() << "hvsim or the workloads are not built";
}
#endif

}  // namespace
