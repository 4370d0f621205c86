// Assertions shared by the QEMU and hvsim runs of the same workloads.
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "workload_util.h"

namespace hvsim_test {

inline constexpr const char* kSelftestArgs = "alpha beta=2 gamma";

// demo: every checksum line as in golden/demo.txt, timing lines present.
inline void expect_demo_output(const std::string& serial) {
  EXPECT_EQ(comparable(serial), read_golden("demo"));
  int timing = 0;
  for (const auto& l : lines(serial)) timing += l.rfind("timing: ", 0) == 0;
  EXPECT_EQ(timing, 5) << serial;
}

// selftest: all checks passed, enough of them ran, and the command line
// arrived with the program name as its first word.
inline void expect_selftest_output(const std::string& serial) {
  EXPECT_NE(serial.find("selftest: program selftest args \"" + std::string(kSelftestArgs) + "\"\n"),
            std::string::npos)
      << serial;
  EXPECT_NE(serial.find("printf: [  -42] [7    |] [-0042] [beef] [BEEF] [18446744073709551615] "
                        "[-9223372036854775808] [123456789abcdef] [str] [ab  |] [z] [%] [0x1000]\n"),
            std::string::npos)
      << serial;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(serial, m, std::regex("selftest: (\\d+) passed, (\\d+) failed\n"))) << serial;
  EXPECT_EQ(std::stoi(m[2]), 0) << serial;
  EXPECT_GE(std::stoi(m[1]), 120) << serial;
  for (const auto& l : lines(serial)) EXPECT_NE(l.rfind("FAIL", 0), 0u) << l;
}

// minikernel: the default command line (every benchmark at its default
// size) and a small one that exercises the same paths quickly.
inline constexpr const char* kMinikernelSmallArgs = "bench=all iters=200 ws=96 stride=520 passes=3 faults=40";
inline constexpr int kMinikernelTimingLines = 11;

// Every deterministic line as in golden/NAME.txt, one well-formed timing
// line per benchmark, no self-check failure.
inline void expect_minikernel_output(const std::string& serial, const std::string& golden) {
  EXPECT_EQ(comparable(serial), read_golden(golden));
  int timing = 0;
  const std::regex timing_line("timing: [a-z0-9.]+ \\d+\\.\\d cycles/iter");
  for (const auto& l : lines(serial)) {
    if (l.rfind("timing: ", 0) != 0) continue;
    timing++;
    EXPECT_TRUE(std::regex_match(l, timing_line)) << l;
  }
  EXPECT_EQ(timing, kMinikernelTimingLines) << serial;
  EXPECT_NE(serial.find("minikernel: 0 failures\n"), std::string::npos) << serial;
  for (const auto& l : lines(serial)) EXPECT_EQ(l.find("FAIL"), std::string::npos) << l;
}

// A number printed by the minikernel: the first capture of re in serial.
inline long long minikernel_number(const std::string& serial, const std::string& re) {
  std::smatch m;
  if (!std::regex_search(serial, m, std::regex(re))) return -1;
  return std::stoll(m[1]);
}

}  // namespace hvsim_test
