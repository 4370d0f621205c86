// Sweep results: the CSV, reading stats.json and the guest's timing lines
// back, failure reasons, the point marker and the resumption decision, and
// the process runner (with /bin/sh standing in for hvsim).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "sim/app/sweep_csv.h"
#include "sim/app/sweep_plot.h"
#include "sim/app/sweep_results.h"
#include "sim/app/sweep_runner.h"

namespace hvsim::app {
namespace {

namespace fs = std::filesystem;

const char* const kStats = R"({
  "stats": {
    "cpu.instructions": 11208,
    "cpu.cycles": 57007,
    "sim.mips": 2.5
  },
  "units": {
    "cpu.instructions": "instructions"
  }
}
)";

TEST(SweepCsv, FieldsAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(csv_field("57007"), "57007");
  EXPECT_EQ(csv_field("4k,2m"), "\"4k,2m\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("a\nb"), "\"a\nb\"");
}

TEST(SweepCsv, OneRowPerPointWithStatusAndGapsForMissingMetrics) {
  SweepRow ok{
      "point-000", {"1", "4k,2m"}, true, 0, "", {{"cpu.cycles", "100"}, {"guest.x", "2.5"}}};
  SweepRow bad{"point-001",
               {"2", "4k"},
               false,
               82,
               "exit 82: hvsim: instruction limit of 10 reached",
               {{"cpu.cycles", "7"}}};
  EXPECT_EQ(
      sweep_csv({"timing.alu_cycles", "mmu.dtlb.page_sizes"}, {"cpu.cycles", "guest.x"}, {ok, bad}),
      "point,timing.alu_cycles,mmu.dtlb.page_sizes,status,exit_status,cpu.cycles,guest.x,"
      "reason\n"
      "point-000,1,\"4k,2m\",ok,0,100,2.5,\n"
      "point-001,2,4k,failed,82,7,,exit 82: hvsim: instruction limit of 10 reached\n");
}

TEST(SweepResults, StatsJsonCompleteOrNothing) {
  const auto s = parse_stats_json(kStats);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ(s->at("cpu.cycles"), "57007");
  EXPECT_EQ(s->at("sim.mips"), "2.5");
  const std::string full = kStats;
  for (size_t cut :
       {size_t{0}, size_t{10}, full.find("57007"), full.find("\"units\""), full.size() - 3}) {
    EXPECT_FALSE(parse_stats_json(full.substr(0, cut)).has_value()) << "cut at " << cut;
  }
  EXPECT_FALSE(parse_stats_json("{\"stats\": {\"a\": zz}}").has_value());
  EXPECT_TRUE(parse_stats_json("{\"stats\": {}}").has_value());
}

TEST(SweepResults, GuestTimingLines) {
  const auto t = parse_guest_timings(
      "demo: 5 kernels\ntiming: sort 20769063 cycles\ntiming: nano.syscall 285.0 cycles/iter\n"
      "timing: broken\ntiming: words not-a-number\nsort: checksum 1\ntiming: sort 5 cycles\n");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (std::pair<std::string, std::string>{"guest.sort", "5"}));
  EXPECT_EQ(t[1], (std::pair<std::string, std::string>{"guest.nano.syscall", "285.0"}));
}

TEST(SweepResults, ReasonIsTheLineThatSaysWhyNotTheSummary) {
  EXPECT_EQ(
      reason_line("hvsim: instruction limit of 1000 reached\n"
                  "hvsim: 1,000 instructions, 789,929 cycles, IPC 0.00, 0.7 MIPS, 0.00 s wall\n"),
      "hvsim: instruction limit of 1000 reached");
  EXPECT_EQ(reason_line("hvsim: error: --set x=1: unknown key 'x'\n\n"),
            "hvsim: error: --set x=1: unknown key 'x'");
  EXPECT_EQ(reason_line("something else\n  \n"), "something else");
  EXPECT_EQ(reason_line(""), "");
  EXPECT_EQ(failure_reason(82 << 8, "hvsim: instruction limit of 10 reached\n"),
            "exit 82: hvsim: instruction limit of 10 reached");
  EXPECT_EQ(failure_reason(0, "hvsim: fine\n"), "");
  EXPECT_EQ(failure_reason(9, ""), "killed by signal 9");
}

class SweepResume : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("hvsim_sweep_resume_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    write("config.resolved.toml", toml);
    write("stats.json", kStats);
    write(kPointMarker, point_marker(0, args));
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  }
  bool complete() { return point_is_complete(dir.string(), args, toml); }

  fs::path dir;
  std::vector<std::string> args{"run", "k.elf", "--set", "timing.alu_cycles=2", "--out", "d"};
  std::string toml = "[timing]\nalu_cycles = 2\n";
};

TEST_F(SweepResume, CompleteResultsAreSkipped) {
  EXPECT_TRUE(complete());
}

TEST_F(SweepResume, AFailedRunIsRedone) {
  write(kPointMarker, point_marker(82, args));
  EXPECT_FALSE(complete());
}

TEST_F(SweepResume, ADifferentCommandOrConfigIsRedone) {
  args.push_back("--max-insns");
  args.push_back("5");
  EXPECT_FALSE(complete());
  args.resize(args.size() - 2);
  toml = "[timing]\nalu_cycles = 3\n";
  EXPECT_FALSE(complete());
}

TEST_F(SweepResume, MissingOrTruncatedFilesAreRedone) {
  write("stats.json", std::string(kStats).substr(0, 40));
  EXPECT_FALSE(complete());
  fs::remove(dir / "stats.json");
  EXPECT_FALSE(complete());
  write("stats.json", kStats);
  fs::remove(dir / kPointMarker);
  EXPECT_FALSE(complete());
  EXPECT_FALSE(point_is_complete((dir / "nothing").string(), args, toml));
}

TEST(SweepRunner, RunsInParallelAndReportsInJobOrder) {
  const fs::path root =
      fs::temp_directory_path() / ("hvsim_sweep_runner_" + std::to_string(getpid()));
  fs::remove_all(root);
  std::vector<PointJob> jobs;
  // Job 0 is the slowest and job 2 fails with a message on stderr.
  const char* scripts[4] = {"sleep 0.6; echo zero", "sleep 0.3; echo one",
                            "sleep 0.3; echo 'hvsim: bad thing' >&2; exit 7",
                            "sleep 0.3; echo three"};
  for (int i = 0; i < 4; ++i) {
    const fs::path d = root / ("p" + std::to_string(i));
    fs::create_directories(d);
    jobs.push_back({d.string(), {"-c", scripts[i]}});
  }
  std::vector<size_t> completion;
  const auto start = std::chrono::steady_clock::now();
  const auto out = run_points("/bin/sh", jobs, 4,
                              [&](size_t i, const PointOutcome&) { completion.push_back(i); });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.3);  // serially: 1.5 s
  ASSERT_EQ(out.size(), 4u);
  ASSERT_EQ(completion.size(), 4u);
  EXPECT_EQ(completion.back(), 0u);  // the slow one ends last...
  EXPECT_EQ(out[0].exit_status, 0);  // ...but results stay in job order
  EXPECT_EQ(out[2].exit_status, 7);
  EXPECT_EQ(out[2].reason, "exit 7: hvsim: bad thing");
  EXPECT_EQ(out[3].reason, "");
  std::ifstream zero(root / "p0" / kPointStdout);
  std::string word;
  zero >> word;
  EXPECT_EQ(word, "zero");

  // One at a time, and an executable that does not exist fails every job.
  const auto serial = run_points("/nonexistent/hvsim", jobs, 1, nullptr);
  for (const auto& o : serial) {
    EXPECT_NE(o.exit_status, 0);
    EXPECT_EQ(o.reason.rfind("cannot run /nonexistent/hvsim: ", 0), 0u) << o.reason;
  }
  fs::remove_all(root);
}

TEST(SweepPlot, ScriptHasOneSeriesPerSecondAxisValueAndGapsForFailures) {
  const std::vector<SweepAxis> axes{{"timing.alu_cycles", {"1", "2"}},
                                    {"timing.call_ret_cycles", {"2", "4"}}};
  std::vector<SweepRow> rows(4);
  for (int i = 0; i < 4; ++i) {
    rows[i].ok = i != 3;
    rows[i].metrics["cpu.cycles"] = std::to_string(100 + i);
  }
  const std::string g = gnuplot_script("cpu.cycles", "/tmp/x.png", axes, rows);
  EXPECT_NE(g.find("set output \"/tmp/x.png\""), std::string::npos);
  EXPECT_NE(g.find("$series0 << EOD\n1 100\n2 102\nEOD"), std::string::npos) << g;
  EXPECT_NE(g.find("$series1 << EOD\n1 101\n2 ?\nEOD"), std::string::npos) << g;
  EXPECT_NE(g.find("title \"timing.call_ret_cycles=4\""), std::string::npos);
  // Units on both axes, y from zero, every series in the legend.
  EXPECT_NE(g.find("set yrange [0:*]"), std::string::npos) << "no units given: still from zero";
  const std::string u = gnuplot_script("cpu.cycles", "/tmp/x.png", axes, rows, {"cycles", "MiB"});
  EXPECT_NE(u.find("set xlabel \"timing.alu_cycles (MiB)\""), std::string::npos) << u;
  EXPECT_NE(u.find("set ylabel \"cpu.cycles (cycles)\""), std::string::npos) << u;
  EXPECT_NE(u.find("set yrange [0:*]"), std::string::npos) << u;
  EXPECT_EQ(u.find("notitle"), std::string::npos) << u;
  const std::string one =
      gnuplot_script("cpu.cycles", "/tmp/y.png", {{"timing.alu_cycles", {"1", "2"}}}, rows);
  EXPECT_NE(one.find("title \"cpu.cycles\""), std::string::npos) << one;
  rows[0].metrics["cpu.cycles"] = "-5";  // a signed metric: gnuplot chooses the range
  EXPECT_EQ(gnuplot_script("cpu.cycles", "/tmp/x.png", axes, rows).find("set yrange [0:*]"),
            std::string::npos);
  EXPECT_EQ(stat_units("# scope: whole run\n"
                       "cpu.cycles   12  # simulated core cycles (cycles)\n"
                       "cpu.ipc    0.5  # instructions per cycle (ratio)\n"),
            (std::map<std::string, std::string>{{"cpu.cycles", "cycles"}, {"cpu.ipc", "ratio"}}));
  EXPECT_EQ(plot_file_name("guest.nano.cr8wr"), "plot-guest.nano.cr8wr.png");
  EXPECT_EQ(plot_file_name("a/b c"), "plot-a_b_c.png");
}

}  // namespace
}  // namespace hvsim::app
