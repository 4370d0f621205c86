// --trace-exits and --trace-filter on `hvsim run`: parsing, the RunSpec they
// fill, and the process exit status for a bad trace name (with the test stub).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "sim/app/cli.h"
#include "sim/app/cmd_run.h"

namespace hvsim::app {
namespace {

namespace fs = std::filesystem;

CommandLine parse(std::vector<const char*> args) {
  args.insert(args.begin(), "hvsim");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

TEST(CliTrace, OptionsParseAndSplitAtCommas) {
  const CommandLine cl = parse({"run", "hv.elf", "--trace-exits", "out/exits.json", "--trace-filter",
                                "CPUID,ept_violation", "--trace-filter", "HLT"});
  ASSERT_EQ(cl.command, Command::kRun);
  EXPECT_EQ(cl.run.trace_exits, "out/exits.json");
  EXPECT_EQ(cl.run.trace_filter, (std::vector<std::string>{"CPUID", "ept_violation", "HLT"}));
  EXPECT_EQ(cl.run.kernel, "hv.elf");
}

TEST(CliTrace, DefaultsAreEmpty) {
  const CommandLine cl = parse({"run", "hv.elf"});
  EXPECT_EQ(cl.run.trace_exits, "");
  EXPECT_TRUE(cl.run.trace_filter.empty());
  EXPECT_EQ(parse({"run", "hv.elf", "--trace-exits", "t.CSV"}).run.trace_exits, "t.CSV");
  EXPECT_EQ(parse({"run", "hv.elf", "--trace-exits", "t.jsonl"}).run.trace_exits, "t.jsonl");
}

TEST(CliTrace, EmptyItemsInTheFilterListAreDropped) {
  EXPECT_EQ(parse({"run", "k", "--trace-exits", "e.csv", "--trace-filter", "CPUID,,HLT,"})
                .run.trace_filter,
            (std::vector<std::string>{"CPUID", "HLT"}));
}

TEST(CliTrace, HelpNamesTheOptions) {
  const CommandLine cl = parse({"run", "--help"});
  EXPECT_NE(cl.help_text.find("--trace-exits"), std::string::npos);
  EXPECT_NE(cl.help_text.find("--trace-filter"), std::string::npos);
}

TEST(CliTrace, BadTraceOptionsThrowOneLine) {
  const std::vector<std::vector<const char*>> bad = {
      {"run", "k", "--trace-exits", "exits.txt"},
      {"run", "k", "--trace-exits", "exits"},
      {"run", "k", "--trace-exits"},
      {"run", "k", "--trace-filter", "CPUID"},  // nothing to filter
      {"run", "k", "--trace-exits", "e.csv", "--trace-filter", "CPU ID"},
  };
  for (const auto& args : bad) {
    try {
      parse(args);
      ADD_FAILURE() << "accepted: " << args[2] << " " << (args.size() > 3 ? args[3] : "");
    } catch (const UsageError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      EXPECT_FALSE(std::string(e.what()).empty());
    }
  }
  try {
    parse({"run", "k", "--trace-exits", "exits.txt"});
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--trace-exits exits.txt: unknown trace format (expected .csv, .jsonl or .json "
              "(Chrome trace events))");
  }
}

class CliTraceFiles : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("hvsim_virt_cli_" + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "kernel.elf") << "exit 3\n";
  }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(CliTraceFiles, RunSpecCarriesTheOptions) {
  RunArgs a;
  a.kernel = (dir / "kernel.elf").string();
  a.trace_exits = "t.jsonl";
  a.trace_filter = {"CPUID", "HLT"};
  const platform::RunSpec spec = make_run_spec(a);
  EXPECT_EQ(spec.trace_exits, "t.jsonl");
  EXPECT_EQ(spec.trace_filter, (std::vector<std::string>{"CPUID", "HLT"}));
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(CliTraceFiles, BadTraceNameIsBadInputBeforeAnythingIsWritten) {
  const std::string cmd = "cd '" + dir.string() + "' && '" HVSIM_STUB_BIN
                          "' run kernel.elf --trace-exits exits.txt >stdout.txt 2>stderr.txt";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const std::string err = read_all(dir / "stderr.txt");
  EXPECT_EQ(err,
            "hvsim: error: --trace-exits exits.txt: unknown trace format (expected .csv, .jsonl "
            "or .json (Chrome trace events))\n");
  EXPECT_EQ(read_all(dir / "stdout.txt"), "");
  EXPECT_FALSE(fs::exists(dir / "hvsim-out"));
  EXPECT_FALSE(fs::exists(dir / "exits.txt"));
}

TEST_F(CliTraceFiles, GoodTraceOptionsRun) {
  const std::string cmd = "cd '" + dir.string() + "' && '" HVSIM_STUB_BIN
                          "' run kernel.elf --trace-exits e.csv --trace-filter cpuid,hlt "
                          ">stdout.txt 2>stderr.txt";
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 3) << read_all(dir / "stderr.txt");
}

}  // namespace
}  // namespace hvsim::app
