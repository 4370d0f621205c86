// Options that compose (issue 18): --vary-cmdline / --vary-module axes, each
// point's exit trace, --metric and --trace-filter names checked before any
// point runs, a failing point's reason with the guest's own line, and
// `hvsim demo --config`.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sim/app/sweep_runner.h"
#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;

TEST(SweepCompose, GuestReasonLineLeadsAFailure) {
  const int exit2 = 2 << 8;  // a wait status: exited with 2
  const std::string err = "hvsim: guest wrote 2 to isa-debug-exit at port 0xf4\n"
                          "hvsim: 18 instructions, 849 cycles, IPC 0.02, 1.0 MIPS, 0.01 s wall\n";
  const std::string out = "info: cmdline \"k bench=bogus\"\nminikernel: bad argument\n"
                          "timing: x 1 cycles/iter\n";
  EXPECT_EQ(hvsim::app::guest_reason_line(out), "minikernel: bad argument");
  EXPECT_EQ(hvsim::app::point_failure_reason(exit2, err, out),
            "exit 2: guest: \"minikernel: bad argument\" (hvsim: guest wrote 2 to isa-debug-exit "
            "at port 0xf4)");
  // hvsim's own ends keep hvsim's line; a silent guest too.
  const std::string limit = "hvsim: instruction limit of 5 reached\n";
  EXPECT_EQ(hvsim::app::point_failure_reason(82 << 8, limit, out),
            "exit 82: hvsim: instruction limit of 5 reached");
  EXPECT_EQ(hvsim::app::point_failure_reason(exit2, err, "info: x\n"),
            "exit 2: hvsim: guest wrote 2 to isa-debug-exit at port 0xf4");
  EXPECT_EQ(hvsim::app::point_failure_reason(0, err, out), "");
}

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

const std::string kWl = HVSIM_WORKLOADS_DIR;

class ComposeProcess : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("hvsim_compose_test_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }
  hvsim_test::Outcome run(const std::vector<std::string>& args) {
    return hvsim_test::run_in(dir, HVSIM_REAL_BIN, args);
  }
};

TEST_F(ComposeProcess, CmdlineAndModuleAxesWithATracePerPoint) {
  const auto o = run({"sweep", kWl + "/hv_vmx.elf", "--vary-module",
                      kWl + "/minikernel.elf:bench=syscall syscalls=20", "--vary-cmdline",
                      "mmu=ept", "--vary-cmdline", "mmu=shadow", "--trace-exits", "exits.csv",
                      "--trace-filter", "cr_access", "--metric", "cpu.instructions,virt.exits",
                      "-j", "2", "--out", "sw"});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto csv = hvsim_test::lines_of(hvsim_test::read_all(dir / "sw" / "sweep.csv"));
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[0], "point,cmdline,module,status,exit_status,cpu.instructions,virt.exits,reason");
  const std::string module = kWl + "/minikernel.elf:bench=syscall syscalls=20";
  EXPECT_EQ(csv[1].rfind("point-000,mmu=ept," + module + ",ok,0,", 0), 0u) << csv[1];
  EXPECT_EQ(csv[2].rfind("point-001,mmu=shadow," + module + ",ok,0,", 0), 0u) << csv[2];
  // Shadow paging intercepts CR accesses; each point kept its own filtered trace.
  const std::string shadow = hvsim_test::read_all(dir / "sw" / "point-001" / "exits.csv");
  EXPECT_NE(shadow.find("CR_ACCESS"), std::string::npos);
  EXPECT_EQ(shadow.find("CPUID"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "sw" / "point-000" / "exits.csv"));
  EXPECT_NE(hvsim_test::read_all(dir / "sw" / "point-000" / "sweep-point.txt")
                .find("arg --cmdline\narg mmu=ept\n"),
            std::string::npos);
}

TEST_F(ComposeProcess, UnknownNamesAreBadInputBeforeAnyPointRuns) {
  const std::string k = kWl + "/minikernel.elf";
  auto o = run({"sweep", k, "--vary", "timing.alu_cycles=1,2", "--metric", "cpu.cycle", "--out",
                "a"});
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_NE(o.err.find("--metric cpu.cycle: no such statistic"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(dir / "a" / "point-000"));
  o = run({"sweep", k, "--vary", "timing.alu_cycles=1,2", "--trace-exits", "t.csv",
           "--trace-filter", "CPUID,NOT_A_REASON", "--out", "b"});
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_NE(o.err.find("--trace-filter NOT_A_REASON: not an exit reason"), std::string::npos)
      << o.err;
  EXPECT_FALSE(fs::exists(dir / "b" / "point-000"));
  o = run({"run", k, "--trace-exits", "t.csv", "--trace-filter", "bogus"});
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(hvsim_test::lines_of(o.err).size(), 1u) << o.err;
  // Known names pass: a per-reason family, guest.NAME, a statistic.
  o = run({"sweep", k, "--cmdline", "bench=syscall syscalls=10", "--vary",
           "timing.alu_cycles=1", "--metric", "cpu.cycles,virt.exits.CPUID,guest.syscall",
           "--out", "c"});
  EXPECT_EQ(o.status, 0) << o.err;
  o = run({"sweep", k, "--out", "d"});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("--vary"), std::string::npos);
}

TEST_F(ComposeProcess, FailingPointShowsTheGuestsReason) {
  const auto o = run({"sweep", kWl + "/minikernel.elf", "--vary-cmdline", "bench=bogus", "--out",
                      "f"});
  EXPECT_EQ(o.status, 1);
  const auto csv = hvsim_test::read_all(dir / "f" / "sweep.csv");
  EXPECT_NE(csv.find("failed,2,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("guest: \"\"minikernel: bad argument"), std::string::npos) << csv;
  EXPECT_NE(o.err.find("FAILED, exit 2: guest: \"minikernel: bad argument"), std::string::npos)
      << o.err;
}

TEST_F(ComposeProcess, DemoConfigIsCheckedAndGivenToEverySetup) {
  std::ofstream(dir / "bad.toml") << "[timing]\nno_such_key = 1\n";
  auto o = run({"demo", "--workloads", kWl, "--config", "bad.toml", "--out", "d"});
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_NE(o.err.find("no_such_key"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(dir / "d" / "native"));
}

#endif

}  // namespace
