// hv_vmx (workloads/hv/vmx): the VMX hypervisor with a guest kernel as its
// first multiboot module, in both MMU modes (mmu=ept, mmu=shadow).
//
// Reference runs use Bochs (Debian's bochs 2.7 emulates VMX; QEMU's TCG
// does not), booted from a GRUB rescue ISO by bochs/run_bochs.sh; they are
// skipped when bochs, grub-mkrescue or xorriso is missing.  The guest's
// functional output must equal its golden output (the same as a native
// boot), and the hypervisor's exit-count report must be well formed.
//
// The same runs under hvsim (`hvsim run hv_vmx.elf --module GUEST:ARGS
// --cmdline mmu=...`) follow.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "workload_checks.h"

using namespace hvsim_test;

namespace {

// Exit codes of the hypervisor itself (workloads/hv/vmx/hv.h).
constexpr int kHvExitSetup = 0x7a;

bool have_bochs() {
  return !find_in_path("bochs").empty() && !find_in_path("grub-mkrescue").empty() &&
         !find_in_path("xorriso").empty();
}

#define REQUIRE_BOCHS() \
  if (!have_bochs()) GTEST_SKIP() << "bochs, grub-mkrescue or xorriso not on PATH"

// run_bochs.sh KERNEL ARGS MODULE ARGS: the exit status is the N of the
// hypervisor's "hv: exit N" line.
ProcResult run_bochs_hv(const std::string& guest, const std::string& guest_args, const std::string& hv_cmdline,
                        int timeout_s = 900) {
  std::vector<std::string> argv = {"sh", HVSIM_BOCHS_RUN, "-t", std::to_string(timeout_s),
                                   workload_path("hv_vmx", true), hv_cmdline};
  if (!guest.empty()) {
    argv.push_back(workload_path(guest, false));
    argv.push_back(guest_args);
  }
  return run_process(argv, std::chrono::seconds(timeout_s + 120));
}

// The guest's functional lines: comparable() minus the hypervisor's "hv:".
std::string guest_lines(const std::string& serial) {
  std::string out;
  for (const auto& l : lines(comparable(serial)))
    if (l.rfind("hv:", 0) != 0) out += l + "\n";
  return out;
}

using Counts = std::vector<std::pair<std::string, long long>>;

// "hv:   NAME COUNT" lines after "hv: exits by reason:", in order.
Counts exit_counts(const std::string& serial) {
  Counts v;
  bool in = false;
  const std::regex row("hv:   (\\S+) (\\d+)");
  for (const auto& l : lines(serial)) {
    if (l == "hv: exits by reason:") {
      in = true;
      continue;
    }
    std::smatch m;
    if (in && std::regex_match(l, m, row)) v.emplace_back(m[1], std::stoll(m[2]));
    else if (in) break;
  }
  return v;
}

long long count_of(const Counts& v, const std::string& name) {
  for (const auto& [n, c] : v)
    if (n == name) return c;
  return 0;
}

void expect_well_formed_counts(const Counts& v) {
  ASSERT_FALSE(v.empty());
  for (size_t i = 0; i < v.size(); i++) {
    EXPECT_TRUE(std::regex_match(v[i].first, std::regex("[A-Z][A-Z0-9_]+"))) << v[i].first;
    EXPECT_NE(v[i].first, "UNKNOWN");
    EXPECT_GT(v[i].second, 0) << v[i].first;
    if (i) {
      EXPECT_LE(v[i].second, v[i - 1].second) << "not sorted by count at " << v[i].first;
    }
  }
}

// What every successful run shows, whatever the machine.
void expect_hv_run(const ProcResult& r, const std::string& mmu, size_t guest_line_count) {
  EXPECT_NE(r.out.find("hv: mmu=" + mmu), std::string::npos) << r.out;
  auto counts = exit_counts(r.out);
  expect_well_formed_counts(counts);
  // Every character of the guest's output went through the COM1 intercept.
  EXPECT_GT(count_of(counts, "IO_INSTRUCTION"), static_cast<long long>(guest_line_count)) << r.out;
  EXPECT_GE(count_of(counts, "CPUID") + count_of(counts, "MSR_READ") + count_of(counts, "MSR_WRITE"), 1) << r.out;
  EXPECT_EQ(count_of(counts, "EPT_VIOLATION"), 0) << r.out;
  EXPECT_EQ(count_of(counts, "TRIPLE_FAULT"), 0) << r.out;
  if (mmu == "ept") {
    // EPT: the guest's page faults, CR3 writes and INVLPGs stay in the guest.
    EXPECT_EQ(count_of(counts, "EXCEPTION_NMI"), 0) << r.out;
    EXPECT_EQ(count_of(counts, "INVLPG"), 0) << r.out;
  } else {
    // Shadow paging: fills through #PF, and the switch into long mode
    // through intercepted CR0/CR3/CR4 writes.
    EXPECT_GT(count_of(counts, "EXCEPTION_NMI"), 0) << r.out;
    EXPECT_GE(count_of(counts, "CR_ACCESS"), 3) << r.out;
  }
}

void check_selftest(const ProcResult& r, const std::string& mmu) {
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  expect_selftest_output(r.out);
  expect_hv_run(r, mmu, lines(guest_lines(r.out)).size());
}

void check_demo(const ProcResult& r, const std::string& mmu) {
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(guest_lines(r.out), read_golden("demo"));
  expect_hv_run(r, mmu, lines(guest_lines(r.out)).size());
}

void check_minikernel(const ProcResult& r, const std::string& mmu, const std::string& golden) {
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(guest_lines(r.out), read_golden(golden));
  EXPECT_NE(r.out.find("minikernel: 0 failures\n"), std::string::npos) << r.out;
  int timing = 0;
  for (const auto& l : lines(r.out)) timing += l.rfind("timing: ", 0) == 0;
  EXPECT_EQ(timing, kMinikernelTimingLines + 1) << r.out;  // + nano.hypercall
  // The seven nanobenchmarks each print cycles per iteration.
  for (const char* n : {"syscall", "in", "cr8wr", "callret", "divzero", "pgfault", "ptemod"})
    EXPECT_TRUE(std::regex_search(r.out, std::regex(std::string("timing: nano\\.") + n + " \\d+\\.\\d cycles/iter")))
        << n;
  expect_hv_run(r, mmu, lines(guest_lines(r.out)).size());
  auto counts = exit_counts(r.out);
  // nano.hypercall makes VMCALLs; nano.cr8wr does not exit (the TPR
  // shadow, tpr=shadow by default).
  EXPECT_GE(count_of(counts, "VMCALL"), 200) << r.out;
  if (mmu == "shadow") {
    EXPECT_GE(count_of(counts, "INVLPG"), 200) << r.out;  // nano.ptemod
  }
}

// ------------------------------------------------------------------ Bochs

TEST(BochsVmxHv, SelftestEpt) {
  REQUIRE_BOCHS();
  check_selftest(run_bochs_hv("selftest", kSelftestArgs, "mmu=ept"), "ept");
}
TEST(BochsVmxHv, SelftestShadow) {
  REQUIRE_BOCHS();
  check_selftest(run_bochs_hv("selftest", kSelftestArgs, "mmu=shadow"), "shadow");
}
TEST(BochsVmxHv, DemoEpt) {
  REQUIRE_BOCHS();
  check_demo(run_bochs_hv("demo", "", "mmu=ept"), "ept");
}
TEST(BochsVmxHv, DemoShadow) {
  REQUIRE_BOCHS();
  check_demo(run_bochs_hv("demo", "", "mmu=shadow"), "shadow");
}
TEST(BochsVmxHv, MinikernelSmallEpt) {
  REQUIRE_BOCHS();
  check_minikernel(run_bochs_hv("minikernel", kMinikernelSmallArgs, "mmu=ept"), "ept", "minikernel-small");
}
TEST(BochsVmxHv, MinikernelSmallShadow) {
  REQUIRE_BOCHS();
  check_minikernel(run_bochs_hv("minikernel", kMinikernelSmallArgs, "mmu=shadow"), "shadow", "minikernel-small");
}
// Every benchmark at its default size (forks, TLB stress, nanobenchmarks).
TEST(BochsVmxHv, MinikernelDefaultEpt) {
  REQUIRE_BOCHS();
  check_minikernel(run_bochs_hv("minikernel", "", "mmu=ept"), "ept", "minikernel");
}
TEST(BochsVmxHv, MinikernelDefaultShadow) {
  REQUIRE_BOCHS();
  check_minikernel(run_bochs_hv("minikernel", "", "mmu=shadow"), "shadow", "minikernel");
}

// A nonzero guest status travels through the intercepted port 0xf4.
TEST(BochsVmxHv, GuestExitStatusForwarded) {
  REQUIRE_BOCHS();
  for (const char* mmu : {"ept", "shadow"}) {
    SCOPED_TRACE(mmu);
    auto r = run_bochs_hv("minikernel", "ws=0", std::string("mmu=") + mmu);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.out.find("minikernel: bad argument \"ws=0\"\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("hv: exits by reason:\n"), std::string::npos) << r.out;
  }
}

TEST(BochsVmxHv, NoGuestModule) {
  REQUIRE_BOCHS();
  auto r = run_bochs_hv("", "", "mmu=ept", 300);
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, kHvExitSetup) << describe(r);
  EXPECT_NE(r.out.find("hv: no guest module\n"), std::string::npos) << r.out;
}

// ------------------------------------------------------------------ hvsim

#ifdef HVSIM_BIN
ProcResult run_hvsim_hv(const std::string& guest, const std::string& guest_args, const std::string& hv_cmdline,
                        const std::vector<std::string>& extra = {}) {
  auto tmpl = (std::filesystem::temp_directory_path() / "hvsim-vmx-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-vmx-out";
  std::string module = workload_path(guest, false);
  if (!guest_args.empty()) module += ":" + guest_args;
  std::vector<std::string> argv = {HVSIM_BIN, "run", workload_path("hv_vmx", false), "--module", module,
                                   "--cmdline", hv_cmdline, "--out", out_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = run_process(argv, std::chrono::seconds(1200));
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  return r;
}

// On hvsim's own VMX: every guest under EPT and under shadow paging.
// mmu=auto follows the CPU model: EPT when IA32_VMX_PROCBASED_CTLS2 offers it
// (with unrestricted guest), shadow paging when the preset withholds it.
TEST(HvsimVmxHv, AutoPicksEptOnlyWhenOffered) {
  const ProcResult with = run_hvsim_hv("demo", "", "mmu=auto");
  EXPECT_EQ(with.exit_code, 0) << with.err;
  EXPECT_NE(with.out.find("hv: mmu=ept"), std::string::npos) << with.out;
  const ProcResult without = run_hvsim_hv("demo", "", "mmu=auto", {"--set", "vmx.ept=false"});
  EXPECT_EQ(without.exit_code, 0) << without.err;
  EXPECT_NE(without.out.find("hv: mmu=shadow"), std::string::npos) << without.out;
}
TEST(HvsimVmxHv, SelftestEpt) { check_selftest(run_hvsim_hv("selftest", kSelftestArgs, "mmu=ept"), "ept"); }
TEST(HvsimVmxHv, SelftestShadow) {
  check_selftest(run_hvsim_hv("selftest", kSelftestArgs, "mmu=shadow"), "shadow");
}
TEST(HvsimVmxHv, DemoEpt) { check_demo(run_hvsim_hv("demo", "", "mmu=ept"), "ept"); }
TEST(HvsimVmxHv, DemoShadow) { check_demo(run_hvsim_hv("demo", "", "mmu=shadow"), "shadow"); }
TEST(HvsimVmxHv, MinikernelSmallEpt) {
  check_minikernel(run_hvsim_hv("minikernel", kMinikernelSmallArgs, "mmu=ept"), "ept", "minikernel-small");
}
TEST(HvsimVmxHv, MinikernelSmallShadow) {
  check_minikernel(run_hvsim_hv("minikernel", kMinikernelSmallArgs, "mmu=shadow"), "shadow", "minikernel-small");
}
TEST(HvsimVmxHv, MinikernelDefaultEpt) {
  check_minikernel(run_hvsim_hv("minikernel", "", "mmu=ept"), "ept", "minikernel");
}
TEST(HvsimVmxHv, MinikernelDefaultShadow) {
  check_minikernel(run_hvsim_hv("minikernel", "", "mmu=shadow"), "shadow", "minikernel");
}
TEST(HvsimVmxHv, GuestExitStatusForwarded) {
  for (const char* mmu : {"ept", "shadow"}) {
    SCOPED_TRACE(mmu);
    auto r = run_hvsim_hv("minikernel", "ws=0", std::string("mmu=") + mmu);
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.out.find("minikernel: bad argument \"ws=0\"\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("hv: exits by reason:\n"), std::string::npos) << r.out;
  }
}
#endif

}  // namespace
