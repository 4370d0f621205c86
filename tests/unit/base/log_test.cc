// Logging: component names, --log spec parsing and application.
#include <gtest/gtest.h>

#include "sim/base/log.h"
#include "sim/base/params.h"

namespace hvsim::base {
namespace {

std::string spec_error(const std::string& spec) {
  try {
    parse_log_spec(spec);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Log, ComponentNamesRoundTrip) {
  EXPECT_EQ(component_name(Component::cpu), "cpu");
  EXPECT_EQ(component_name(Component::ext), "ext");
  EXPECT_EQ(component_from_name("vmx"), Component::vmx);
  EXPECT_FALSE(component_from_name("cpuu").has_value());
  EXPECT_EQ(component_list(),
            "cpu, mmu, decode, platform, loader, uart, vmx, svm, virt, timing, app, ext");
}

TEST(Log, LoggersAreNamedAndShared) {
  EXPECT_EQ(log(Component::mmu).name(), "mmu");
  EXPECT_EQ(&logger("mmu"), &log(Component::mmu));
  EXPECT_THROW(logger("nope"), std::logic_error);
}

TEST(Log, ParseSpec) {
  const LogSpec s = parse_log_spec("cpu=debug, mmu=trace,*=warn");
  ASSERT_TRUE(s.all.has_value());
  EXPECT_EQ(*s.all, spdlog::level::warn);
  EXPECT_EQ(s.components.size(), 2u);
  EXPECT_EQ(s.components.at(Component::cpu), spdlog::level::debug);
  EXPECT_EQ(s.components.at(Component::mmu), spdlog::level::trace);
  EXPECT_EQ(*parse_log_spec("info").all, spdlog::level::info);
  EXPECT_TRUE(parse_log_spec("").components.empty());
}

TEST(Log, BadSpecsAreOneLineErrors) {
  EXPECT_EQ(
      spec_error("cpu=loud"),
      "--log cpu=loud: unknown level 'loud' (trace, debug, info, warn, error, critical, off)");
  EXPECT_EQ(
      spec_error("cpuu=debug").rfind("--log cpuu=debug: unknown component 'cpuu' (cpu, mmu,", 0),
      0u);
  EXPECT_EQ(spec_error("cpu="),
            "--log cpu=: unknown level '' (trace, debug, info, warn, error, critical, off)");
  EXPECT_EQ(spec_error("loud").rfind("--log loud: unknown level 'loud'", 0), 0u);
}

TEST(Log, StarAppliesToComponentsNotNamedWhateverItsPosition) {
  configure_logging("*=error,cpu=trace");
  EXPECT_EQ(log(Component::cpu).level(), spdlog::level::trace);
  EXPECT_EQ(log(Component::vmx).level(), spdlog::level::err);
  configure_logging("cpu=debug,*=off");
  EXPECT_EQ(log(Component::cpu).level(), spdlog::level::debug);
  EXPECT_EQ(log(Component::vmx).level(), spdlog::level::off);
  configure_logging("*=warn");
}

}  // namespace
}  // namespace hvsim::base
