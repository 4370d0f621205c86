#include "sim/app/summary.h"

#include <gtest/gtest.h>

namespace hvsim::app {
namespace {

TEST(Summary, WithCommas) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(84123456), "84,123,456");
  EXPECT_EQ(with_commas(18446744073709551615u), "18,446,744,073,709,551,615");
}

TEST(Summary, Line) {
  platform::RunResult r;
  r.instructions = 84123456;
  r.cycles = 101234567;
  r.wall_seconds = 2.7;
  EXPECT_EQ(run_summary(r),
            "hvsim: 84,123,456 instructions, 101,234,567 cycles, IPC 0.83, 31.2 MIPS, 2.70 s wall "
            "(whole run; stats.txt: whole run)");
  r.stats_scope = "regions of interest";
  EXPECT_NE(run_summary(r).find("(whole run; stats.txt: regions of interest)"), std::string::npos);
}

TEST(Summary, ZeroCyclesAndWallDoNotDivideByZero) {
  platform::RunResult r;
  EXPECT_EQ(run_summary(r),
            "hvsim: 0 instructions, 0 cycles, IPC 0.00, 0.0 MIPS, 0.00 s wall (whole run; "
            "stats.txt: whole run)");
}

}  // namespace
}  // namespace hvsim::app
