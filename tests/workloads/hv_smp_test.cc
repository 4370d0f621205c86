// The bundled hypervisors on a two-CPU machine (platform.cpus = 2): hv_vmx
// (mmu=ept) and hv_svm (mmu=npt) start their APs, give each core its own
// VMCS / VMCB and vCPU, and run the vsmp guest (workloads/guests/vsmp): the
// guest starts vCPU 1 by INIT-SIPI-SIPI to its virtual x2APIC, runs a
// parallel piece of work on both vCPUs and a 100-round IPI ping-pong. The
// hypervisor's per-vCPU exit counts, hvsim's per-vCPU summary and the exit
// trace's vcpu column must show both vCPUs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace {

namespace fs = std::filesystem;

struct HvRun {
  hvsim_test::ProcResult proc;
  std::string trace;  // the --trace-exits CSV
  bool has_line(const std::string& l) const {
    return ("\n" + proc.out).find("\n" + l + "\n") != std::string::npos;
  }
  std::string describe() const {
    return "exit " + std::to_string(proc.exit_code) + "\nstdout:\n" + proc.out + "\nstderr:\n" +
           proc.err.substr(0, 4000);
  }
  // "hv:   NAME COUNT" rows after the header line `header`.
  std::map<std::string, long long> counts(const std::string& header) const {
    std::map<std::string, long long> m;
    std::istringstream in(proc.out);
    std::string l;
    bool inside = false;
    const std::regex row("hv:   (\\S+) (\\d+)");
    while (std::getline(in, l)) {
      std::smatch s;
      if (l == header) inside = true;
      else if (inside && std::regex_match(l, s, row)) m[s[1]] = std::stoll(s[2]);
      else if (inside) break;
    }
    return m;
  }
};

HvRun run_hv(const std::string& hv, const std::string& mmu, unsigned cpus, const std::string& tag,
             const std::vector<std::string>& extra = {}) {
  const fs::path dir =
      fs::path(testing::TempDir()) / ("hvsim_hvsmp_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string wl = HVSIM_WORKLOADS_DIR;
  std::vector<std::string> argv = {HVSIM_BIN, "run", wl + "/" + hv + ".elf", "--module",
                                    wl + "/vsmp.elf", "--cmdline", "mmu=" + mmu,
                                    "--set", "platform.cpus=" + std::to_string(cpus),
                                    "--max-cycles", "3000000000",
                                    "--trace-exits", (dir / "exits.csv").string(),
                                    "--out", (dir / "out").string()};
  for (const auto& e : extra) argv.push_back(e);
  HvRun r;
  r.proc = hvsim_test::run_process(argv, std::chrono::seconds(300));
  std::ifstream f(dir / "exits.csv");
  std::stringstream ss;
  ss << f.rdbuf();
  r.trace = ss.str();
  return r;
}

// The trace's vcpu column (the second): how many records each vCPU has.
std::map<int, long long> trace_vcpus(const std::string& csv) {
  std::map<int, long long> m;
  std::istringstream in(csv);
  std::string l;
  std::getline(in, l);  // header
  while (std::getline(in, l)) {
    const size_t a = l.find(','), b = l.find(',', a + 1);
    if (a != std::string::npos && b != std::string::npos) ++m[std::stoi(l.substr(a + 1, b - a - 1))];
  }
  return m;
}

void expect_guest_ran(const HvRun& r) {
  for (const char* l : {"vsmp: vcpu 0, x2apic", "hv: vcpu 1 started at SIPI vector 0x8",
                        "vsmp: 2 of 2 vcpus online",
                        "vsmp: parallel 2 x 500000 iterations, checksum 00000ff9f8d2469c (matches serial)",
                        "vsmp: ping-pong 100 round trips, 100 pings taken",
                        "vsmp: ipi to a masked vcpu: 0 taken while masked, 1 after sti",
                        "vsmp: 0 failures"})
    EXPECT_TRUE(r.has_line(l)) << l << "\n" << r.describe();
  // hvsim's own summary per vCPU (perf kvm stat --vcpu style) and the trace.
  EXPECT_NE(r.proc.err.find("vCPU 1 (cpu1):"), std::string::npos) << r.describe();
  const auto v = trace_vcpus(r.trace);
  EXPECT_EQ(v.size(), 2u) << r.trace.substr(0, 500);
  EXPECT_GT(v.count(0) ? v.at(0) : 0, 300);
  EXPECT_GT(v.count(1) ? v.at(1) : 0, 300);
}

// Every x2APIC access is an MSR exit. vCPU 0: IA32_APIC_BASE, SVR, INIT x2,
// SIPI x2, 2 work IPIs, 100 pings, the masked-vCPU IPI, 100 EOIs of pongs,
// EFER = 210 writes; APIC_BASE, ID, EFER = 3 reads. vCPU 1 (from the
// trampoline on): EFER, APIC_BASE, SVR, 2 EOIs of work IPIs, 100 EOIs of
// pings, 1 of the masked-vCPU IPI, 100 pongs = 206 writes; the same 3
// reads. The IPI to vCPU 1 while its IF = 0 needs an interrupt window. Each of the 100 pings (and pongs) reaches its
// vCPU either in HLT (the physical kick wakes the halted core) or in the
// guest (an external-interrupt exit): which one depends on the interleaving.
TEST(HvSmp, VmxRunsATwoVcpuGuest) {
  const HvRun r = run_hv("hv_vmx", "ept", 2, "vmx");
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.has_line("hv: 2 CPUs online, 2 vCPUs")) << r.describe();
  expect_guest_ran(r);
  auto v0 = r.counts("hv: vcpu 0 exits by reason:"), v1 = r.counts("hv: vcpu 1 exits by reason:");
  EXPECT_EQ(v0["MSR_WRITE"], 210) << r.describe();
  EXPECT_EQ(v0["MSR_READ"], 3);
  EXPECT_EQ(v0["CPUID"], 1);
  EXPECT_GE(v0["HLT"] + v0["EXTERNAL_INTERRUPT"], 100);
  EXPECT_GT(v0["IO_INSTRUCTION"], 400);  // the serial output is vCPU 0's
  EXPECT_EQ(v1["MSR_WRITE"], 206) << r.describe();
  EXPECT_EQ(v1["MSR_READ"], 3);
  EXPECT_GE(v1["HLT"] + v1["EXTERNAL_INTERRUPT"], 100);
  EXPECT_EQ(v1.count("IO_INSTRUCTION"), 0u);
  auto all = r.counts("hv: exits by reason:");
  EXPECT_EQ(all["MSR_WRITE"], 210 + 206);
  EXPECT_GE(v1["INTERRUPT_WINDOW"], 1);
}

TEST(HvSmp, SvmRunsATwoVcpuGuest) {
  const HvRun r = run_hv("hv_svm", "npt", 2, "svm", {"--set", "cpu.vendor=AuthenticAMD"});
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.has_line("hv: 2 CPUs online, 2 vCPUs")) << r.describe();
  expect_guest_ran(r);
  auto v0 = r.counts("hv: vcpu 0 exits by reason:"), v1 = r.counts("hv: vcpu 1 exits by reason:");
  // SVM: RDMSR and WRMSR are one exit code (VMEXIT_MSR): 210 + 3, 206 + 3;
  // the interrupt window is a virtual interrupt (V_IRQ) exit.
  EXPECT_EQ(v0["VMEXIT_MSR"], 213) << r.describe();
  EXPECT_EQ(v0["VMEXIT_CPUID"], 1);
  EXPECT_GE(v0["VMEXIT_HLT"] + v0["VMEXIT_INTR"], 100);
  EXPECT_GT(v0["VMEXIT_IOIO"], 400);
  EXPECT_EQ(v1["VMEXIT_MSR"], 209) << r.describe();
  EXPECT_GE(v1["VMEXIT_VINTR"], 1);
  EXPECT_GE(v1["VMEXIT_HLT"] + v1["VMEXIT_INTR"], 100);
  EXPECT_EQ(v1.count("VMEXIT_IOIO"), 0u);
}

// The same guest on the bare two-CPU machine (the real x2APIC): the
// reference the hypervisors' runs are compared with.
TEST(HvSmp, GuestRunsNatively) {
  const std::string wl = HVSIM_WORKLOADS_DIR;
  const auto p = hvsim_test::run_process(
      {HVSIM_BIN, "run", wl + "/vsmp.elf", "--set", "platform.cpus=2", "--max-cycles", "1000000000"},
      std::chrono::seconds(120));
  EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
  for (const char* l : {"vsmp: 2 of 2 vcpus online\n",
                        "checksum 00000ff9f8d2469c (matches serial)\n",
                        "vsmp: ipi to a masked vcpu: 0 taken while masked, 1 after sti\n",
                        "vsmp: 0 failures\n"})
    EXPECT_NE(p.out.find(l), std::string::npos) << l << p.out;
}

TEST(HvSmp, TwoRunsAreIdentical) {
  const HvRun a = run_hv("hv_vmx", "ept", 2, "det_a"), b = run_hv("hv_vmx", "ept", 2, "det_b");
  ASSERT_EQ(a.proc.exit_code, 0) << a.describe();
  EXPECT_EQ(a.proc.out, b.proc.out);
  EXPECT_EQ(a.trace, b.trace);
}

// Shadow paging stays one vCPU: no APs are started (and the uniprocessor
// hypervisor has no virtual x2APIC, so this guest does not get far).
TEST(HvSmp, ShadowPagingRunsOneVcpu) {
  const HvRun r = run_hv("hv_vmx", "shadow", 2, "shadow");
  EXPECT_NE(r.proc.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.has_line("hv: 2 CPUs: mmu=shadow runs one vCPU")) << r.describe();
  EXPECT_FALSE(r.has_line("hv: 2 CPUs online, 2 vCPUs")) << r.describe();
}

}  // namespace
