// The models' statistics through the registry: names, units, derived values.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/timing/stream.h"

namespace hvsim::timing {
namespace {

using namespace testing;

TEST(TimingStats, OooRegistersIpcCpiStackMpkiOccupancyMlp) {
  ooo::OooCore c{ooo::OooParams{}};
  base::StatRegistry reg;
  c.register_stats(reg, "timing");
  uint32_t s = 1;
  for (int i = 0; i < 2000; ++i) {
    c.retire(op2(k_alu, i % 4, i % 4));
    c.retire(load(4 + i % 4, 15, 0x100000 + uint64_t(i) * 4096, 200));
    s = s * 1103515245u + 12345u;
    c.retire(jcc(0x1010, (s >> 16) & 1, 0x1000));
  }
  EXPECT_EQ(reg.value("timing.instructions"), 6000u);
  EXPECT_EQ(reg.value("timing.cycles"), c.cycles());
  EXPECT_NEAR(reg.as_double("timing.ipc"), 6000.0 / static_cast<double>(c.cycles()), 1e-9);
  uint64_t stack = 0;
  for (const char* k :
       {"base", "frontend", "branch", "l1d", "l2", "llc", "dram", "tlb_walk", "execute",
        "structural", "serialize", "world_switch", "idle"})
    stack += reg.value(std::string("timing.cpi_stack.") + k);
  EXPECT_EQ(stack, c.cycles());
  const double mpki = reg.as_double("timing.branch.mpki");
  EXPECT_GT(mpki, 100.0);  // about one random branch in three instructions, half mispredicted
  EXPECT_LT(mpki, 250.0);
  EXPECT_GT(reg.as_double("timing.mem.mlp"), 1.5);  // misses overlap
  uint64_t rob_samples = 0;
  for (const base::StatSpec& spec : reg.all()) {
    EXPECT_FALSE(spec.unit.empty()) << spec.name;
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    if (spec.name.rfind("timing.rob_occupancy.", 0) == 0) rob_samples += reg.value(spec.name);
  }
  EXPECT_EQ(rob_samples, 6000u / 16);  // every 16th rename
}

TEST(TimingStats, SimpleRegistersIpc) {
  Latencies lat;
  lat.cls[k_alu] = 1;
  SimpleCore c{lat, 4};
  base::StatRegistry reg;
  c.register_stats(reg, "timing");
  RetireInfo r = op2(k_alu, 0, 1);
  for (int i = 0; i < 10; ++i) c.retire(r);
  EXPECT_EQ(reg.value("timing.instructions"), 10u);
  EXPECT_EQ(reg.value("timing.cycles"), 10u);
  EXPECT_DOUBLE_EQ(reg.as_double("timing.ipc"), 1.0);
}

}  // namespace
}  // namespace hvsim::timing
