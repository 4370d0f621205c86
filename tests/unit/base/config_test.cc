// Config: defaults, --set overrides and typed getters.
#include <gtest/gtest.h>

#include "sim/base/params.h"
#include "tests/unit/base/test_registry.h"

namespace hvsim::base {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  ParamRegistry reg = testing::make_test_registry();
  Config cfg{reg};

  std::string set_error(const std::string& arg) {
    try {
      cfg.set_override(arg);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(ConfigTest, DefaultsAreInForce) {
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 1u);
  EXPECT_EQ(cfg.get_int("timing.skew"), -2);
  EXPECT_DOUBLE_EQ(cfg.get_double("platform.cpu_ghz"), 3.0);
  EXPECT_TRUE(cfg.get_bool("vmx.ept"));
  EXPECT_EQ(cfg.get_string("cpu.vendor"), "intel");
}

TEST_F(ConfigTest, SetOverridesApplyInOrder) {
  cfg.set_override("timing.alu_cycles=3");
  cfg.set_override("timing.alu_cycles=7");
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 7u);
}

TEST_F(ConfigTest, SetAcceptsHexUnderscoresAndSigns) {
  cfg.set_override("memory.size_mib=0x100");
  EXPECT_EQ(cfg.get_uint("memory.size_mib"), 256u);
  cfg.set_override("memory.size_mib=1_024");
  EXPECT_EQ(cfg.get_uint("memory.size_mib"), 1024u);
  cfg.set_override("memory.size_mib=0xffff_ffff_ffff_ffff");
  EXPECT_EQ(cfg.get_uint("memory.size_mib"), UINT64_MAX);
  cfg.set_override("timing.skew=-10");
  EXPECT_EQ(cfg.get_int("timing.skew"), -10);
  cfg.set_override("timing.skew=+0x3");
  EXPECT_EQ(cfg.get_int("timing.skew"), 3);
}

TEST_F(ConfigTest, SetBoolsDoublesAndStrings) {
  cfg.set_override("vmx.ept=false");
  EXPECT_FALSE(cfg.get_bool("vmx.ept"));
  cfg.set_override("platform.cpu_ghz=2.5");
  EXPECT_DOUBLE_EQ(cfg.get_double("platform.cpu_ghz"), 2.5);
  cfg.set_override("platform.cpu_ghz=4");
  EXPECT_DOUBLE_EQ(cfg.get_double("platform.cpu_ghz"), 4.0);
  cfg.set_override("cpu.vendor=amd");
  EXPECT_EQ(cfg.get_string("cpu.vendor"), "amd");
  cfg.set_override("platform.name=a=b c");
  EXPECT_EQ(cfg.get_string("platform.name"), "a=b c");
}

TEST_F(ConfigTest, SetErrorsNameTheArgument) {
  EXPECT_EQ(set_error("foo"), "--set foo: expected key=value");
  EXPECT_EQ(set_error("=3"), "--set =3: expected key=value");
  EXPECT_EQ(set_error("timing.alu_cyles=1"),
            "--set timing.alu_cyles=1: unknown key 'timing.alu_cyles'");
  EXPECT_EQ(set_error("timing.alu_cycles=-5"), "--set timing.alu_cycles=-5: value must be >= 0");
  EXPECT_EQ(set_error("memory.size_mib=x"),
            "--set memory.size_mib=x: expected an unsigned integer");
  EXPECT_EQ(set_error("memory.size_mib="), "--set memory.size_mib=: expected an unsigned integer");
  EXPECT_EQ(set_error("memory.size_mib=1__0"),
            "--set memory.size_mib=1__0: expected an unsigned integer");
  EXPECT_EQ(set_error("memory.size_mib=0x1_0000_0000_0000_0000"),
            "--set memory.size_mib=0x1_0000_0000_0000_0000: value does not fit in 64 bits");
  EXPECT_EQ(set_error("timing.tlb.l1_entries=4097"),
            "--set timing.tlb.l1_entries=4097: value must be <= 4096");
  EXPECT_EQ(set_error("timing.skew=11"), "--set timing.skew=11: value must be <= 10");
  EXPECT_EQ(set_error("timing.skew=1.5"), "--set timing.skew=1.5: expected an integer");
  EXPECT_EQ(set_error("platform.cpu_ghz=0"), "--set platform.cpu_ghz=0: value must be >= 0.1");
  EXPECT_EQ(set_error("platform.cpu_ghz=fast"), "--set platform.cpu_ghz=fast: expected a number");
  EXPECT_EQ(set_error("vmx.ept=1"), "--set vmx.ept=1: expected true or false");
  EXPECT_EQ(set_error("cpu.vendor=via"), "--set cpu.vendor=via: value must be one of: intel, amd");
}

TEST_F(ConfigTest, FailedSetLeavesValueUnchanged) {
  EXPECT_THROW(cfg.set_override("timing.alu_cycles=-1"), ConfigError);
  EXPECT_EQ(cfg.get_uint("timing.alu_cycles"), 1u);
}

TEST_F(ConfigTest, GettersRejectUndeclaredKeysAndWrongTypes) {
  EXPECT_THROW(cfg.get_uint("nope"), std::logic_error);
  EXPECT_THROW(cfg.get_int("timing.alu_cycles"), std::logic_error);
  EXPECT_THROW(cfg.get_string("vmx.ept"), std::logic_error);
}

}  // namespace
}  // namespace hvsim::base
