// StatRegistry: counters, formulas, ROI subtraction, text and JSON dumps.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "sim/base/stats.h"

namespace hvsim::base {
namespace {

struct Counters {
  uint64_t insns = 0;
  uint64_t cycles = 0;
};

class StatsTest : public ::testing::Test {
 protected:
  Counters c;
  StatRegistry reg;

  void SetUp() override {
    reg.add_counter("cpu.instructions", &c.insns, "instructions", "instructions retired");
    reg.add_counter("cpu.cycles", &c.cycles, "cycles", "simulated cycles");
    reg.add_formula(
        "cpu.ipc",
        [this] {
          return static_cast<double>(reg.value("cpu.instructions")) / reg.value("cpu.cycles");
        },
        "ratio", "instructions per cycle");
  }
};

TEST_F(StatsTest, CountersReadThroughPointers) {
  c.insns = 10;
  c.cycles = 20;
  EXPECT_EQ(reg.value("cpu.instructions"), 10u);
  EXPECT_DOUBLE_EQ(reg.as_double("cpu.ipc"), 0.5);
  EXPECT_THROW(reg.value("cpu.ipc"), std::logic_error);
  EXPECT_THROW(reg.value("nope"), std::logic_error);
}

TEST_F(StatsTest, DuplicateAndNullThrow) {
  EXPECT_THROW(reg.add_counter("cpu.cycles", &c.cycles, "", ""), std::logic_error);
  EXPECT_THROW(reg.add_counter("x", nullptr, "", ""), std::logic_error);
  EXPECT_THROW(reg.add_formula("y", nullptr, "", ""), std::logic_error);
}

TEST_F(StatsTest, SnapshotAndBaseSubtraction) {
  c.insns = 100;
  c.cycles = 400;
  const StatSnapshot snap = reg.snapshot();
  EXPECT_EQ(snap.size(), 2u);  // counters only
  EXPECT_EQ(snap.at("cpu.cycles"), 400u);
  reg.set_base(snap);
  c.insns = 130;
  c.cycles = 460;
  EXPECT_EQ(reg.value("cpu.instructions"), 30u);
  EXPECT_DOUBLE_EQ(reg.as_double("cpu.ipc"), 0.5);
  c.cycles = 5;  // reset after the snapshot: never wraps around
  EXPECT_EQ(reg.value("cpu.cycles"), 0u);
  reg.clear_base();
  EXPECT_EQ(reg.value("cpu.instructions"), 130u);
}

TEST_F(StatsTest, TextIsAlignedGem5Style) {
  c.insns = 84123456;
  c.cycles = 101234567;
  EXPECT_EQ(reg.to_text(),
            "cpu.instructions   84123456  # instructions retired (instructions)\n"
            "cpu.cycles        101234567  # simulated cycles (cycles)\n"
            "cpu.ipc            0.830976  # instructions per cycle (ratio)\n");
}

TEST_F(StatsTest, JsonIsExactAndNullForNaN) {
  c.insns = 3;
  c.cycles = 4;
  reg.add_formula(
      "weird \"name\"", [] { return std::numeric_limits<double>::quiet_NaN(); }, "", "tab\there");
  EXPECT_EQ(reg.to_json(),
            "{\n"
            "  \"stats\": {\n"
            "    \"cpu.instructions\": 3,\n"
            "    \"cpu.cycles\": 4,\n"
            "    \"cpu.ipc\": 0.75,\n"
            "    \"weird \\\"name\\\"\": null\n"
            "  },\n"
            "  \"units\": {\n"
            "    \"cpu.instructions\": \"instructions\",\n"
            "    \"cpu.cycles\": \"cycles\",\n"
            "    \"cpu.ipc\": \"ratio\",\n"
            "    \"weird \\\"name\\\"\": \"\"\n"
            "  },\n"
            "  \"descriptions\": {\n"
            "    \"cpu.instructions\": \"instructions retired\",\n"
            "    \"cpu.cycles\": \"simulated cycles\",\n"
            "    \"cpu.ipc\": \"instructions per cycle\",\n"
            "    \"weird \\\"name\\\"\": \"tab\\u0009here\"\n"
            "  }\n"
            "}\n");
}

TEST(StatsEmpty, EmptyRegistryDumps) {
  StatRegistry reg;
  EXPECT_EQ(reg.to_text(), "");
  EXPECT_EQ(reg.to_json(), "{\n  \"stats\": {},\n  \"units\": {},\n  \"descriptions\": {}\n}\n");
}

TEST_F(StatsTest, InfinityIsNullInJsonAndInfInText) {
  c.insns = 1;  // cycles 0: IPC is +inf
  EXPECT_NE(reg.to_json().find("\"cpu.ipc\": null"), std::string::npos);
  EXPECT_NE(reg.to_text().find(" inf  # instructions per cycle"), std::string::npos);
}

}  // namespace
}  // namespace hvsim::base
