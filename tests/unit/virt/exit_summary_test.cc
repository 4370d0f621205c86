// The perf-kvm-stat-style table on its own: order, percentages, widths.
#include "sim/virt/exit_summary.h"

#include <gtest/gtest.h>

namespace hvsim::virt {
namespace {

ReasonSummary row(const char* name, uint32_t reason, uint64_t samples, uint64_t total,
                  uint64_t min, uint64_t max) {
  ReasonSummary r;
  r.name = name;
  r.reason = reason;
  r.samples = samples;
  r.timed = samples;
  r.total_time = total;
  r.min_time = min;
  r.max_time = max;
  return r;
}

TEST(ExitSummary, SortedBySamplesThenTime) {
  ReasonSummary msr_write = row("MSR_WRITE", 32, 5, 500, 50, 150);
  msr_write.exit_cost = 5 * 1200;  // the last column: cycles each exit paid to leave the guest
  // Five times of mean 100 with M2 = 8000: sqrt(8000 / 4 / 5) = 20, 20 %.
  msr_write.time_m2 = 8000;
  const std::string s = format_exit_summary({row("HLT", 12, 1, 10, 10, 10),
                                             msr_write,
                                             row("IO_INSTRUCTION", 30, 1, 90, 90, 90),
                                             row("CPUID", 10, 2, 400, 100, 300)});
  EXPECT_EQ(s,
            "Analyze events for all VMs, all VCPUs (whole run; times in cycles, from each exit "
            "to the next entry):\n"
            "\n"
            "             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time               "
            " Avg time   Exit cost\n"
            "\n"
            "           MSR_WRITE          5    55.56%    50.00%          50         150    100.00 "
            "( +- 20.00% )     1200.00\n"
            "               CPUID          2    22.22%    40.00%         100         300    200.00 "
            "( +-  0.00% )        0.00\n"
            "      IO_INSTRUCTION          1    11.11%     9.00%          90          90     90.00 "
            "( +-  0.00% )        0.00\n"
            "                 HLT          1    11.11%     1.00%          10          10     10.00 "
            "( +-  0.00% )        0.00\n"
            "\n"
            "Total Samples:9, Total events handled time:1000cycles.\n");
}

TEST(ExitSummary, LongNamesWidenTheFirstColumn) {
  const std::string s =
      format_exit_summary({row("A_VERY_LONG_EXTENSION_EXIT_NAME", 70, 1, 3, 3, 3)});
  EXPECT_NE(s.find("\n                        VM-EXIT    Samples"), std::string::npos) << s;
  EXPECT_NE(s.find("\nA_VERY_LONG_EXTENSION_EXIT_NAME          1   100.00%   100.00%"),
            std::string::npos)
      << s;
}

TEST(ExitSummary, SpreadIsTheRelativeStandardErrorOfTheMean) {
  // Times 200, 400, 600: mean 400, M2 80000, sample variance 40000,
  // standard error sqrt(40000 / 3) = 115.47, 28.87 % of the mean.
  EXPECT_NEAR(relative_spread_percent(3, 1200, 80000), 28.8675, 1e-3);
  EXPECT_EQ(relative_spread_percent(1, 100, 0), 0.0);
  EXPECT_EQ(relative_spread_percent(2, 0, 0), 0.0);
}

TEST(ExitSummary, PortAndMsrBreakdowns) {
  std::vector<DetailSummary> io{{0x3f8, true, 3, 3, 300}, {0xf4, true, 1, 1, 50},
                                {0x3fd, false, 3, 3, 600}};
  std::vector<DetailSummary> msr{{0xc0000080, true, 2, 2, 100}};
  const std::string s =
      format_exit_summary({row("IO_INSTRUCTION", 30, 7, 950, 50, 200)}, io, msr);
  EXPECT_NE(s.find("I/O exits by port (IO_INSTRUCTION, VMEXIT_IOIO; times in cycles):\n\n"
                   "        PORT     DIR    Samples  Samples%    Avg time\n\n"
                   "      0x03f8     OUT          3    42.86%      100.00\n"
                   "      0x03fd      IN          3    42.86%      200.00\n"
                   "      0x00f4     OUT          1    14.29%       50.00\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("  0xc0000080   WRMSR          2   100.00%       50.00\n"), std::string::npos)
      << s;
  EXPECT_EQ(format_exit_summary({}).find("I/O exits"), std::string::npos);
}

TEST(ExitSummary, ZeroTimeGivesZeroPercent) {
  const std::string s = format_exit_summary({row("CPUID", 10, 2, 0, 0, 0)});
  EXPECT_NE(s.find("   100.00%     0.00%"), std::string::npos) << s;
}

}  // namespace
}  // namespace hvsim::virt
