// ParamRegistry: declaration, lookup and the declaration errors.
#include <gtest/gtest.h>

#include "sim/base/params.h"
#include "tests/unit/base/test_registry.h"

namespace hvsim::base {
namespace {

TEST(ParamRegistry, KeepsDeclarationOrderAndSpecs) {
  ParamRegistry reg = testing::make_test_registry();
  ASSERT_EQ(reg.all().size(), 8u);
  EXPECT_EQ(reg.all()[0].key, "timing.alu_cycles");
  const ParamSpec* s = reg.find("timing.tlb.l1_entries");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->type, ParamType::UInt);
  EXPECT_EQ(std::get<uint64_t>(s->default_value), 64u);
  EXPECT_EQ(s->unit, "entries");
  EXPECT_EQ(*s->max, 4096.0);
  EXPECT_EQ(reg.find("timing.nope"), nullptr);
}

TEST(ParamRegistry, DuplicateDeclarationThrows) {
  ParamRegistry reg;
  reg.add_uint("a.b", 1, "", "x");
  EXPECT_THROW(reg.add_bool("a.b", true, "again"), std::logic_error);
}

TEST(ParamRegistry, KeyCannotBeBothValueAndTable) {
  ParamRegistry reg;
  reg.add_uint("a.b", 1, "", "x");
  EXPECT_THROW(reg.add_uint("a.b.c", 1, "", "x"), std::logic_error);
  reg.add_uint("x.y.z", 1, "", "x");
  EXPECT_THROW(reg.add_uint("x.y", 1, "", "x"), std::logic_error);
}

TEST(ParamRegistry, BadKeysAndDefaultsThrow) {
  ParamRegistry reg;
  EXPECT_THROW(reg.add_uint("", 1, "", "x"), std::logic_error);
  EXPECT_THROW(reg.add_uint("a..b", 1, "", "x"), std::logic_error);
  EXPECT_THROW(reg.add_uint("a.b", 5, "", "x", 0, 4), std::logic_error);
  EXPECT_THROW(reg.add_string("s", "c", "x", {"a", "b"}), std::logic_error);
}

TEST(ParamRegistry, IsTable) {
  ParamRegistry reg = testing::make_test_registry();
  EXPECT_TRUE(reg.is_table("timing"));
  EXPECT_TRUE(reg.is_table("timing.tlb"));
  EXPECT_FALSE(reg.is_table("timing.alu_cycles"));
  EXPECT_FALSE(reg.is_table("tim"));
}

}  // namespace
}  // namespace hvsim::base
