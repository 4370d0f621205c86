// The workloads under hvsim: same output as the golden files and QEMU,
// from both the ELF64 and the ELF32 image.
#include <gtest/gtest.h>

#include "workload_checks.h"

using namespace hvsim_test;

namespace {

const std::string kHvsim = HVSIM_BIN;

TEST(HvsimWorkload, DemoChecksums) {
  auto r = run_hvsim(kHvsim, workload_path("demo", false), "");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  expect_demo_output(r.out);
}

TEST(HvsimWorkload, SelftestPasses) {
  auto r = run_hvsim(kHvsim, workload_path("selftest", false), kSelftestArgs);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  expect_selftest_output(r.out);
}

TEST(HvsimWorkload, Elf32SameAsElf64) {
  for (const char* name : {"demo", "selftest"}) {
    SCOPED_TRACE(name);
    std::string args = std::string(name) == "selftest" ? kSelftestArgs : "";
    auto r64 = run_hvsim(kHvsim, workload_path(name, false), args);
    auto r32 = run_hvsim(kHvsim, workload_path(name, true), args);
    ASSERT_FALSE(r64.timed_out || r32.timed_out);
    EXPECT_EQ(r32.exit_code, r64.exit_code) << describe(r32);
    EXPECT_EQ(comparable(r32.out), comparable(r64.out));
    EXPECT_FALSE(comparable(r64.out).empty()) << describe(r64);
  }
}

// Exit code of the guest: a selftest failure count travels through
// port 0xf4 unchanged (QEMU would report (v << 1) | 1).
TEST(HvsimWorkload, ExitCodeIsPortValue) {
  auto r = run_hvsim(kHvsim, workload_path("selftest", false), kSelftestArgs);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("(\\d+) failed\n"))) << describe(r);
  EXPECT_EQ(r.exit_code, std::stoi(m[1]));
}

TEST(HvsimVsQemu, SameSerialOutput) {
  if (qemu_path().empty()) GTEST_SKIP() << "qemu-system-x86_64 not on PATH";
  for (const char* name : {"demo", "selftest"}) {
    SCOPED_TRACE(name);
    std::string args = std::string(name) == "selftest" ? kSelftestArgs : "";
    auto q = run_qemu(workload_path(name, true), args);
    auto h = run_hvsim(kHvsim, workload_path(name, false), args);
    ASSERT_FALSE(q.timed_out || h.timed_out);
    EXPECT_EQ(q.exit_code, (h.exit_code << 1) | 1) << describe(h);
    EXPECT_EQ(comparable(h.out), comparable(q.out));
  }
}

}  // namespace
