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

// The demo compiled with -O2 -march=x86-64-v3 (SSE..AVX2, FMA; the vector
// state enabled by its entry) prints the integer build's checksums.
TEST(HvsimWorkload, DemoV3SameChecksums) {
  auto v3 = run_hvsim(kHvsim, workload_path("demo_v3", false), "");
  auto base = run_hvsim(kHvsim, workload_path("demo", false), "");
  ASSERT_FALSE(v3.timed_out || base.timed_out);
  EXPECT_EQ(v3.exit_code, 0) << describe(v3);
  auto sums = [](const std::string& out) {
    std::string r;
    std::regex line("[a-z0-9]+: (checksum|total) [0-9a-f]{16}");
    for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it)
      r += it->str() + "\n";
    return r;
  };
  EXPECT_FALSE(sums(base.out).empty()) << describe(base);
  EXPECT_EQ(sums(v3.out), sums(base.out)) << describe(v3);
}

// fpu_exc: the SSE/AVX enable rules and exceptions from a freestanding kernel.
// (Not compared with QEMU: TCG raises neither #XM for unmasked SIMD
// exceptions nor #GP for LDMXCSR reserved bits, and fails those 4 checks.)
TEST(HvsimWorkload, FpuExcPasses) {
  auto r = run_hvsim(kHvsim, workload_path("fpu_exc", false), "");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("fpu_exc: 19 passed, 0 failed"), std::string::npos) << describe(r);
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

// minikernel with every benchmark at its default size: golden output, exit
// 0, and the whole run within the simulated-work budget.
TEST(HvsimWorkload, MinikernelDefault) {
  auto r = run_hvsim(kHvsim, workload_path("minikernel", false), "");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  expect_minikernel_output(r.out, "minikernel");
  // The run summary on stderr counts the whole run (stats.json may cover
  // only the last region of interest).
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("hvsim: ([0-9,]+) instructions"))) << describe(r);
  std::string digits;
  for (char c : m[1].str())
    if (c != ',') digits += c;
  long long insns = std::stoll(digits);
  EXPECT_GT(insns, 10000000) << describe(r);
  EXPECT_LT(insns, 300000000) << describe(r);
}

// The page-fault benchmark alone: its timed loop is the last region of
// interest, and every demand fault in it is a walk that ended in #PF and
// an exception delivered through the IDT.  (Whether stats.json covers the
// region or the whole run, the counters are at least the fault count.)
TEST(HvsimWorkload, MinikernelPageFaultCounters) {
  std::string stats;
  auto r = run_hvsim(kHvsim, workload_path("minikernel", false), "bench=pgfault faults=300", &stats);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("pgfault: 300 iterations, faults 300, checksum "), std::string::npos) << r.out;
  long long demand = minikernel_number(r.out, "minikernel: demand faults (\\d+),");
  EXPECT_GE(demand, 300) << r.out;
  ASSERT_FALSE(stats.empty()) << describe(r);
  EXPECT_GE(stats_counter(stats, "mmu.page_faults"), 300) << stats;
  EXPECT_GE(stats_counter(stats, "cpu.exceptions"), 300) << stats;
  EXPECT_GE(stats_counter(stats, "mmu.walks"), 300) << stats;
}

// The kernel-mode nanobenchmarks alone: #PF, #DE and port reads counted.
TEST(HvsimWorkload, MinikernelNanoCounters) {
  std::string stats;
  auto r = run_hvsim(kHvsim, workload_path("minikernel", false), "bench=nano nano=700", &stats);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("nano.divzero: 700 iterations, faults 700\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nano.pgfault: 700 iterations, faults 700, checksum 3262000\n"), std::string::npos) << r.out;
  ASSERT_FALSE(stats.empty()) << describe(r);
  // The last region is ptemod's loop: 700 INVLPGs, each followed by a walk.
  EXPECT_GE(stats_counter(stats, "mmu.walks"), 700) << stats;
}

TEST(HvsimWorkload, MinikernelSmall) {
  auto r = run_hvsim(kHvsim, workload_path("minikernel", false), kMinikernelSmallArgs);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  expect_minikernel_output(r.out, "minikernel-small");
  auto r32 = run_hvsim(kHvsim, workload_path("minikernel", true), kMinikernelSmallArgs);
  EXPECT_EQ(r32.exit_code, 0) << describe(r32);
  EXPECT_EQ(comparable(r32.out), comparable(r.out));
}

TEST(HvsimWorkload, MinikernelRejectsBadArgument) {
  auto r = run_hvsim(kHvsim, workload_path("minikernel", false), "bench=tlb,nope");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_NE(r.out.find("minikernel: bad argument \"bench=tlb,nope\"\n"), std::string::npos) << r.out;
}

TEST(HvsimVsQemu, MinikernelSameSerialOutput) {
  if (qemu_path().empty()) GTEST_SKIP() << "qemu-system-x86_64 not on PATH";
  for (const char* args : {"", kMinikernelSmallArgs}) {
    SCOPED_TRACE(args);
    auto q = run_qemu(workload_path("minikernel", true), args);
    auto h = run_hvsim(kHvsim, workload_path("minikernel", false), args);
    ASSERT_FALSE(q.timed_out || h.timed_out);
    EXPECT_EQ(h.exit_code, 0) << describe(h);
    EXPECT_EQ(q.exit_code, (h.exit_code << 1) | 1) << describe(q);
    EXPECT_EQ(comparable(h.out), comparable(q.out));
  }
}

}  // namespace
