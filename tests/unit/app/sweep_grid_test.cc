// Sweep grid: parsing of --vary (lists, integer and decimal ranges), the
// cross product's order, point names, and the checks against the registry.
#include <gtest/gtest.h>

#include "sim/app/sweep_grid.h"

namespace hvsim::app {
namespace {

using Values = std::vector<std::string>;

TEST(SweepGrid, ListKeepsOrderAndTrims) {
  const SweepAxis a = parse_vary("timing.alu_cycles=3, 1,2");
  EXPECT_EQ(a.key, "timing.alu_cycles");
  EXPECT_EQ(a.values, (Values{"3", "1", "2"}));
  EXPECT_EQ(parse_vary("cpu.vendor=AuthenticAMD").values, (Values{"AuthenticAMD"}));
}

TEST(SweepGrid, IntegerRangeIncludesStop) {
  EXPECT_EQ(parse_vary("k=100:400:100").values, (Values{"100", "200", "300", "400"}));
  EXPECT_EQ(parse_vary("k=1:10:4").values, (Values{"1", "5", "9"}));  // stop not on a step
  EXPECT_EQ(parse_vary("k=5:5:1").values, (Values{"5"}));
  EXPECT_EQ(parse_vary("k=8:2:-3").values, (Values{"8", "5", "2"}));
  EXPECT_EQ(parse_vary("k=-2:2:2").values, (Values{"-2", "0", "2"}));
}

TEST(SweepGrid, DecimalRangeHasNoRoundingNoise) {
  EXPECT_EQ(parse_vary("k=0.1:0.3:0.1").values, (Values{"0.1", "0.2", "0.3"}));
  EXPECT_EQ(parse_vary("k=0.5:2:0.25").values,
            (Values{"0.50", "0.75", "1.00", "1.25", "1.50", "1.75", "2.00"}));
  EXPECT_EQ(parse_vary("k=1:0:-0.5").values, (Values{"1.0", "0.5", "0.0"}));
  EXPECT_EQ(parse_vary("k=-0.2:0.2:0.2").values, (Values{"-0.2", "0.0", "0.2"}));
}

TEST(SweepGrid, BadSpecsAreOneLineErrors) {
  for (const char* bad :
       {"timing.alu_cycles", "=1,2", "k=", "k=1,,2", "k=1:2", "k=1:2:3:4", "k=1:5:0", "k=5:1:1",
        "k=1:2:-1", "k=0.5:1:0", "k=a:b:c", "k=1:2:x", "k=1e3:2e3:1"}) {
    try {
      parse_vary(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const base::ConfigError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.rfind("--vary " + std::string(bad), 0), 0u) << what;
    }
  }
  EXPECT_THROW(parse_vary("k=0:1000000:1"), base::ConfigError);  // too many values
}

std::string vary_error(const std::string& arg) {
  try {
    parse_vary(arg);
  } catch (const base::ConfigError& e) {
    return e.what();
  }
  return "";
}

// Ranges found by fuzzing: each is one ConfigError line, never a trap or a
// stray std::out_of_range ("internal error: stod").
TEST(SweepGrid, ExtremeRangesAreOneLineErrors) {
  // INT64_MIN - 0 overflows int64, and INT64_MIN / -1 raised SIGFPE.
  EXPECT_EQ(vary_error("k=0:-9223372036854775808:-1"),
            "--vary k=0:-9223372036854775808:-1: range '0:-9223372036854775808:-1': more than "
            "100000 values");
  EXPECT_EQ(vary_error("k=-9223372036854775808:9223372036854775807:1"),
            "--vary k=-9223372036854775808:9223372036854775807:1: range "
            "'-9223372036854775808:9223372036854775807:1': more than 100000 values");
  EXPECT_EQ(vary_error("k=9223372036854775807:-9223372036854775808:1"),
            "--vary k=9223372036854775807:-9223372036854775808:1: range "
            "'9223372036854775807:-9223372036854775808:1': step goes away from stop");
  EXPECT_EQ(parse_vary("k=9223372036854775806:9223372036854775807:1").values,
            (Values{"9223372036854775806", "9223372036854775807"}));
  EXPECT_EQ(parse_vary("k=-9223372036854775807:-9223372036854775808:-1").values,
            (Values{"-9223372036854775807", "-9223372036854775808"}));
  const std::string huge = "1" + std::string(400, '0') + ".5";
  EXPECT_EQ(vary_error("k=0.5:" + huge + ":1"), "--vary k=0.5:" + huge + ":1: range '0.5:" + huge +
                                                    ":1': '" + huge + "' is out of range");
  EXPECT_EQ(vary_error("k=0.5:10000000000000000.5:1"),
            "--vary k=0.5:10000000000000000.5:1: range '0.5:10000000000000000.5:1': "
            "'10000000000000000.5' is out of range (at most 1e15)");
  const std::string tiny = "0." + std::string(400, '0') + "1";
  EXPECT_EQ(vary_error("k=0:1:" + tiny), "--vary k=0:1:" + tiny + ": range '0:1:" + tiny +
                                             "': more than 9 digits after the point");
  EXPECT_EQ(vary_error("k=0:1:0.000000001"),
            "--vary k=0:1:0.000000001: range '0:1:0.000000001': more than 100000 values");
  EXPECT_EQ(parse_vary("k=0.000000001:0.000000003:0.000000001").values,
            (Values{"0.000000001", "0.000000002", "0.000000003"}));
  EXPECT_EQ(parse_vary("k=-999999999999999.5:-999999999999998.5:0.5").values,
            (Values{"-999999999999999.5", "-999999999999999.0", "-999999999999998.5"}));
}

// The grid's size is checked before any point is allocated.
TEST(SweepGrid, GridLargerThanTheCapIsRefused) {
  const std::vector<SweepAxis> axes{parse_vary("a=2:65536:1"), parse_vary("b=1:100000:1")};
  try {
    expand_grid(axes);
    FAIL() << "accepted";
  } catch (const base::ConfigError& e) {
    EXPECT_STREQ(e.what(), "--vary: the grid has 6553500000 points, more than the cap of 100000");
  }
  std::vector<SweepAxis> many(6, parse_vary("a=1:100000:1"));  // 10^30 points: wraps uint64
  EXPECT_THROW(
      {
        try {
          grid_size(many);
        } catch (const base::ConfigError& e) {
          EXPECT_STREQ(e.what(),
                       "--vary: the grid has more than 2^64 points, more than the cap of 100000");
          throw;
        }
      },
      base::ConfigError);
  EXPECT_EQ(grid_size({parse_vary("a=1:1000:1"), parse_vary("b=1:100:1")}), 100000u);
  EXPECT_EQ(grid_size({}), 0u);
}

TEST(SweepGrid, CrossProductIsRowMajorLastAxisFastest) {
  const std::vector<SweepAxis> axes{{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}};
  const std::vector<SweepPoint> pts = expand_grid(axes);
  ASSERT_EQ(pts.size(), 6u);
  const std::vector<Values> want{{"1", "x"}, {"1", "y"}, {"1", "z"},
                                 {"2", "x"}, {"2", "y"}, {"2", "z"}};
  for (size_t i = 0; i < pts.size(); ++i) {
    EXPECT_EQ(pts[i].index, i);
    EXPECT_EQ(pts[i].values, want[i]);
    EXPECT_EQ(pts[i].sets, (Values{"a=" + want[i][0], "b=" + want[i][1]}));
  }
  EXPECT_EQ(pts[4].coords, (std::vector<size_t>{1, 1}));
  EXPECT_EQ(expand_grid({{"a", {"1", "2"}}, {"b", {"3"}}, {"c", {"4", "5"}}}).size(), 4u);
  EXPECT_TRUE(expand_grid({}).empty());
}

TEST(SweepGrid, PointNamesSortInGridOrder) {
  EXPECT_EQ(point_name(7, 4), "point-007");
  EXPECT_EQ(point_name(999, 1000), "point-999");
  EXPECT_EQ(point_name(12, 1001), "point-0012");
}

class SweepAxesCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    reg.add_uint("timing.alu_cycles", 1, "cycles", "alu", 0, 1000);
    reg.add_string("cpu.vendor", "GenuineIntel", "vendor", {"GenuineIntel", "AuthenticAMD"});
    reg.add_double("x.ratio", 0.5, "", "a ratio", 0, 1);
  }
  std::string error_of(const std::vector<SweepAxis>& axes) {
    try {
      check_axes(axes, reg);
    } catch (const base::ConfigError& e) {
      return e.what();
    }
    return "";
  }
  base::ParamRegistry reg;
};

TEST_F(SweepAxesCheck, AcceptsGoodAxes) {
  EXPECT_EQ(error_of({parse_vary("timing.alu_cycles=0:1000:250"),
                      parse_vary("cpu.vendor=GenuineIntel,AuthenticAMD"),
                      parse_vary("x.ratio=0:1:0.25")}),
            "");
}

TEST_F(SweepAxesCheck, RejectsUnknownKeysBadValuesAndRepeats) {
  EXPECT_EQ(error_of({parse_vary("timing.alu_cyles=1,2")}),
            "--vary timing.alu_cyles: unknown key 'timing.alu_cyles'");
  EXPECT_NE(
      error_of({parse_vary("timing.alu_cycles=1,two")}).find("--vary timing.alu_cycles=two: "),
      std::string::npos);
  EXPECT_NE(error_of({parse_vary("timing.alu_cycles=999:1001:1")}).find("=1001: "),
            std::string::npos);
  EXPECT_NE(error_of({parse_vary("timing.alu_cycles=-1,1")}).find("=-1: "), std::string::npos);
  EXPECT_NE(error_of({parse_vary("cpu.vendor=Cyrix")}).find("=Cyrix: "), std::string::npos);
  EXPECT_NE(error_of({parse_vary("x.ratio=0.5:1.5:0.5")}).find("=1.5: "), std::string::npos);
  EXPECT_EQ(error_of({parse_vary("timing.alu_cycles=1"), parse_vary("timing.alu_cycles=2")}),
            "--vary timing.alu_cycles: key varied twice");
  EXPECT_EQ(error_of({parse_vary("timing.alu_cycles=1,2,1")}),
            "--vary timing.alu_cycles: value '1' listed twice");
}

}  // namespace
}  // namespace hvsim::app
