// timing.fast_forward / timing.sample: the strings, the phase each
// instruction count falls in, and the window statistics (mean, standard
// deviation, Student's t interval).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/timing/sample_schedule.h"

namespace hvsim::timing {
namespace {

TEST(SampleSchedule, ParsesTheForms) {
  EXPECT_EQ(SampleSchedule::parse_fast_forward("insns:1000"), 1000u);
  EXPECT_EQ(SampleSchedule::parse_fast_forward("insns:0x100"), 256u);
  EXPECT_EQ(SampleSchedule::parse_fast_forward("insns:1_000_000"), 1000000u);
  SampleSchedule s;
  SampleSchedule::parse_sample("100000:2000:90000", &s);
  EXPECT_EQ(s.period, 100000u);
  EXPECT_EQ(s.window, 2000u);
  EXPECT_EQ(s.warmup, 90000u);
  SampleSchedule::parse_sample("10:10:0", &s);  // windows back to back
  EXPECT_EQ(s.window, 10u);
}

TEST(SampleSchedule, RejectsBadStringsWithOneLine) {
  for (const char* bad : {"", "1000", "insns:", "insns:-1", "insns:x", "cycles:10", "insns:0"}) {
    try {
      SampleSchedule::parse_fast_forward(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const base::ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  for (const char* bad :
       {"", "1:2", "1:2:3:4", "a:1:1", "10:0:5", "10:20:0", "10:5:6", ":1:1", "10::1", "10:1:"}) {
    SampleSchedule s;
    EXPECT_THROW(SampleSchedule::parse_sample(bad, &s), base::ConfigError) << bad;
  }
}

TEST(SampleSchedule, FastForwardThenDetailed) {
  SampleSchedule s;
  s.fast_forward = 500;
  uint64_t end = 0;
  EXPECT_EQ(s.phase_at(0, &end), Phase::kFunctional);
  EXPECT_EQ(end, 500u);
  EXPECT_EQ(s.phase_at(499, &end), Phase::kFunctional);
  EXPECT_EQ(s.phase_at(500, &end), Phase::kDetailed);
  EXPECT_EQ(end, ~0ull);
}

TEST(SampleSchedule, PeriodsSplitFunctionalWarmingWindow) {
  SampleSchedule s;
  s.fast_forward = 50;
  s.period = 100;
  s.window = 10;
  s.warmup = 30;
  uint64_t end = 0;
  EXPECT_EQ(s.phase_at(10, &end), Phase::kFunctional);  // the fast-forward
  EXPECT_EQ(end, 50u);
  EXPECT_EQ(s.phase_at(50, &end), Phase::kFunctional);  // period 0: [50, 110)
  EXPECT_EQ(end, 110u);
  EXPECT_EQ(s.phase_at(110, &end), Phase::kWarming);
  EXPECT_EQ(end, 140u);
  EXPECT_EQ(s.phase_at(139, &end), Phase::kWarming);
  EXPECT_EQ(s.phase_at(140, &end), Phase::kDetailed);
  EXPECT_EQ(end, 150u);
  EXPECT_EQ(s.phase_at(150, &end), Phase::kFunctional);  // period 1
  EXPECT_EQ(end, 210u);
  EXPECT_EQ(s.phase_at(1045, &end), Phase::kDetailed);  // period 9: window [1040, 1050)
  EXPECT_EQ(end, 1050u);
}

TEST(SampleSchedule, NoFunctionalPartWhenWarmingFillsThePeriod) {
  SampleSchedule s;
  s.period = 100;
  s.window = 10;
  s.warmup = 90;
  uint64_t end = 0;
  EXPECT_EQ(s.phase_at(0, &end), Phase::kWarming);
  EXPECT_EQ(end, 90u);
  EXPECT_EQ(s.phase_at(95, &end), Phase::kDetailed);
  EXPECT_EQ(s.phase_at(100, &end), Phase::kWarming);
}

TEST(WindowStats, MeanDeviationAndStudentInterval) {
  WindowStats w;
  EXPECT_TRUE(std::isnan(w.mean_cpi()));
  // CPIs 1, 2, 3, 4 (windows of 100 instructions).
  for (uint64_t c : {100u, 200u, 300u, 400u}) w.add(c, 100);
  EXPECT_EQ(w.windows(), 4u);
  EXPECT_EQ(w.cycles(), 1000u);
  EXPECT_EQ(w.instructions(), 400u);
  EXPECT_DOUBLE_EQ(w.mean_cpi(), 2.5);
  const double sd = std::sqrt(5.0 / 3.0);  // sum of squares 5, n - 1 = 3
  EXPECT_NEAR(w.stddev_cpi(), sd, 1e-12);
  EXPECT_NEAR(w.ci95(), 3.182 * sd / 2.0, 1e-9);  // t(0.975, 3) = 3.182
  WindowStats one;
  one.add(50, 100);
  EXPECT_DOUBLE_EQ(one.mean_cpi(), 0.5);
  EXPECT_TRUE(std::isnan(one.ci95()));
}

TEST(WindowStats, StudentQuantilesTendToTheNormal) {
  EXPECT_DOUBLE_EQ(WindowStats::t975(1), 12.706);
  EXPECT_DOUBLE_EQ(WindowStats::t975(30), 2.042);
  EXPECT_NEAR(WindowStats::t975(60), 2.000, 0.003);
  EXPECT_NEAR(WindowStats::t975(120), 1.980, 0.003);
  EXPECT_NEAR(WindowStats::t975(100000), 1.960, 0.001);
  for (uint64_t df = 1; df < 200; ++df) EXPECT_GE(WindowStats::t975(df), WindowStats::t975(df + 1));
}

}  // namespace
}  // namespace hvsim::timing
