// The demo's report from made-up results: table layout, ratios, n/a columns,
// the exit summary and the CSV.
#include "sim/app/demo_table.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace hvsim::app {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

DemoColumn column(const std::string& setup, double scale) {
  DemoColumn c;
  c.setup = setup;
  c.ok = true;
  for (const auto& b : demo_benchmarks()) c.cycles_per_iter[b] = 100.0 * scale;
  c.cycles_per_iter["nano.callret"] = 20.2;
  c.stats["cpu.cycles"] = "1000";
  return c;
}

TEST(DemoTable, ParsesTheGuestsTimingLines) {
  const auto t = parse_cycles_per_iter(
      "hv: mmu=ept\ntiming: nano.cr8wr 3663.0 cycles/iter\nnano.cr8wr: 10 iterations\n"
      "timing: syscall 285.2 cycles/iter\ntiming: bad x cycles/iter\n");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_DOUBLE_EQ(t.at("nano.cr8wr"), 3663.0);
  EXPECT_DOUBLE_EQ(t.at("syscall"), 285.2);
}

TEST(DemoTable, FormatsCyclesAndRatios) {
  EXPECT_EQ(format_cycles(3663.0), "3,663");
  EXPECT_EQ(format_cycles(20.2), "20");
  EXPECT_EQ(format_cycles(823799.6), "823,800");
  EXPECT_EQ(format_cycles(std::nullopt), "n/a");
  EXPECT_EQ(format_ratio(3663.0, 26.0), "(140.9x)");
  EXPECT_EQ(format_ratio(20.0, 20.0), "(1.0x)");
  EXPECT_EQ(format_ratio(20.0, std::nullopt), "(n/a)");
  EXPECT_EQ(format_ratio(20.0, 0.0), "(n/a)");
}

TEST(DemoTable, EveryBenchmarkRowAndEverySetupColumn) {
  std::vector<DemoColumn> cols{column("native", 1), column("vmx-ept", 2.5)};
  DemoColumn failed;
  failed.setup = "svm-npt";
  failed.reason = "exit 115: hv: no SVM";
  cols.push_back(failed);
  const auto lines = lines_of(demo_table(cols));
  ASSERT_EQ(lines.size(), 2 + demo_benchmarks().size());
  EXPECT_EQ(lines[0], "cycles per iteration (ratio to native)");
  EXPECT_EQ(lines[1], "benchmark       native |    vmx-ept | svm-npt");
  EXPECT_EQ(lines[2], "syscall            100 | 250 (2.5x) |     n/a");
  for (size_t i = 0; i < demo_benchmarks().size(); ++i)
    EXPECT_EQ(lines[2 + i].rfind(demo_benchmarks()[i] + " ", 0), 0u) << lines[2 + i];
  // call/ret: the same cycles everywhere is a ratio of exactly 1.0.
  EXPECT_NE(lines[2 + 7].find("      20 |  20 (1.0x) |     n/a"), std::string::npos) << lines[9];
}

TEST(DemoTable, TopExitsByCycles) {
  std::map<std::string, std::string> stats{{"cpu.cycles", "10000"},
                                           {"virt.exits", "31"},
                                           {"virt.exits.CR_ACCESS", "20"},
                                           {"virt.exit_time.CR_ACCESS", "2000"},
                                           {"virt.exits.IO_INSTRUCTION", "10"},
                                           {"virt.exit_time.IO_INSTRUCTION", "5000"},
                                           {"virt.exits.MSR_READ", "0"},
                                           {"virt.exit_time.MSR_READ", "0"},
                                           {"virt.exits.CPUID", "1"},
                                           {"virt.exit_time.CPUID", "100"}};
  const auto top = top_exits(stats, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].reason, "IO_INSTRUCTION");
  EXPECT_EQ(top[0].count, 10u);
  EXPECT_DOUBLE_EQ(top[0].share, 0.5);
  EXPECT_EQ(top[1].reason, "CR_ACCESS");
  EXPECT_EQ(top_exits(stats, 10).size(), 3u);  // MSR_READ had none
  EXPECT_TRUE(top_exits({{"cpu.cycles", "5"}}, 4).empty());
}

TEST(DemoTable, ExitSummaryPerSetup) {
  DemoColumn native = column("native", 1);
  DemoColumn ept = column("vmx-ept", 2);
  ept.stats = {{"cpu.cycles", "10000"},
               {"virt.exits.CR_ACCESS", "1000"},
               {"virt.exit_time.CR_ACCESS", "2500"}};
  DemoColumn failed;
  failed.setup = "svm-npt";
  failed.reason = "exit 115: hv: no SVM";
  const auto lines = lines_of(demo_exit_summary({native, ept, failed}, 4));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1], "native   no VM exits");
  EXPECT_EQ(lines[2], "vmx-ept  CR_ACCESS  1,000   25.0%");
  EXPECT_EQ(lines[3], "svm-npt  n/a: exit 115: hv: no SVM");
}

// The paravirtualized setup lists its top hypercalls, then its top bounces.
TEST(DemoTable, PvListsHypercallsThenBounces) {
  DemoColumn pv = column("pv", 2);
  pv.stats = {{"cpu.cycles", "10000"},
              {"virt.exits.hypercall_multicall", "10"},
              {"virt.exit_time.hypercall_multicall", "5000"},
              {"virt.exits.hypercall_iret", "30"},
              {"virt.exit_time.hypercall_iret", "1000"},
              {"virt.exits.hypercall_mmu_update", "5"},
              {"virt.exit_time.hypercall_mmu_update", "900"},
              {"virt.exits.bounce_PF", "7"},
              {"virt.exit_time.bounce_PF", "700"},
              {"virt.exits.syscall", "20"},
              {"virt.exit_time.syscall", "800"}};
  const auto lines = lines_of(demo_exit_summary({column("native", 1), pv}, 2));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[2], "pv      hypercall_multicall  10   50.0%");
  EXPECT_EQ(lines[3], "        hypercall_iret       30   10.0%");
  EXPECT_EQ(lines[4], "        syscall              20    8.0%");
  EXPECT_EQ(lines[5], "        bounce_PF             7    7.0%");
}

TEST(DemoTable, CsvHasExactValues) {
  DemoColumn failed;
  failed.setup = "svm-npt";
  const auto lines = lines_of(demo_csv({column("native", 1), column("vmx-ept", 2), failed}));
  ASSERT_EQ(lines.size(), 1 + 2 * demo_benchmarks().size());
  EXPECT_EQ(lines[0], "setup,benchmark,cycles_per_iter,ratio_to_native");
  EXPECT_EQ(lines[1], "native,syscall,100.0,1.0000");
  EXPECT_EQ(lines[1 + demo_benchmarks().size()], "vmx-ept,syscall,200.0,2.0000");
}

}  // namespace
}  // namespace hvsim::app
