// hv_pv (workloads/hv/pv) with minikernel-pv, the mini kernel's PV build,
// end to end under hvsim: the benchmarks' functional output equals the
// golden output of a native boot; every hypercall is used; the validation
// refuses what it must; event channels deliver upcalls; hvsim's statistics
// and exit trace carry the hypercalls and bounces by name.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "workload_checks.h"

using namespace hvsim_test;

namespace {

namespace fs = std::filesystem;

constexpr int kHvExitSetup = 0x7a;  // workloads/hv/pv/hv.h
constexpr int kPvTimingLines = kMinikernelTimingLines + 1;  // + nano.hypercall

struct PvRun {
  ProcResult r;
  std::string stats_json, trace;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

PvRun run_pv(const std::string& guest_args, const std::vector<std::string>& extra = {},
             bool with_guest = true) {
  auto tmpl = (fs::temp_directory_path() / "hvsim-pv-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-pv-out";
  std::vector<std::string> argv = {HVSIM_BIN, "run", workload_path("hv_pv", false)};
  if (with_guest) {
    std::string module = workload_path("minikernel-pv", false);
    if (!guest_args.empty()) module += ":" + guest_args;
    argv.insert(argv.end(), {"--module", module});
  }
  argv.insert(argv.end(), {"--out", out_dir, "--trace-exits", out_dir + "/trace.csv"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  PvRun run{run_process(argv, std::chrono::seconds(1200)), "", ""};
  run.stats_json = slurp(fs::path(out_dir) / "stats.json");
  run.trace = slurp(fs::path(out_dir) / "trace.csv");
  std::error_code ec;
  fs::remove_all(out_dir, ec);
  return run;
}

// The guest's functional lines: comparable() minus the hypervisor's "hv:".
std::string guest_lines(const std::string& serial) {
  std::string out;
  for (const auto& l : lines(comparable(serial)))
    if (l.rfind("hv:", 0) != 0) out += l + "\n";
  return out;
}

void check_minikernel(const PvRun& run, const std::string& golden) {
  const ProcResult& r = run.r;
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(guest_lines(r.out), read_golden(golden));
  int timing = 0;
  const std::regex timing_line("timing: [a-z0-9.]+ \\d+\\.\\d cycles/iter");
  for (const auto& l : lines(r.out)) {
    if (l.rfind("timing: ", 0) != 0) continue;
    timing++;
    EXPECT_TRUE(std::regex_match(l, timing_line)) << l;
  }
  EXPECT_EQ(timing, kPvTimingLines) << r.out;
  EXPECT_NE(r.out.find("minikernel: 0 failures\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

// "hv: hypercalls: NAME N NAME N ..." -> count of name, or -1.
long long hv_count(const std::string& out, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("hv: hypercalls:([^\n]*)\n"))) return -1;
  std::smatch c;
  const std::string line = m[1];
  if (!std::regex_search(line, c, std::regex(" " + name + " (\\d+)"))) return -1;
  return std::stoll(c[1]);
}

const PvRun& small_run() {
  static const PvRun run = run_pv(kMinikernelSmallArgs);
  return run;
}

TEST(HvsimPvHv, MinikernelSmall) { check_minikernel(small_run(), "minikernel-small"); }

TEST(HvsimPvHv, MinikernelDefault) { check_minikernel(run_pv(""), "minikernel"); }

// Guest mode switches keep both modes' translations under PCIDs 1 and 2
// when the CPU offers PCID and INVPCID, and flush the TLB otherwise: the
// same output either way.
TEST(HvsimPvHv, MinikernelSmallWithAndWithoutPcids) {
  EXPECT_NE(small_run().r.out.find(", PCIDs on\n"), std::string::npos) << small_run().r.out;
  const PvRun off = run_pv(kMinikernelSmallArgs, {"--set", "cpu.pcid=false"});
  EXPECT_NE(off.r.out.find(", PCIDs off\n"), std::string::npos) << off.r.out;
  check_minikernel(off, "minikernel-small");
}

TEST(HvsimPvHv, EveryHypercallIsUsed) {
  const std::string& out = small_run().r.out;
  for (const char* name :
       {"set_trap_table", "mmu_update", "stack_switch", "set_callbacks", "multicall", "update_va_mapping",
        "set_timer_op", "xen_version", "console_io", "iret", "mmuext_op", "sched_op", "callback_op",
        "event_channel_op", "physdev_op"}) {
    EXPECT_GT(hv_count(out, name), 0) << name << "\n" << out;
  }
  // Batching: more page-table entries were updated than mmu_update and
  // update_va_mapping hypercalls were made.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("hv: page-table entries updated (\\d+), multicall entries (\\d+)")))
      << out;
  EXPECT_GT(std::stoll(m[1]), hv_count(out, "mmu_update") + hv_count(out, "update_va_mapping")) << out;
  EXPECT_GT(std::stoll(m[2]), hv_count(out, "multicall")) << out;
  // Bounced: the divide errors (200), the killed process's #GP, the page faults.
  EXPECT_TRUE(std::regex_search(out, std::regex("exceptions bounced: 0:200 13:1 14:\\d+\n"))) << out;
  EXPECT_NE(out.find("I/O emulated 200"), std::string::npos) << out;
}

TEST(HvsimPvHv, ValidationRefusesWritablePageTableMappings) {
  const std::string& out = small_run().r.out;
  EXPECT_NE(out.find("info: pv: validation: 7 of 7 bad updates refused as expected\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find(", refused 7\n"), std::string::npos) << out;  // and nothing else was refused
}

// Error paths: unknown hypercall and commands, nested multicall and iret in
// a multicall, a console buffer in the hypervisor's memory, a ring-0 stack
// segment, sending to a VIRQ port or port 0, a base pointer that is not an
// L4, unpinning the L4 in use, a trap handler outside the guest's half.
TEST(HvsimPvHv, HypercallErrorPaths) {
  const std::string& out = small_run().r.out;
  EXPECT_NE(out.find("info: pv: hypercall checks: 13 of 13 as expected\n"), std::string::npos) << out;
}

TEST(HvsimPvHv, EventChannelsDeliverUpcalls) {
  const std::string& out = small_run().r.out;
  EXPECT_TRUE(std::regex_search(
      out, std::regex("info: pv: event channels: ipi port \\d+ events 1, timer port \\d+ events 1, upcalls 2\n")))
      << out;
  EXPECT_NE(out.find("upcalls 2,"), std::string::npos) << out;
}

TEST(HvsimPvHv, HypercallsInStatsAndTrace) {
  const PvRun& run = small_run();
  // Statistics are summed over the timed regions (200 iterations each):
  // divzero bounces one #DE per iteration, nano.in emulates one IN,
  // nano.hypercall makes one xen_version; syscall, nano.syscall and fork's
  // spawn, wait and exit are the 1000 system calls bounced; nano.pgfault
  // and nano.ptemod make at least one mmu_update per iteration.
  const std::string& js = run.stats_json;
  EXPECT_EQ(stats_counter(js, "virt.exits.bounce_DE"), 200) << js;
  EXPECT_EQ(stats_counter(js, "virt.exits.emulate_io"), 200) << js;
  EXPECT_EQ(stats_counter(js, "virt.exits.hypercall_xen_version"), 200) << js;
  EXPECT_EQ(stats_counter(js, "virt.exits.syscall"), 1000) << js;
  EXPECT_GE(stats_counter(js, "virt.exits.hypercall_mmu_update"), 400) << js;
  EXPECT_GE(stats_counter(js, "virt.exits.bounce_PF"), 240) << js;  // pgfault 40, nano.pgfault 200
  EXPECT_GT(stats_counter(js, "virt.exit_time.hypercall_mmu_update"),
            stats_counter(js, "virt.exits.hypercall_mmu_update"))
      << js;
  for (const char* name : {"hypercall_iret", "hypercall_multicall", "hypercall_update_va_mapping", "syscall",
                           "bounce_PF", "bounce_DE", "emulate_io", "upcall", "hypercall_console_io"}) {
    EXPECT_NE(run.trace.find(std::string(",") + name + ","), std::string::npos) << name;
  }
  EXPECT_NE(run.trace.find(",pv,"), std::string::npos) << run.trace.substr(0, 400);
}

// Guest user mode runs on its own page table without the kernel's
// mappings: a process reading kernel data is killed by a not-present fault.
TEST(HvsimPvHv, ProcessesCannotSeeTheirKernel) {
  const PvRun run = run_pv("pvcheck=isolation bench=syscall iters=10");
  ASSERT_FALSE(run.r.timed_out) << describe(run.r);
  EXPECT_EQ(run.r.exit_code, 0) << describe(run.r);
  EXPECT_NE(run.r.out.find("killed: not-present read fault at a kernel address\n"), std::string::npos)
      << run.r.out;
  EXPECT_TRUE(std::regex_search(
      run.r.out, std::regex("info: pv: isolation: a process reading kernel data at 0x[0-9a-f]+ \\(\\d+ in "
                            "kernel mode\\) exited 139\n")))
      << run.r.out;
}

// The reference: hv_pv and minikernel-pv on QEMU (TCG) give the same
// functional output (QEMU's exit status is (code << 1) | 1).
TEST(QemuPvHv, MinikernelSmallMatchesGolden) {
  if (qemu_path().empty()) GTEST_SKIP() << "qemu-system-x86_64 not installed";
  const std::string module = workload_path("minikernel-pv", false) + " " + kMinikernelSmallArgs;
  const ProcResult r = run_process({qemu_path(), "-accel", "tcg", "-cpu", "max", "-m", "128", "-kernel",
                                    workload_path("hv_pv", true), "-initrd", module, "-serial", "stdio",
                                    "-display", "none", "-monitor", "none", "-no-reboot", "-device",
                                    "isa-debug-exit,iobase=0xf4,iosize=0x04"},
                                   std::chrono::seconds(600));
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(guest_lines(r.out), read_golden("minikernel-small"));
  EXPECT_NE(r.out.find("info: pv: hypercall checks: 13 of 13 as expected\n"), std::string::npos) << r.out;
}

TEST(HvsimPvHv, GuestExitStatusForwarded) {
  const PvRun run = run_pv("ws=0");
  ASSERT_FALSE(run.r.timed_out) << describe(run.r);
  EXPECT_EQ(run.r.exit_code, 2) << describe(run.r);
  EXPECT_NE(run.r.out.find("minikernel: bad argument \"ws=0\"\n"), std::string::npos) << run.r.out;
  EXPECT_NE(run.r.out.find("hv: shutdown, exit 2\n"), std::string::npos) << run.r.out;
}

TEST(HvsimPvHv, NoGuestModule) {
  const PvRun run = run_pv("", {}, false);
  EXPECT_EQ(run.r.exit_code, kHvExitSetup) << describe(run.r);
  EXPECT_NE(run.r.out.find("hv: no guest kernel"), std::string::npos) << run.r.out;
}

TEST(HvsimPvHv, NotAPvGuest) {
  // The native mini kernel is linked at 1 MiB, inside the hypervisor's hole.
  auto tmpl = (fs::temp_directory_path() / "hvsim-pv-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-pv-out";
  const ProcResult r = run_process({HVSIM_BIN, "run", workload_path("hv_pv", false), "--module",
                                    workload_path("minikernel", false), "--out", out_dir},
                                   std::chrono::seconds(300));
  std::error_code ec;
  fs::remove_all(out_dir, ec);
  EXPECT_EQ(r.exit_code, kHvExitSetup) << describe(r);
  EXPECT_NE(r.out.find("hv: ELF segment outside guest memory"), std::string::npos) << r.out;
}

}  // namespace
