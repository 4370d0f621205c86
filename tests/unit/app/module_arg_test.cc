#include "sim/app/module_arg.h"

#include <gtest/gtest.h>

#include "sim/app/cli.h"

namespace hvsim::app {
namespace {

TEST(ModuleArg, FileOnly) {
  const auto m = parse_module_arg("guest.elf");
  EXPECT_EQ(m.path, "guest.elf");
  EXPECT_EQ(m.args, "");
}

TEST(ModuleArg, SplitsAtFirstColon) {
  const auto m = parse_module_arg("dir/guest.elf:-v mode=a:b");
  EXPECT_EQ(m.path, "dir/guest.elf");
  EXPECT_EQ(m.args, "-v mode=a:b");
}

TEST(ModuleArg, EmptyArgsAfterColon) {
  const auto m = parse_module_arg("guest.elf:");
  EXPECT_EQ(m.path, "guest.elf");
  EXPECT_EQ(m.args, "");
}

TEST(ModuleArg, EmptyFileIsAnError) {
  EXPECT_THROW(parse_module_arg(":args"), UsageError);
  EXPECT_THROW(parse_module_arg(""), UsageError);
}

}  // namespace
}  // namespace hvsim::app
