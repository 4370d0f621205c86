// hv_svm (workloads/hv/svm): the SVM hypervisor with a guest kernel as its
// multiboot module, under qemu-system-x86_64 -cpu max,+svm (QEMU's TCG
// emulates SVM with nested paging), in both MMU modes.  The guest's
// functional output must equal its output when QEMU boots it natively;
// the hypervisor's exit-count report must be well formed.  The same runs
// under hvsim (cpu.vendor = AuthenticAMD) are below.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <utility>

#include "workload_checks.h"

using namespace hvsim_test;

namespace {

#define REQUIRE_QEMU() \
  if (qemu_path().empty()) GTEST_SKIP() << "qemu-system-x86_64 not on PATH"

// Exit codes of the hypervisor itself (workloads/hv/svm/hv.h).
constexpr int kHvExitSetup = 0x70;

// QEMU's -initrd takes comma-separated modules: a comma inside one is doubled.
std::string initrd_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

// The guest's module string: "PATH ARGS" (the guest's command line).
std::string module_string(const std::string& guest, const std::string& args) {
  std::string m = workload_path(guest, false);
  if (!args.empty()) m += " " + args;
  return m;
}

ProcResult run_qemu_svm(const std::string& guest, const std::string& args,
                        const std::string& hv_cmdline, const std::string& cpu = "max,+svm") {
  return run_process({qemu_path(),
                      "-accel",
                      "tcg",
                      "-cpu",
                      cpu,
                      "-m",
                      "256",
                      "-kernel",
                      workload_path("hv_svm", true),
                      "-initrd",
                      initrd_escape(module_string(guest, args)),
                      "-append",
                      hv_cmdline,
                      "-serial",
                      "stdio",
                      "-display",
                      "none",
                      "-monitor",
                      "none",
                      "-no-reboot",
                      "-device",
                      "isa-debug-exit,iobase=0xf4,iosize=0x04"},
                     std::chrono::seconds(900));
}

// The guest's functional lines: comparable() minus the hypervisor's "hv:".
std::string guest_lines(const std::string& serial) {
  std::string out;
  for (const auto& l : lines(comparable(serial)))
    if (l.rfind("hv:", 0) != 0) out += l + "\n";
  return out;
}

// "hv:   VMEXIT_NAME COUNT" lines after "hv: exits by reason:", in order.
std::vector<std::pair<std::string, long long>> exit_counts(const std::string& serial) {
  std::vector<std::pair<std::string, long long>> v;
  bool in = false;
  const std::regex row("hv:   (\\S+) (\\d+)");
  for (const auto& l : lines(serial)) {
    if (l == "hv: exits by reason:") {
      in = true;
      continue;
    }
    std::smatch m;
    if (in && std::regex_match(l, m, row))
      v.emplace_back(m[1], std::stoll(m[2]));
    else if (in)
      break;
  }
  return v;
}

long long count_of(const std::vector<std::pair<std::string, long long>>& v,
                   const std::string& name) {
  for (const auto& [n, c] : v)
    if (n == name) return c;
  return 0;
}

void expect_well_formed_counts(const std::vector<std::pair<std::string, long long>>& v) {
  ASSERT_FALSE(v.empty());
  for (size_t i = 0; i < v.size(); i++) {
    EXPECT_TRUE(std::regex_match(v[i].first, std::regex("VMEXIT_[A-Z0-9_]+"))) << v[i].first;
    EXPECT_GT(v[i].second, 0) << v[i].first;
    if (i) {
      EXPECT_LE(v[i].second, v[i - 1].second) << "not sorted by count at " << v[i].first;
    }
  }
}

struct Guest {
  const char* name;
  std::string args;
};

const Guest kGuests[] = {{"selftest", kSelftestArgs},
                         {"demo", ""},
                         {"minikernel", kMinikernelSmallArgs},
                         {"minikernel", ""}};

// Native runs, once per guest.
const ProcResult& native_run(const Guest& g) {
  static std::map<std::string, ProcResult> cache;
  const std::string key = std::string(g.name) + "|" + g.args;
  auto it = cache.find(key);
  if (it == cache.end())
    it = cache.emplace(key, run_qemu(workload_path(g.name, true), g.args)).first;
  return it->second;
}

void check_guest_under_hv(const Guest& g, const std::string& mmu) {
  SCOPED_TRACE(std::string(g.name) + " mmu=" + mmu);
  const auto& native = native_run(g);
  ASSERT_FALSE(native.timed_out) << describe(native);
  auto r = run_qemu_svm(g.name, g.args, "mmu=" + mmu);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, native.exit_code) << describe(r);
  EXPECT_EQ(r.exit_code, (0 << 1) | 1) << describe(r);
  EXPECT_EQ(guest_lines(r.out), guest_lines(native.out));
  EXPECT_NE(r.out.find("hv: mmu=" + mmu + ","), std::string::npos) << r.out;
  auto counts = exit_counts(r.out);
  expect_well_formed_counts(counts);
  // Every line of output went through the COM1 intercept.
  EXPECT_GT(count_of(counts, "VMEXIT_IOIO"), static_cast<long long>(lines(native.out).size()))
      << r.out;
  EXPECT_EQ(count_of(counts, "VMEXIT_NPF"), 0) << r.out;
  if (mmu == "npt") {
    // Nested paging: the guest's own CR accesses and page faults stay in the guest.
    EXPECT_EQ(count_of(counts, "VMEXIT_EXCP14"), 0) << r.out;
    EXPECT_EQ(count_of(counts, "VMEXIT_CR3_WRITE"), 0) << r.out;
    EXPECT_EQ(count_of(counts, "VMEXIT_INVLPG"), 0) << r.out;
  } else {
    // Shadow paging: shadow fills through #PF, and the switch into long
    // mode through intercepted CR0/CR4 writes.
    EXPECT_GT(count_of(counts, "VMEXIT_EXCP14"), 0) << r.out;
    EXPECT_GE(count_of(counts, "VMEXIT_CR0_WRITE"), 1) << r.out;
    EXPECT_GE(count_of(counts, "VMEXIT_CR4_WRITE"), 1) << r.out;
  }
}

TEST(QemuSvmHv, SelftestNpt) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[0], "npt");
}
TEST(QemuSvmHv, SelftestShadow) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[0], "shadow");
}
TEST(QemuSvmHv, DemoNpt) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[1], "npt");
}
TEST(QemuSvmHv, DemoShadow) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[1], "shadow");
}
TEST(QemuSvmHv, MinikernelNpt) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[2], "npt");
}
TEST(QemuSvmHv, MinikernelShadow) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[2], "shadow");
}
// Every benchmark at its default size (forks, TLB stress, nanobenchmarks).
TEST(QemuSvmHv, MinikernelDefaultNpt) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[3], "npt");
}
TEST(QemuSvmHv, MinikernelDefaultShadow) {
  REQUIRE_QEMU();
  check_guest_under_hv(kGuests[3], "shadow");
}

// The guest's checks themselves, not only agreement with the native run.
TEST(QemuSvmHv, GuestsPassTheirOwnChecks) {
  REQUIRE_QEMU();
  for (const char* mmu : {"npt", "shadow"}) {
    SCOPED_TRACE(mmu);
    auto s = run_qemu_svm("selftest", kSelftestArgs, std::string("mmu=") + mmu);
    expect_selftest_output(s.out);
    auto m = run_qemu_svm("minikernel", kMinikernelSmallArgs, std::string("mmu=") + mmu);
    EXPECT_EQ(guest_lines(m.out), read_golden("minikernel-small"));
    EXPECT_NE(m.out.find("minikernel: 0 failures\n"), std::string::npos) << m.out;
  }
}

// A nonzero guest status travels through the forwarded port 0xf4.
TEST(QemuSvmHv, GuestExitStatusForwarded) {
  REQUIRE_QEMU();
  for (const char* mmu : {"npt", "shadow"}) {
    SCOPED_TRACE(mmu);
    auto r = run_qemu_svm("minikernel", "ws=0", std::string("mmu=") + mmu);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, (2 << 1) | 1) << describe(r);
    EXPECT_NE(r.out.find("minikernel: bad argument \"ws=0\"\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("hv: exits by reason:\n"), std::string::npos) << r.out;
  }
}

// mmu=auto: nested paging when QEMU's CPU offers it, shadow paging without.
TEST(QemuSvmHv, AutoPicksNptOnlyWhenOffered) {
  REQUIRE_QEMU();
  for (const char* cpu : {"max,+svm", "max,+svm,-npt"}) {
    SCOPED_TRACE(cpu);
    auto r = run_qemu_svm("selftest", kSelftestArgs, "mmu=auto", cpu);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 1) << describe(r);  // (0 << 1) | 1
    expect_selftest_output(r.out);
    const bool npt = std::string(cpu).find("-npt") == std::string::npos;
    EXPECT_NE(r.out.find(npt ? "hv: mmu=npt," : "hv: mmu=shadow,"), std::string::npos) << r.out;
  }
}

TEST(QemuSvmHv, RejectsBadArgument) {
  REQUIRE_QEMU();
  auto r = run_qemu_svm("demo", "", "mmu=ept");
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (kHvExitSetup << 1) | 1) << describe(r);
  EXPECT_NE(r.out.find("hv: bad arguments \"mmu=ept\""), std::string::npos) << r.out;
}

TEST(QemuSvmHv, NoSvmWithoutTheCpuFeature) {
  REQUIRE_QEMU();
  auto r = run_process({qemu_path(),
                        "-accel",
                        "tcg",
                        "-cpu",
                        "max,-svm",
                        "-m",
                        "256",
                        "-kernel",
                        workload_path("hv_svm", true),
                        "-initrd",
                        module_string("demo", ""),
                        "-append",
                        "mmu=npt",
                        "-serial",
                        "stdio",
                        "-display",
                        "none",
                        "-monitor",
                        "none",
                        "-no-reboot",
                        "-device",
                        "isa-debug-exit,iobase=0xf4,iosize=0x04"},
                       std::chrono::seconds(120));
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, (kHvExitSetup << 1) | 1) << describe(r);
  EXPECT_NE(r.out.find("no SVM"), std::string::npos) << r.out;
}

#ifdef HVSIM_BIN
// hvsim run hv_svm.elf --module GUEST.elf:ARGS --cmdline mmu=...: status
// is the port-0xf4 value itself.
ProcResult run_hvsim_svm(const std::string& guest, const std::string& args,
                         const std::string& mmu, const std::vector<std::string>& extra = {}) {
  auto tmpl = (std::filesystem::temp_directory_path() / "hvsim-svmhv-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-svmhv-out";
  std::vector<std::string> argv = {HVSIM_BIN, "run", workload_path("hv_svm", false), "--module",
                                   workload_path(guest, false) + ":" + args, "--cmdline", "mmu=" + mmu,
                                   "--set", "memory.size_mib=256", "--set", "cpu.vendor=AuthenticAMD",
                                   "--out", out_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = run_process(argv, std::chrono::seconds(1800));
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  return r;
}

// mmu=auto follows CPUID 8000_000Ah EDX[0]: nested paging when the CPU model
// offers it, shadow paging when the preset withholds it (svm.np=false); the
// guest runs the same either way.
TEST(HvsimSvmHv, AutoPicksNptOnlyWhenOffered) {
  const ProcResult with = run_hvsim_svm("demo", "", "auto");
  ASSERT_FALSE(with.timed_out) << describe(with);
  EXPECT_EQ(with.exit_code, 0) << describe(with);
  EXPECT_NE(with.out.find("hv: mmu=npt,"), std::string::npos) << with.out;
  EXPECT_EQ(guest_lines(with.out), read_golden("demo"));
  EXPECT_EQ(count_of(exit_counts(with.out), "VMEXIT_EXCP14"), 0) << with.out;
  const ProcResult without = run_hvsim_svm("demo", "", "auto", {"--set", "svm.np=false"});
  ASSERT_FALSE(without.timed_out) << describe(without);
  EXPECT_EQ(without.exit_code, 0) << describe(without);
  EXPECT_NE(without.out.find("hv: mmu=shadow,"), std::string::npos) << without.out;
  EXPECT_EQ(guest_lines(without.out), read_golden("demo"));
  EXPECT_GT(count_of(exit_counts(without.out), "VMEXIT_EXCP14"), 0) << without.out;
}

// Without nested paging, mmu=npt is refused at set-up rather than run.
TEST(HvsimSvmHv, NptRefusedWithoutNestedPaging) {
  const ProcResult r = run_hvsim_svm("demo", "", "npt", {"--set", "svm.np=false"});
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, kHvExitSetup) << describe(r);
  EXPECT_NE(r.out.find("hv: mmu=npt without nested paging"), std::string::npos) << r.out;
}

// hvsim's AMD CPU model (cpu.vendor = AuthenticAMD) offers SVM.
TEST(HvsimSvmHv, GuestsMatchNativeQemu) {
  for (const auto& g : kGuests) {
    for (const char* mmu : {"npt", "shadow"}) {
      SCOPED_TRACE(std::string(g.name) + " mmu=" + mmu);
      auto h = run_hvsim_svm(g.name, g.args, mmu);
      ASSERT_FALSE(h.timed_out) << describe(h);
      EXPECT_EQ(h.exit_code, 0) << describe(h);
      expect_well_formed_counts(exit_counts(h.out));
      if (!qemu_path().empty()) {
        EXPECT_EQ(guest_lines(h.out), guest_lines(native_run(g).out));
      }
    }
  }
}

// The default (Intel) CPU model has no SVM: the hypervisor stops at set-up.
TEST(HvsimSvmHv, NoSvmOnTheIntelModel) {
  auto tmpl = (std::filesystem::temp_directory_path() / "hvsim-svmhv-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-svmhv-out";
  auto r = run_process({HVSIM_BIN, "run", workload_path("hv_svm", false), "--module",
                        workload_path("demo", false) + ":", "--cmdline", "mmu=npt", "--out",
                        out_dir},
                       std::chrono::seconds(120));
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, kHvExitSetup) << describe(r);
  EXPECT_NE(r.out.find("no SVM"), std::string::npos) << r.out;
}

TEST(HvsimSvmHv, SameExitCountsAsQemu) {
  // Exit counts of a deterministic guest do not depend on timing, so hvsim
  // and QEMU must agree on them exactly.
  REQUIRE_QEMU();
  for (const char* mmu : {"npt", "shadow"}) {
    SCOPED_TRACE(mmu);
    auto h = run_hvsim_svm("selftest", kSelftestArgs, mmu);
    auto q = run_qemu_svm("selftest", kSelftestArgs, std::string("mmu=") + mmu);
    EXPECT_EQ(exit_counts(h.out), exit_counts(q.out));
  }
}
#endif

}  // namespace
