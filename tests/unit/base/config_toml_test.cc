// Config from TOML: nested tables, every error, and the to_toml round trip.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/base/params.h"
#include "tests/unit/base/test_registry.h"

namespace hvsim::base {
namespace {

class ConfigTomlTest : public ::testing::Test {
 protected:
  ParamRegistry reg = testing::make_test_registry();
  Config cfg{reg};

  std::string load_error(const std::string& text) {
    try {
      cfg.load_string(text, "config.toml");
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(ConfigTomlTest, NestedTablesAndDottedKeys) {
  cfg.load_string(
      "[timing]\nalu_cycles = 4\n[timing.tlb]\nl1_entries = 32\n"
      "[platform]\ncpu_ghz = 2\nname = 'q35'\n");
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 4u);
  EXPECT_EQ(cfg.get_uint("timing.tlb.l1_entries"), 32u);
  EXPECT_DOUBLE_EQ(cfg.get_double("platform.cpu_ghz"), 2.0);
  EXPECT_EQ(cfg.get_string("platform.name"), "q35");
  cfg.load_string("timing.tlb.l1_entries = 16\nvmx = { ept = false }\n");
  EXPECT_EQ(cfg.get_uint("timing.tlb.l1_entries"), 16u);
  EXPECT_FALSE(cfg.get_bool("vmx.ept"));
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 4u);  // earlier file value kept
}

TEST_F(ConfigTomlTest, SetOverridesFileValues) {
  cfg.load_string("[timing]\nalu_cycles = 4\n");
  cfg.set_override("timing.alu_cycles=9");
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 9u);
}

TEST_F(ConfigTomlTest, IntegersMayBeStrings) {
  cfg.load_string("[memory]\nsize_mib = '0x1_00'\n[timing]\nskew = '-0x3'\n");
  EXPECT_EQ(cfg.get_uint("memory.size_mib"), 256u);
  EXPECT_EQ(cfg.get_int("timing.skew"), -3);
  cfg.load_string("memory.size_mib = 0x40\n");
  EXPECT_EQ(cfg.get_uint("memory.size_mib"), 64u);
}

TEST_F(ConfigTomlTest, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(load_error("[timing]\nalu_cyles = 1\n"),
            "config.toml:2:13: unknown key 'timing.alu_cyles'");
  EXPECT_EQ(load_error("[memory]\nsize_mib = 'x'\n"),
            "config.toml:2:12: memory.size_mib = 'x': expected an unsigned integer");
  EXPECT_EQ(load_error("[timing]\nalu_cycles = -5\n"),
            "config.toml:2:14: timing.alu_cycles = -5: value must be >= 0");
  EXPECT_EQ(load_error("timing.skew = 1.5\n"),
            "config.toml:1:15: timing.skew = 1.5: expected an integer");
  EXPECT_EQ(load_error("vmx.ept = 1\n"), "config.toml:1:11: vmx.ept = 1: expected true or false");
  EXPECT_EQ(load_error("cpu.vendor = 'via'\n"),
            "config.toml:1:14: cpu.vendor = 'via': value must be one of: intel, amd");
  EXPECT_EQ(load_error("platform.name = 3\n"),
            "config.toml:1:17: platform.name = 3: expected a string");
  EXPECT_EQ(load_error("platform.cpu_ghz = 20.0\n"),
            "config.toml:1:20: platform.cpu_ghz = 20.0: value must be <= 10");
}

TEST_F(ConfigTomlTest, TablesWhereValuesBelongAndViceVersa) {
  EXPECT_NE(load_error("timing = 3\n").find("unknown key 'timing'"), std::string::npos);
  EXPECT_NE(load_error("[timing.alu_cycles]\nx = 1\n").find("expected an unsigned integer"),
            std::string::npos);
  EXPECT_NE(load_error("[nosuch]\nx = 1\n").find("unknown key 'nosuch'"), std::string::npos);
}

TEST_F(ConfigTomlTest, ParseErrorIsOneLineWithPosition) {
  const std::string e = load_error("[timing]\nalu_cycles = = 1\n");
  EXPECT_EQ(e.rfind("config.toml:2:", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST_F(ConfigTomlTest, BadFileLeavesConfigUnchanged) {
  EXPECT_THROW(cfg.load_string("timing.alu_cycles = 5\ntiming.nope = 1\n"), ConfigError);
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 1u);
}

TEST_F(ConfigTomlTest, LoadFileAndMissingFile) {
  const auto path = std::filesystem::temp_directory_path() / "hvsim_config_toml_test.toml";
  std::ofstream(path) << "[timing]\nalu_cycles = 6\n";
  cfg.load_file(path.string());
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 6u);
  std::filesystem::remove(path);
  try {
    cfg.load_file(path.string());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": no such file");
  }
}

TEST_F(ConfigTomlTest, ToTomlGroupsTablesWithComments) {
  const std::string t = cfg.to_toml();
  EXPECT_NE(t.find("[timing]\n# cycles: latency of an ALU instruction\nalu_cycles = 1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("[timing.tlb]\n# entries: first-level TLB entries\nl1_entries = 64\n"),
            std::string::npos);
  EXPECT_NE(t.find("# CPU vendor (one of: intel amd)\nvendor = \"intel\"\n"), std::string::npos);
  EXPECT_NE(t.find("cpu_ghz = 3.0\n"), std::string::npos);
  EXPECT_EQ(t, Config(reg).to_toml());  // deterministic
}

TEST_F(ConfigTomlTest, ToTomlRoundTrips) {
  cfg.set_override("timing.alu_cycles=0x7");
  cfg.set_override("memory.size_mib=0xffffffffffffffff");
  cfg.set_override("timing.skew=-9");
  cfg.set_override("platform.cpu_ghz=0.30000000000000004");
  cfg.set_override("vmx.ept=false");
  cfg.set_override("cpu.vendor=amd");
  cfg.set_override("platform.name=a \"quoted\"\\ name\t");
  Config back(reg);
  back.load_string(cfg.to_toml(), "resolved");
  for (const auto& spec : reg.all())
    EXPECT_EQ(back.value(spec.key), cfg.value(spec.key)) << spec.key;
  EXPECT_EQ(back.to_toml(), cfg.to_toml());
}

TEST(ConfigTomlTopLevel, TopLevelKeysComeBeforeTables) {
  ParamRegistry reg;
  reg.add_uint("a.x", 1, "", "in a table");
  reg.add_bool("verbose", false, "a top-level key");
  Config cfg(reg);
  const std::string t = cfg.to_toml();
  EXPECT_LT(t.find("verbose = false"), t.find("[a]")) << t;
  Config back(reg);
  back.load_string(t);
  EXPECT_FALSE(back.get_bool("verbose"));
}

}  // namespace
}  // namespace hvsim::base
