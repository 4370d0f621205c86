// --fast-forward and --sample on the command line of `hvsim run` and
// `hvsim sweep`: checked when parsed, passed on as timing.fast_forward /
// timing.sample after the --set values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/app/cli.h"

namespace hvsim::app {
namespace {

CommandLine parse(std::vector<const char*> args) {
  args.insert(args.begin(), "hvsim");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(SamplingCli, RunPassesBothAsSetsAfterTheOthers) {
  const CommandLine cl = parse({"run", "k.elf", "--set", "timing.model=ooo", "--sample",
                                "100000:2000:90000", "--fast-forward", "insns:5_000"});
  ASSERT_EQ(cl.command, Command::kRun);
  EXPECT_EQ(cl.run.sets,
            (std::vector<std::string>{"timing.model=ooo", "timing.fast_forward=insns:5_000",
                                      "timing.sample=100000:2000:90000"}));
}

TEST(SamplingCli, SweepPassesThemToEveryPoint) {
  const CommandLine cl =
      parse({"sweep", "k.elf", "--vary", "timing.model=simple,ooo", "--sample", "1000:10:90"});
  ASSERT_EQ(cl.command, Command::kSweep);
  EXPECT_EQ(cl.sweep.sets, (std::vector<std::string>{"timing.sample=1000:10:90"}));
}

TEST(SamplingCli, BadStringsAreUsageErrors) {
  for (const char* cmd : {"run", "sweep"}) {
    for (std::vector<const char*> bad : {std::vector<const char*>{"--fast-forward", "10"},
                                         {"--fast-forward", "insns:"},
                                         {"--sample", "10:20:0"},
                                         {"--sample", "10:5"},
                                         {"--sample", "a:b:c"}}) {
      std::vector<const char*> a = {cmd, "k.elf", "--vary", "x=1,2"};
      if (std::string(cmd) == "run") a = {cmd, "k.elf"};
      a.insert(a.end(), bad.begin(), bad.end());
      try {
        parse(a);
        ADD_FAILURE() << cmd << " accepted " << bad[1];
      } catch (const UsageError& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.find('\n'), std::string::npos);
        EXPECT_EQ(what.rfind(bad[0], 0), 0u) << what;  // names the option
      }
    }
  }
}

}  // namespace
}  // namespace hvsim::app
