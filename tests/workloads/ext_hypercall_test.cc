// ext.fastcall end to end: the mini kernel's nano.hypercall under both
// bundled hypervisors, without the extension (VMCALL/VMMCALL: a full VM exit
// and entry per call) and with it (FASTCALL: exit-less, at least 2x
// cheaper), and the VMX hypervisor's TPR shadow (nano.cr8wr without exits).
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <regex>
#include <string>
#include <vector>

#include "workload_checks.h"

using namespace hvsim_test;

namespace {

struct NanoRun {
  ProcResult r;
  double hypercall = -1, cr8wr = -1;
  std::string via, stats;
};

NanoRun run_nano(const std::string& hv, const std::string& hv_cmdline, std::vector<std::string> sets,
                 const std::string& bench = "nano") {
  auto tmpl = (std::filesystem::temp_directory_path() / "hvsim-ext-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const std::string out_dir = mkdtemp(buf.data()) ? buf.data() : "hvsim-ext-out";
  std::vector<std::string> argv = {HVSIM_BIN, "run", workload_path(hv, false), "--module",
                                   workload_path("minikernel", false) + ":bench=" + bench + " iters=100",
                                   "--cmdline", hv_cmdline, "--out", out_dir};
  if (hv == "hv_svm") sets.insert(sets.end(), {"cpu.vendor=AuthenticAMD", "memory.size_mib=256"});
  for (const std::string& s : sets) argv.insert(argv.end(), {"--set", s});
  NanoRun run;
  run.r = run_process(argv, std::chrono::seconds(600));
  {
    std::ifstream f(out_dir + "/stats.json");
    std::stringstream ss;
    ss << f.rdbuf();
    run.stats = ss.str();
  }
  std::error_code ec;
  std::filesystem::remove_all(out_dir, ec);
  std::smatch m;
  static const std::regex hc("timing: nano\\.hypercall ([0-9.]+) cycles/iter");
  static const std::regex cr8("timing: nano\\.cr8wr ([0-9.]+) cycles/iter");
  static const std::regex via("info: nano\\.hypercall: 100 iterations via ([a-z]+), checksum 5050");
  if (std::regex_search(run.r.out, m, hc)) run.hypercall = std::stod(m[1]);
  if (std::regex_search(run.r.out, m, cr8)) run.cr8wr = std::stod(m[1]);
  if (std::regex_search(run.r.out, m, via)) run.via = m[1];
  return run;
}

void expect_fastcall_cheaper(const std::string& hv, const std::string& mmu, const char* trap) {
  const NanoRun off = run_nano(hv, mmu, {});
  const NanoRun on = run_nano(hv, mmu, {"ext.fastcall.enabled=true"});
  ASSERT_EQ(off.r.exit_code, 0) << describe(off.r);
  ASSERT_EQ(on.r.exit_code, 0) << describe(on.r);
  EXPECT_EQ(off.via, trap);
  EXPECT_EQ(on.via, "fastcall");
  ASSERT_GT(off.hypercall, 0);
  ASSERT_GT(on.hypercall, 0);
  EXPECT_LE(on.hypercall * 2, off.hypercall) << "off " << off.hypercall << " on " << on.hypercall;
}

TEST(HvsimExtFastcall, VmxHypercallAtLeastTwiceCheaper) {
  expect_fastcall_cheaper("hv_vmx", "mmu=ept", "vmcall");
}

TEST(HvsimExtFastcall, SvmHypercallAtLeastTwiceCheaper) {
  expect_fastcall_cheaper("hv_svm", "mmu=npt", "vmmcall");
}

TEST(HvsimExtFastcall, NativeSkipsHypercall) {
  const ProcResult r = run_hvsim(HVSIM_BIN, workload_path("minikernel", false), "bench=nano iters=20");
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("info: nano.hypercall: skipped (no bundled hypervisor"), std::string::npos);
}

TEST(HvsimVmxTprShadow, Cr8WritesDoNotExitWithTheShadow) {
  const NanoRun shadow = run_nano("hv_vmx", "mmu=ept", {});
  const NanoRun exits = run_nano("hv_vmx", "mmu=ept tpr=exit", {});
  ASSERT_EQ(shadow.r.exit_code, 0) << describe(shadow.r);
  ASSERT_EQ(exits.r.exit_code, 0) << describe(exits.r);
  EXPECT_NE(shadow.r.out.find("info: hv: tpr=shadow"), std::string::npos);
  EXPECT_NE(exits.r.out.find("info: hv: tpr=exit"), std::string::npos);
  ASSERT_GT(shadow.cr8wr, 0);
  EXPECT_LT(shadow.cr8wr * 20, exits.cr8wr) << shadow.cr8wr << " vs " << exits.cr8wr;
  EXPECT_EQ(shadow.r.out.find("CR_ACCESS"), std::string::npos);  // no CR8 exits at all
}

// ext.ntlb: the stage-2 walks of the tlb benchmark make fewer references
// (hits skip the walk), the guest computes the same, and it runs faster.
void expect_ntlb_helps(const std::string& hv, const std::string& mmu, const char* refs) {
  const NanoRun off = run_nano(hv, mmu, {}, "tlb");
  const NanoRun on = run_nano(hv, mmu, {"ext.ntlb.enabled=true"}, "tlb");
  ASSERT_EQ(off.r.exit_code, 0) << describe(off.r);
  ASSERT_EQ(on.r.exit_code, 0) << describe(on.r);
  EXPECT_EQ(comparable(off.r.out), comparable(on.r.out));
  EXPECT_EQ(stats_counter(off.stats, "ext.ntlb.hits"), -1);  // off: not even registered
  EXPECT_GT(stats_counter(on.stats, "ext.ntlb.hits"), 0);
  const long long r_off = stats_counter(off.stats, refs), r_on = stats_counter(on.stats, refs);
  ASSERT_GT(r_off, 0);
  EXPECT_LT(r_on * 3, r_off * 2) << refs << " " << r_off << " -> " << r_on;
}

TEST(HvsimExtNtlb, FewerEptReferences) { expect_ntlb_helps("hv_vmx", "mmu=ept", "vmx.ept_refs"); }
TEST(HvsimExtNtlb, FewerNptReferences) { expect_ntlb_helps("hv_svm", "mmu=npt", "svm.npt_refs"); }

}  // namespace
