// The workloads under qemu-system-x86_64 (TCG): the reference behaviour.
#include <gtest/gtest.h>

#include "workload_checks.h"

using namespace hvsim_test;

namespace {

#define REQUIRE_QEMU()                                                     \
  if (qemu_path().empty()) GTEST_SKIP() << "qemu-system-x86_64 not on PATH"

TEST(QemuWorkload, DemoChecksums) {
  REQUIRE_QEMU();
  auto r = run_qemu(workload_path("demo", true), "");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (0 << 1) | 1) << describe(r);
  expect_demo_output(r.out);
}

// The same demo built with -O2 -march=x86-64-v3 (AVX2, FMA, BMI): QEMU's TCG
// runs AVX2 since 7.2; the checksums must be the integer build's.
TEST(QemuWorkload, DemoV3Checksums) {
  REQUIRE_QEMU();
  auto r = run_qemu(workload_path("demo_v3", true), "");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (0 << 1) | 1) << describe(r);
  expect_demo_output(r.out);
}

TEST(QemuWorkload, SelftestPasses) {
  REQUIRE_QEMU();
  auto r = run_qemu(workload_path("selftest", true), kSelftestArgs);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (0 << 1) | 1) << describe(r);
  expect_selftest_output(r.out);
}

TEST(QemuWorkload, CommandLineStartsWithKernelPath) {
  // QEMU passes "<kernel path> <-append text>" as the multiboot cmdline;
  // hvsim puts the program name first too, which is why the guests print
  // only the words after the first one outside "info:" lines.
  REQUIRE_QEMU();
  auto path = workload_path("selftest", true);
  auto r = run_qemu(path, "x y");
  EXPECT_NE(r.out.find("info: cmdline \"" + path + " x y\""), std::string::npos) << describe(r);
}

TEST(QemuWorkload, MinikernelDefault) {
  REQUIRE_QEMU();
  auto r = run_qemu(workload_path("minikernel", true), "");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (0 << 1) | 1) << describe(r);
  expect_minikernel_output(r.out, "minikernel");
}

TEST(QemuWorkload, MinikernelSmall) {
  REQUIRE_QEMU();
  auto r = run_qemu(workload_path("minikernel", true), kMinikernelSmallArgs);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (0 << 1) | 1) << describe(r);
  expect_minikernel_output(r.out, "minikernel-small");
}

TEST(QemuWorkload, MinikernelRejectsBadArgument) {
  REQUIRE_QEMU();
  auto r = run_qemu(workload_path("minikernel", true), "ws=0");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (2 << 1) | 1) << describe(r);
  EXPECT_NE(r.out.find("minikernel: bad argument \"ws=0\"\n"), std::string::npos) << r.out;
}

}  // namespace
