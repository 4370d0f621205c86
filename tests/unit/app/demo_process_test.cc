// `hvsim demo` end to end with the real hvsim and the real workloads, on a
// reduced iteration count: the table's structure, and relations that hold
// whatever the latencies are (call/ret costs the same everywhere, native has
// no exits, a dearer VM exit costs exactly its price per exit), a missing
// hypervisor as a column of n/a, and bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/app/hvsim_process.h"

#include "sim/app/demo_table.h"
#include "sim/app/sweep_results.h"

namespace {

namespace fs = std::filesystem;

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

constexpr int kIters = 50;
const std::vector<std::string> kSetups{"native",     "vmx-shadow", "vmx-ept",
                                        "svm-shadow", "svm-npt",    "pv"};

using hvsim_test::lines_of;
using hvsim_test::Outcome;
using hvsim_test::read_all;

std::vector<std::string> split_cells(const std::string& row) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (;;) {
    const size_t bar = row.find(" | ", start);
    std::string cell =
        row.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
    cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    if (bar == std::string::npos) return cells;
    start = bar + 3;
  }
}

// setup -> benchmark -> cycles/iter, from demo.csv.
std::map<std::string, std::map<std::string, double>> read_csv(const fs::path& p) {
  std::map<std::string, std::map<std::string, double>> v;
  const auto lines = lines_of(read_all(p));
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::string setup, bench, value;
    std::getline(in, setup, ',');
    std::getline(in, bench, ',');
    std::getline(in, value, ',');
    v[setup][bench] = std::stod(value);
  }
  return v;
}

uint64_t stat(const fs::path& stats_json, const std::string& name) {
  const auto stats = hvsim::app::read_stats_json(stats_json.string());
  if (!stats || !stats->count(name)) return 0;
  return std::stoull(stats->at(name));
}

class DemoProcess : public ::testing::Test {
 protected:
  fs::path dir;
  const std::string workloads = HVSIM_WORKLOADS_DIR;

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("hvsim_demo_test_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }

  // Arguments are single-quoted for the shell; the tests use no quotes in them.
  Outcome run(const std::vector<std::string>& args, const std::string& tag = "") {
    return hvsim_test::run_in(dir, HVSIM_REAL_BIN, args, tag);
  }
  std::vector<std::string> demo_args(const std::string& out, int iters,
                                     std::vector<std::string> extra = {},
                                     const std::string& workloads_dir = "") {
    std::vector<std::string> a{"demo",
                               "--workloads",
                               workloads_dir.empty() ? workloads : workloads_dir,
                               "--iters",
                               std::to_string(iters),
                               "-j",
                               "2",
                               "--out",
                               out};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

TEST_F(DemoProcess, TableStructureAndRelationsThatHoldWhateverTheLatencies) {
  const Outcome o = run(demo_args("d", kIters));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(read_all(dir / "d" / "demo.txt"), o.out);
  const auto lines = lines_of(o.out);
  const auto& benches = hvsim::app::demo_benchmarks();
  ASSERT_GE(lines.size(), 2 + benches.size()) << o.out;

  // Structure: the header names every setup; a row per benchmark; native
  // cells are whole cycles, the others cycles with the ratio, or n/a.
  EXPECT_EQ(lines[0], "cycles per iteration (ratio to native)");
  std::vector<std::string> header = split_cells(lines[1]);
  ASSERT_EQ(header.size(), kSetups.size()) << lines[1];
  EXPECT_EQ(header[0].rfind("benchmark", 0), 0u) << lines[1];
  EXPECT_EQ(header[0].substr(header[0].rfind(' ') + 1), "native");
  for (size_t k = 1; k < kSetups.size(); ++k) EXPECT_EQ(header[k], kSetups[k]);
  const std::regex native_cell("[0-9][0-9,]*"), vm_cell("[0-9][0-9,]* \\([0-9]+\\.[0-9]x\\)");
  std::map<std::string, bool> column_ok;
  // nano.hypercall runs only under a hypervisor: n/a natively, no ratio.
  const std::regex vm_only_cell("[0-9][0-9,]* \\(n/a\\)");
  for (size_t r = 0; r < benches.size(); ++r) {
    const std::string& row = lines[2 + r];
    ASSERT_EQ(row.rfind(benches[r] + " ", 0), 0u) << row;
    const auto cells = split_cells(row);
    ASSERT_EQ(cells.size(), kSetups.size()) << row;
    const std::string native = cells[0].substr(cells[0].rfind(' ') + 1);
    if (benches[r] == "nano.hypercall") {
      EXPECT_EQ(native, "n/a") << row;
      for (size_t k = 1; k < kSetups.size(); ++k)
        EXPECT_TRUE(std::regex_match(cells[k], vm_only_cell) || cells[k] == "n/a") << row;
      continue;
    }
    EXPECT_TRUE(std::regex_match(native, native_cell)) << row;
    for (size_t k = 1; k < kSetups.size(); ++k) {
      const bool ok = std::regex_match(cells[k], vm_cell);
      EXPECT_TRUE(ok || cells[k] == "n/a") << row;
      if (r == 0) column_ok[kSetups[k]] = ok;
      EXPECT_EQ(ok, column_ok[kSetups[k]]) << "a column is all numbers or all n/a: " << row;
    }
  }
  // The VMX setups must run; SVM (landing now) may be a column of n/a, with
  // the reason in the summary.
  EXPECT_TRUE(column_ok["vmx-shadow"]) << o.out << o.err;
  EXPECT_TRUE(column_ok["vmx-ept"]) << o.out << o.err;
  EXPECT_TRUE(column_ok["pv"]) << o.out << o.err;
  const std::string summary = o.out.substr(o.out.find("top exit reasons"));
  for (const auto& s : {"svm-shadow", "svm-npt"}) {
    if (!column_ok[s]) {
      EXPECT_TRUE(std::regex_search(summary, std::regex(std::string("\n") + s + " +n/a: .+")))
          << summary;
    }
  }

  // Every setup that ran: each benchmark printed its cycles, with an iteration
  // count the guest confirms.
  const auto values = read_csv(dir / "d" / "demo.csv");
  for (const auto& s : kSetups) {
    if (s != "native" && !column_ok[s]) continue;
    ASSERT_EQ(values.count(s), 1u) << s;
    EXPECT_EQ(values.at(s).size(), benches.size() - (s == "native" ? 1 : 0)) << s;  // hypercall
    EXPECT_NE(read_all(dir / "d" / s / "stdout.txt").find("nano.cr8wr: 50 iterations"),
              std::string::npos)
        << s;
  }

  // call/ret neither exits nor misses the TLB in its timed loop: the same
  // cycles natively and in every VM setup.
  const double callret = values.at("native").at("nano.callret");
  for (const auto& [setup, v] : values) EXPECT_DOUBLE_EQ(v.at("nano.callret"), callret) << setup;

  // Native has no exits; every VM setup has some in its timed loops (nano.in
  // exits under every hypervisor).
  EXPECT_EQ(stat(dir / "d" / "native" / "stats.json", "virt.exits"), 0u);
  EXPECT_NE(summary.find("\nnative"), std::string::npos);
  EXPECT_TRUE(std::regex_search(summary, std::regex("\nnative +no VM exits\n"))) << summary;
  for (const auto& [setup, v] : values) {
    if (setup == "native") continue;
    EXPECT_GE(stat(dir / "d" / setup / "stats.json", "virt.exits"), uint64_t{kIters}) << setup;
    EXPECT_TRUE(std::regex_search(summary, std::regex("\n" + setup + " +[A-Za-z]"))) << setup << "\n"
                                                                                  << summary;
  }
}

// With EPT the only exits in the timed loops are CR8 writes (CR_ACCESS) and
// port I/O: raising the VM-exit cost by N adds N cycles per exit to nano.cr8wr
// and nano.in, and nothing to a benchmark without exits.
TEST_F(DemoProcess, RaisingTheExitCostByNAddsNPerExitUnderEpt) {
  const Outcome base = run(demo_args("base", kIters), "-base");
  ASSERT_EQ(base.status, 0) << base.err;
  const std::string toml = read_all(dir / "base" / "vmx-ept" / "config.resolved.toml");
  const size_t vmx = toml.find("\n[vmx]\n");
  ASSERT_NE(vmx, std::string::npos);
  const size_t at = toml.find("\nvmexit_cycles = ", vmx);
  ASSERT_NE(at, std::string::npos);
  const long exit_cost = std::stol(toml.substr(at + 17));
  constexpr long kN = 500;
  const Outcome dear = run(
      demo_args("dear", kIters, {"--set", "vmx.vmexit_cycles=" + std::to_string(exit_cost + kN)}),
      "-dear");
  ASSERT_EQ(dear.status, 0) << dear.err;

  const auto b = read_csv(dir / "base" / "demo.csv");
  const auto d = read_csv(dir / "dear" / "demo.csv");
  const fs::path stats = dir / "base" / "vmx-ept" / "stats.json";
  const std::map<std::string, std::string> reason_of{{"nano.hypercall", "VMCALL"},
                                                     {"nano.in", "IO_INSTRUCTION"}};
  for (const auto& [bench, reason] : reason_of) {
    // Exits per iteration from the counts, not assumed: the timed loops' exits
    // of this reason over the iterations.
    const uint64_t exits = stat(stats, "virt.exits." + reason);
    ASSERT_GT(exits, 0u) << reason;
    ASSERT_EQ(exits % kIters, 0u) << reason << " " << exits;
    const double per_iter = static_cast<double>(exits / kIters);
    EXPECT_NEAR(d.at("vmx-ept").at(bench) - b.at("vmx-ept").at(bench), kN * per_iter, 1e-6)
        << bench << " with " << per_iter << " exits per iteration";
    // The same count with the dearer exit: the cost changes nothing else.
    EXPECT_EQ(stat(dir / "dear" / "vmx-ept" / "stats.json", "virt.exits." + reason), exits);
  }
  EXPECT_EQ(stat(stats, "virt.exits.VMCALL"), uint64_t{kIters});  // one per hypercall
  for (const auto& bench : {"nano.callret", "nano.syscall", "syscall"}) {
    EXPECT_DOUBLE_EQ(d.at("vmx-ept").at(bench), b.at("vmx-ept").at(bench)) << bench;
    EXPECT_DOUBLE_EQ(d.at("native").at(bench), b.at("native").at(bench)) << bench;
  }
  // vmx.* costs are VMX's: native and SVM do not move.
  for (const auto& setup : {"native", "svm-npt"}) {
    if (!b.count(setup) || !d.count(setup)) continue;
    for (const auto& [bench, v] : b.at(setup)) EXPECT_DOUBLE_EQ(d.at(setup).at(bench), v) << setup;
  }
}

TEST_F(DemoProcess, AMissingHypervisorIsAColumnOfNa) {
  const fs::path w = dir / "w";
  fs::create_directories(w);
  fs::create_symlink(workloads + "/minikernel.elf", w / "minikernel.elf");
  Outcome o = run(demo_args("none", 10, {}, w.string()));
  // Native alone is not a demo: status 1, and still the table.
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_NE(o.out.find("vmx-ept     n/a: no readable " + (w / "hv_vmx.elf").string()),
            std::string::npos)
      << o.out;

  fs::create_symlink(workloads + "/hv_vmx.elf", w / "hv_vmx.elf");
  o = run(demo_args("vmx", 10, {}, w.string()));
  EXPECT_EQ(o.status, 0) << o.err;
  const auto lines = lines_of(o.out);
  ASSERT_GE(lines.size(), 13u) << o.out;
  for (size_t r = 2; r < 13; ++r) {
    const auto cells = split_cells(lines[r]);
    ASSERT_EQ(cells.size(), 6u) << lines[r];
    EXPECT_NE(cells[2].find('x'), std::string::npos) << lines[r];
    EXPECT_EQ(cells[3], "n/a") << lines[r];
    EXPECT_EQ(cells[4], "n/a") << lines[r];
  }
  EXPECT_NE(o.out.find("svm-npt     n/a: no readable " + (w / "hv_svm.elf").string()),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("pv          n/a: no readable " + (w / "hv_pv.elf").string()),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.err.find("native ok, 2 of 5 VM setups ok"), std::string::npos) << o.err;
}

// A CPU model without SVM: the SVM hypervisor gives up, its columns are n/a
// with its own words, and the demo still succeeds on the others.
TEST_F(DemoProcess, AFailingSetupIsAColumnOfNaWithItsReason) {
  const Outcome o = run(demo_args("nosvm", 10, {"--set", "cpu.svm=false"}));
  EXPECT_EQ(o.status, 0) << o.err;
  const auto lines = lines_of(o.out);
  ASSERT_GE(lines.size(), 13u) << o.out;
  for (size_t r = 2; r < 13; ++r) {
    const auto cells = split_cells(lines[r]);
    ASSERT_EQ(cells.size(), 6u) << lines[r];
    EXPECT_EQ(cells[3], "n/a") << lines[r];
    EXPECT_EQ(cells[4], "n/a") << lines[r];
  }
  for (const auto& s : {"svm-shadow", "svm-npt"}) {
    EXPECT_TRUE(std::regex_search(
        o.out, std::regex(std::string("\n") + s + " +n/a: hv: .*no SVM \\(exit [0-9]+: .*\\)\n")))
        << o.out;
  }
  EXPECT_NE(o.err.find("native ok, 3 of 5 VM setups ok"), std::string::npos) << o.err;
}

TEST_F(DemoProcess, BadInputIsOneLineAndStatus2) {
  const std::vector<std::vector<std::string>> bad{
      demo_args("x", 10, {"--set", "timing.alu_cyles=3"}),
      {"demo", "--workloads", (dir / "nowhere").string()},
      {"demo", "--workloads", workloads, "--iters", "0"},
      {"demo", "--workloads", workloads, "-j", "many"},
  };
  for (const auto& args : bad) {
    const Outcome o = run(args);
    EXPECT_EQ(o.status, 2) << args.back() << "\n" << o.err;
    EXPECT_EQ(lines_of(o.err).size(), 1u) << o.err;
    EXPECT_EQ(o.err.rfind("hvsim: error: ", 0), 0u) << o.err;
    EXPECT_EQ(o.out, "");
  }
}

#else

TEST(DemoProcess, NeedsTheRealHvsimAndTheWorkloads) {
  GTEST_SKIP() << "hvsim or workloads not built";
}

#endif

}  // namespace
