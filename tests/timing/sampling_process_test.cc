// Fast-forward and sampling under the real hvsim: a fast-forwarded run gives
// the detailed run's output and instruction count, timing.* starts at the
// switch, the sampled CPI lands near the detailed one (demo.elf: 3 %; the
// mini kernel's TLB benchmark: the bound docs/timing.md states), two
// sampled runs are identical, and bad --fast-forward / --sample strings are
// one line and exit status 2. No timed assertion (bench/fast_forward.sh).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

struct HvsimRun {
  int status = -1;
  std::string out, err;
  uint64_t insns = 0, cycles = 0;    // the summary line (whole run)
  std::map<std::string, double> st;  // stats.txt
  std::vector<std::string> notes;    // "hvsim: fast-forward: ..." / "hvsim: sampling: ..."
  double cpi() const { return static_cast<double>(cycles) / static_cast<double>(insns); }
};

uint64_t number(std::string s) {
  std::erase(s, ',');
  return std::stoull(s);
}

HvsimRun hvsim_run(const std::vector<std::string>& args) {
  static int serial = 0;
  const fs::path dir = fs::temp_directory_path() / ("hvsim_sampling_" + std::to_string(getpid()) +
                                                    "_" + std::to_string(serial++));
  fs::create_directories(dir);
  std::vector<std::string> argv = {"run"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--out", (dir / "out").string(), "--quiet"});
  const hvsim_test::Outcome o = hvsim_test::run_in(dir, HVSIM_REAL_BIN, argv);
  HvsimRun r;
  r.status = o.status;
  r.out = o.out;
  r.err = o.err;
  for (const std::string& line : hvsim_test::lines_of(o.err)) {
    char a[32], b[32];
    if (std::sscanf(line.c_str(), "hvsim: %31[0-9,] instructions, %31[0-9,] cycles", a, b) == 2) {
      r.insns = number(a);
      r.cycles = number(b);
    }
    if (line.rfind("hvsim: fast-forward:", 0) == 0 || line.rfind("hvsim: sampling:", 0) == 0)
      r.notes.push_back(line);
  }
  for (const std::string& line :
       hvsim_test::lines_of(hvsim_test::read_all(dir / "out/stats.txt"))) {
    char name[128];
    double v = 0;
    if (std::sscanf(line.c_str(), "%127s %lf", name, &v) == 2) r.st[name] = v;
  }
  fs::remove_all(dir);
  return r;
}

std::string workload(const std::string& name) {
  return std::string(HVSIM_WORKLOADS_DIR) + "/" + name;
}

// The guest's output without its "timing:" lines (cycle counts: they may
// differ between correct machines, workloads/README.md).
std::vector<std::string> output_lines(const std::string& out) {
  std::vector<std::string> v;
  for (const std::string& l : hvsim_test::lines_of(out))
    if (l.rfind("timing:", 0) != 0) v.push_back(l);
  return v;
}

TEST(FastForward, SameOutputAndInstructionCountAsTheDetailedRun) {
  // The mini kernel's checks retire the same instructions under every model.
  for (const char* model : {"simple", "ooo"}) {
    const std::vector<std::string> k = {workload("minikernel.elf"), "--cmdline", "bench=check",
                                        "--set", std::string("timing.model=") + model};
    const HvsimRun full = hvsim_run(k);
    std::vector<std::string> ff_args = k;
    ff_args.insert(ff_args.end(), {"--fast-forward", "insns:400000"});
    const HvsimRun ff = hvsim_run(ff_args);
    ASSERT_EQ(full.status, 0) << full.err;
    ASSERT_EQ(ff.status, 0) << ff.err;
    EXPECT_EQ(output_lines(ff.out), output_lines(full.out)) << model;
    EXPECT_EQ(ff.insns, full.insns) << model;
    ASSERT_EQ(ff.notes.size(), 1u) << ff.err;
    EXPECT_NE(ff.notes[0].find("400,000 instructions functional"), std::string::npos)
        << ff.notes[0];
  }
  // The demo: the same checksums (its RDTSC timings differ).
  const HvsimRun full = hvsim_run({workload("demo.elf")});
  const HvsimRun ff = hvsim_run({workload("demo.elf"), "--fast-forward", "insns:30000000"});
  ASSERT_EQ(ff.status, 0) << ff.err;
  EXPECT_EQ(output_lines(ff.out), output_lines(full.out));
  EXPECT_GE(output_lines(ff.out).size(), 6u);
}

TEST(FastForward, DetailedStatisticsStartAtTheSwitch) {
  const uint64_t n = 400000;
  const HvsimRun ff = hvsim_run({workload("minikernel.elf"), "--cmdline", "bench=check",
                                 "--fast-forward", "insns:" + std::to_string(n)});
  ASSERT_EQ(ff.status, 0) << ff.err;
  const double insns = ff.st.at("cpu.instructions"), timed = ff.st.at("timing.instructions");
  const double counted = ff.st.at("phase.functional_instructions") +
                         ff.st.at("phase.warming_instructions") +
                         ff.st.at("phase.detailed_instructions");
  EXPECT_EQ(ff.st.at("phase.functional_instructions"), double(n));
  EXPECT_EQ(ff.st.at("phase.warming_instructions"), 0.0);
  // The model saw every instruction after the N counted ones (REP
  // iterations count toward N) and none before; a faulting instruction is
  // retired by the model but not counted as retired.
  EXPECT_GE(timed, insns - double(n));
  EXPECT_LE(timed, insns - double(n) + (counted - insns) + ff.st.at("cpu.exceptions"));
  EXPECT_LT(ff.st.at("timing.cycles"), ff.st.at("cpu.cycles"));
  const HvsimRun full = hvsim_run({workload("minikernel.elf"), "--cmdline", "bench=check"});
  EXPECT_GE(full.st.at("timing.instructions"), full.st.at("cpu.instructions"));
  EXPECT_EQ(full.st.count("phase.detailed_instructions"), 0u);  // no schedule: no phase.*
  EXPECT_LT(ff.st.at("timing.cycles"), full.st.at("timing.cycles"));
}

// The sampled estimate against the detailed run's CPI (whole run).
double sampled_error(const std::vector<std::string>& k, const std::string& model,
                     const std::string& sample, HvsimRun* sampled = nullptr) {
  std::vector<std::string> a = k;
  a.insert(a.end(), {"--set", "timing.model=" + model});
  const HvsimRun full = hvsim_run(a);
  a.insert(a.end(), {"--sample", sample});
  const HvsimRun s = hvsim_run(a);
  EXPECT_EQ(full.status, 0) << full.err;
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.notes.size(), 1u) << s.err;
  EXPECT_GE(s.st.at("sample.windows"), 10.0);
  if (sampled) *sampled = s;
  // The end-of-run line's estimate covers the whole run, as the detailed
  // run's summary does (stats.txt stops at the last region of interest).
  const std::string& note = s.notes.at(0);
  const size_t at = note.find("): CPI ");
  EXPECT_NE(at, std::string::npos) << note;
  const double cpi = at == std::string::npos ? 0 : std::strtod(note.c_str() + at + 7, nullptr);
  return (cpi - full.cpi()) / full.cpi();
}

TEST(Sampling, DemoOooWithinThreePercent) {
  HvsimRun s;
  const double err = sampled_error({workload("demo.elf")}, "ooo", "100000:2000:90000", &s);
  EXPECT_LT(std::fabs(err), 0.03) << "sampled CPI " << s.st.at("sample.cpi");
  EXPECT_NE(s.notes.at(0).find("extrapolated"), std::string::npos);
  EXPECT_GT(s.st.at("sample.cpi_ci95"), 0.0);
  // stats.txt prints six decimals: the product agrees to about 1e-6.
  EXPECT_NEAR(s.st.at("sample.extrapolated_cycles") /
                  (s.st.at("sample.cpi") * s.st.at("sample.total_instructions")),
              1.0, 1e-5);
}

TEST(Sampling, DemoSimpleWithinThreePercent) {
  EXPECT_LT(std::fabs(sampled_error({workload("demo.elf")}, "simple", "100000:2000:90000")), 0.03);
}

// The mini kernel's TLB benchmark: page walks and TLB misses dominate; the
// documented bound (docs/timing.md) is 5 % with 20000:1000:18000.
TEST(Sampling, TlbStressWithinFivePercent) {
  const std::vector<std::string> k = {workload("minikernel.elf"), "--cmdline", "bench=tlb"};
  EXPECT_LT(std::fabs(sampled_error(k, "ooo", "20000:1000:18000")), 0.05);
  EXPECT_LT(std::fabs(sampled_error(k, "simple", "20000:1000:18000")), 0.05);
}

TEST(Sampling, TwoSampledRunsAreIdentical) {
  const std::vector<std::string> k = {
      workload("minikernel.elf"), "--cmdline", "bench=tlb",       "--set",
      "timing.model=ooo",         "--sample",  "20000:1000:18000"};
  const HvsimRun a = hvsim_run(k), b = hvsim_run(k);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.insns, b.insns);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.notes, b.notes);
  std::map<std::string, double> sa = a.st, sb = b.st;
  for (const char* host : {"sim.wall_seconds", "sim.mips"}) {  // host time
    sa.erase(host);
    sb.erase(host);
  }
  EXPECT_EQ(sa, sb);
  EXPECT_GT(a.st.count("sample.cpi"), 0u);
}

TEST(SamplingOptions, BadStringsGiveOneLineAndExitTwo) {
  const std::vector<std::vector<std::string>> bad = {
      {"--fast-forward", "1000"},
      {"--fast-forward", "insns:"},
      {"--fast-forward", "insns:abc"},
      {"--fast-forward", "insns:0"},
      {"--sample", "1000:10"},
      {"--sample", "1000:10:5:1"},
      {"--sample", "10:20:0"},
      {"--sample", "100:0:10"},
      {"--sample", "x:1:1"},
      {"--set", "timing.sample=100:50:60"},
      {"--set", "timing.fast_forward=cycles:5"},
  };
  for (const auto& opt : bad) {
    std::vector<std::string> a = {workload("minikernel.elf")};
    a.insert(a.end(), opt.begin(), opt.end());
    const HvsimRun r = hvsim_run(a);
    EXPECT_EQ(r.status, 2) << opt[1];
    EXPECT_EQ(hvsim_test::lines_of(r.err).size(), 1u) << r.err;
    EXPECT_TRUE(r.out.empty()) << opt[1];
  }
}

#endif

}  // namespace
