#include "sim/app/cli.h"

#include <gtest/gtest.h>

#include <vector>

namespace hvsim::app {
namespace {

CommandLine parse(std::vector<const char*> args) {
  args.insert(args.begin(), "hvsim");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(Cli, RunWithEverything) {
  const CommandLine cl =
      parse({"run",          "hv.elf", "--module", "g1.elf:-v x", "--module",    "g2.elf",
             "--cmdline",    "a b",    "--config", "x.toml",      "--set",       "a.b=1",
             "--set",        "a.b=2",  "--out",    "o",           "--max-insns", "100",
             "--max-cycles", "200",    "--log",    "cpu=debug"});
  ASSERT_EQ(cl.command, Command::kRun);
  EXPECT_EQ(cl.run.kernel, "hv.elf");
  EXPECT_EQ(cl.run.modules, (std::vector<std::string>{"g1.elf:-v x", "g2.elf"}));
  EXPECT_EQ(cl.run.cmdline, "a b");
  EXPECT_EQ(cl.run.config_file, "x.toml");
  EXPECT_EQ(cl.run.sets, (std::vector<std::string>{"a.b=1", "a.b=2"}));
  EXPECT_EQ(cl.run.out_dir, "o");
  EXPECT_EQ(cl.run.max_insns, 100u);
  EXPECT_EQ(cl.run.max_cycles, 200u);
  EXPECT_EQ(cl.run.log_spec, "cpu=debug");
}

TEST(Cli, RunDefaultsAndKernelAfterModule) {
  const CommandLine cl = parse({"run", "--module", "g.elf", "hv.elf"});
  EXPECT_EQ(cl.run.kernel, "hv.elf");
  EXPECT_EQ(cl.run.modules, (std::vector<std::string>{"g.elf"}));
  EXPECT_EQ(cl.run.out_dir, "hvsim-out");
  EXPECT_EQ(cl.run.max_insns, 0u);
}

TEST(Cli, RunAndSweepTakeAnInitrd) {
  const CommandLine run = parse({"run", "vmlinuz", "--initrd", "rd.cpio", "--cmdline", "quiet"});
  EXPECT_EQ(run.run.kernel, "vmlinuz");
  EXPECT_EQ(run.run.initrd, "rd.cpio");
  const CommandLine sweep =
      parse({"sweep", "vmlinuz", "--initrd", "rd.cpio", "--vary", "platform.cpu_mhz=1000,2000"});
  ASSERT_EQ(sweep.command, Command::kSweep);
  EXPECT_EQ(sweep.sweep.initrd, "rd.cpio");
}

TEST(Cli, ConfigListShowAndVersion) {
  EXPECT_EQ(parse({"config", "--list"}).command, Command::kConfigList);
  const CommandLine show = parse({"config", "--show", "p.toml", "--set", "a=1"});
  EXPECT_EQ(show.command, Command::kConfigShow);
  EXPECT_EQ(show.config.file, "p.toml");
  EXPECT_EQ(show.config.sets, (std::vector<std::string>{"a=1"}));
  EXPECT_EQ(parse({"config", "--show"}).config.file, "");
  EXPECT_EQ(parse({"--version"}).command, Command::kVersion);
}

TEST(Cli, HelpReturnsText) {
  const CommandLine cl = parse({"run", "--help"});
  EXPECT_EQ(cl.command, Command::kHelp);
  EXPECT_NE(cl.help_text.find("--max-insns"), std::string::npos);
}

TEST(Cli, BadCommandLinesThrowOneLine) {
  const std::vector<std::vector<const char*>> bad = {
      {},
      {"bogus"},
      {"run"},
      {"run", "k", "--bogus"},
      {"run", "k", "--max-insns", "x"},
      {"run", "k", "--max-insns", "-5"},
      {"run", "k", "extra"},
      {"config"},
      {"config", "--list", "--show"},
      {"config", "--list", "f.toml"},
  };
  for (const auto& args : bad) {
    try {
      parse(args);
      ADD_FAILURE() << "accepted: " << (args.empty() ? "" : args[0]);
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      EXPECT_FALSE(std::string(e.what()).empty());
    }
  }
}

}  // namespace
}  // namespace hvsim::app
