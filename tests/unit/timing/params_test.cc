// timing.model and timing.ooo.*: declared with units and ranges, read back,
// checked, and the Zen 3 preset's timing tables parse to its values.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "sim/timing/core_model.h"

namespace hvsim::timing {
namespace {

base::ParamRegistry registry() {
  base::ParamRegistry reg;
  Latencies::declare_params(reg);
  declare_core_model_params(reg);
  // Declared by the cache model in the real registry.
  reg.add_uint("cache.l1d.hit_cycles", 4, "cycles", "L1D hit latency");
  reg.add_uint("cache.l2.hit_cycles", 14, "cycles", "L2 hit latency");
  reg.add_uint("cache.llc.hit_cycles", 40, "cycles", "LLC hit latency");
  return reg;
}

TEST(TimingParams, EveryKeyHasUnitAndDescription) {
  base::ParamRegistry reg = registry();
  unsigned n = 0;
  for (const base::ParamSpec& s : reg.all()) {
    if (s.key.rfind("timing.ooo.", 0) != 0) continue;
    ++n;
    EXPECT_FALSE(s.unit.empty()) << s.key;
    EXPECT_FALSE(s.description.empty()) << s.key;
    EXPECT_TRUE(s.min && s.max) << s.key;
  }
  EXPECT_EQ(n, 20u + 3u * kNumInsnClasses);
}

TEST(TimingParams, DefaultsAreTheSkylakeTable) {
  base::ParamRegistry reg = registry();
  base::Config cfg(reg);
  const ooo::OooParams p = ooo::OooParams::from_config(cfg), d;
  EXPECT_EQ(p.rob_entries, 224u);
  EXPECT_EQ(p.rob_entries, d.rob_entries);
  EXPECT_EQ(p.mshrs, d.mshrs);
  EXPECT_EQ(p.cls[k_mul].latency, 3u);
  EXPECT_EQ(p.cls[k_div].issue_cycles, d.cls[k_div].issue_cycles);
  EXPECT_EQ(p.load_ports, 0x0cu);
  EXPECT_TRUE(std::holds_alternative<SimpleCore>(make_core_model(cfg, 4)));
}

TEST(TimingParams, ModelChosenByTimingModel) {
  base::ParamRegistry reg = registry();
  base::Config cfg(reg);
  cfg.set_override("timing.model=ooo");
  cfg.set_override("timing.ooo.rob_entries=64");
  CoreModel m = make_core_model(cfg, 4);
  ASSERT_TRUE(std::holds_alternative<ooo::OooCore>(m));
  EXPECT_EQ(std::get<ooo::OooCore>(m).params().rob_entries, 64u);
  EXPECT_THROW(cfg.set_override("timing.model=inorder"), base::ConfigError);
}

TEST(TimingParams, PortMaskBeyondThePortsIsRejected) {
  base::ParamRegistry reg = registry();
  base::Config cfg(reg);
  cfg.set_override("timing.ooo.num_ports=6");  // p6 and p7 no longer exist
  EXPECT_THROW(ooo::OooParams::from_config(cfg), base::ConfigError);
}

// The [timing*] tables of configs/zen3.toml, alone (the other tables belong
// to components this test does not link).
std::string timing_tables(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  std::string line;
  bool keep = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') keep = line.rfind("[timing", 0) == 0;
    if (keep) out << line << "\n";
  }
  return out.str();
}

TEST(TimingParams, Zen3Preset) {
  base::ParamRegistry reg = registry();
  base::Config cfg(reg);
  const std::string text = timing_tables(std::string(HVSIM_SOURCE_DIR) + "/configs/zen3.toml");
  ASSERT_FALSE(text.empty());
  cfg.load_string(text, "zen3.toml");
  const ooo::OooParams p = ooo::OooParams::from_config(cfg);
  EXPECT_EQ(p.rob_entries, 256u);
  EXPECT_EQ(p.rename_width, 6u);
  EXPECT_EQ(p.mshrs, 24u);
  EXPECT_EQ(p.ras_entries, 32u);
  // Zen 3's three load AGUs: three loads per cycle.
  EXPECT_EQ(__builtin_popcount(p.load_ports), 3);
  ooo::OooCore c{p};
  for (int i = 0; i < 30000; ++i) {
    RetireInfo r;
    r.tclass = k_move;
    r.dst_regs = reg::gpr(i % 8);
    r.addr_regs = reg::gpr(15);
    r.add_access(0x1000 + (i % 64) * 8, 8, MemKind::kLoad, p.l1d_hit_cycles);
    c.retire(r);
  }
  EXPECT_NEAR(static_cast<double>(c.instructions()) / static_cast<double>(c.cycles()), 3.0, 0.05);
}

}  // namespace
}  // namespace hvsim::timing
