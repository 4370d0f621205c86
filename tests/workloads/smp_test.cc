// Multiprocessor machines (platform.cpus) end to end: the smp guest
// (workloads/guests/smp) under the real `hvsim run`: AP start-up by
// INIT-SIPI-SIPI, every IPI kind and destination mode, atomicity of LOCK
// RMW / XCHG / CMPXCHG / CMPXCHG16B under contention, TLB shootdown (and
// its counts in the statistics), determinism, and bad values of
// platform.cpus.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace {

namespace fs = std::filesystem;

struct SmpRun {
  hvsim_test::ProcResult proc;
  std::string stats;                   // OUT/stats.txt
  std::map<std::string, double> stat;  // name -> value
  bool has_line(const std::string& l) const {
    return ("\n" + proc.out).find("\n" + l + "\n") != std::string::npos;
  }
  std::string describe() const {
    return "exit " + std::to_string(proc.exit_code) + "\nstdout:\n" + proc.out + "\nstderr:\n" +
           proc.err;
  }
};

SmpRun run_smp(unsigned cpus, const std::string& tag, const std::vector<std::string>& extra = {}) {
  const fs::path out =
      fs::path(testing::TempDir()) / ("hvsim_smp_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(out);
  std::vector<std::string> argv = {HVSIM_BIN, "run", std::string(HVSIM_WORKLOADS_DIR) + "/smp.elf",
                                    "--out", out.string(), "--max-cycles", "2000000000",
                                    "--set", "platform.cpus=" + std::to_string(cpus)};
  for (const auto& e : extra) argv.push_back(e);
  SmpRun r;
  r.proc = hvsim_test::run_process(argv, std::chrono::seconds(300));
  std::ifstream f(out / "stats.txt");
  std::stringstream ss;
  ss << f.rdbuf();
  r.stats = ss.str();
  std::istringstream lines(r.stats);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream ls(line);
    std::string name;
    double v;
    if (ls >> name >> v) r.stat[name] = v;
  }
  return r;
}

// Output and statistics without host-time lines (wall seconds, MIPS).
std::string deterministic(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("wall") == std::string::npos && line.find("MIPS") == std::string::npos)
      out += line + "\n";
  return out;
}

TEST(Smp, FourCoresStartAndEveryIpiKindArrives) {
  const SmpRun r = run_smp(4, "four");
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  for (const char* l : {
           "mp table: 4 processors, checksums ok",
           "smp: 4 of 4 cpus online",
           "ipi fixed physical: 0 1 1 1",
           "ipi self: 1 0 0 0",
           "ipi all including self: 1 1 1 1",
           "ipi all excluding self: 0 1 1 1",
           "ipi logical flat 0x0a: 0 1 0 1",
           "ipi lowest priority 0x0e: 0 1 0 0",
           "ipi lowest priority 0x0e, cpu1 tpr 0x20: 0 0 1 0",
           "ipi logical cluster 0x0a: 0 1 0 1",
           "ipi logical cluster 0x13: 0 0 0 0",
           "ipi nmi: 0 0 0 1",
           "vmx per core: 4 of 4 cores kept their own VMCS",
           "init-sipi restart: cpu3 online again (5 starts)",
           "ipi x2apic physical: 0 0 1 0",
           "mwait: cpu1 woke after 1 mwait, under 100 instructions retired while waiting",
           "cross-modifying code: cpu1 ran 1111 then 2222",
           "smp: 0 failures",
       })
    EXPECT_TRUE(r.has_line(l)) << l << "\n" << r.describe();
  EXPECT_EQ(r.stat.at("smp.cpus"), 4);
  EXPECT_GT(r.stat.at("cpu1.ipis_received"), 5);
  // The BSP: self, all-including-self and the 100 ping-pong answers.
  EXPECT_EQ(r.stat.at("cpu0.ipis_received"), 102);
}

TEST(Smp, EightCoresReachTheSecondCluster) {
  const SmpRun r = run_smp(8, "eight");
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.has_line("ipi logical cluster 0x13: 0 0 0 0 1 1 0 0")) << r.describe();
  EXPECT_TRUE(r.has_line("smp: 8 of 8 cpus online")) << r.describe();
}

TEST(Smp, LockedOperationsAreAtomicUnderContention) {
  // A 50-cycle quantum interleaves the cores finely: a non-atomic
  // read-modify-write would lose increments.
  const SmpRun r = run_smp(4, "atomic", {"--set", "platform.quantum_cycles=50"});
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.has_line(
      "atomic: lock inc 80000, spinlock 80000, cmpxchg 80000, cmpxchg16b 80000 (want 80000)"))
      << r.describe();
}

TEST(Smp, TlbShootdownInvalidatesEveryCore) {
  const SmpRun r = run_smp(4, "shoot");
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.has_line("shootdown: without IPIs 3 cpus still saw the old page")) << r.describe();
  EXPECT_TRUE(r.has_line("shootdown: 4 cpus saw the old page, 3 acks, 4 saw the new page"))
      << r.describe();
  // Each AP executed exactly one INVLPG: the shootdown's.
  for (const char* c : {"cpu1.invlpgs", "cpu2.invlpgs", "cpu3.invlpgs"})
    EXPECT_EQ(r.stat.at(c), 1) << c;
  EXPECT_GE(r.stat.at("smp.invlpgs"), 3 + r.stat.at("cpu0.invlpgs"));
}

// MONITOR/MWAIT across cores (SDM Vol. 2B MWAIT): CPU 1 sleeps in MWAIT
// with IF = 0 until CPU 0 stores into the monitored line ~200,000 cycles
// later; it executes one MWAIT and retires a handful of instructions while
// waiting (the guest reads IA32_FIXED_CTR0), and the sleep counts as halted
// cycles; with IF = 1 an IPI ends the MWAIT instead. Cross-modifying code
// (SDM Vol. 3A 8.1.3): CPU 0 patches code that
// only CPU 1 has decoded; CPU 1 runs the new bytes. Both at a coarse and a
// fine quantum.
TEST(Smp, MwaitWakesOnAnotherCoresStoreAndCrossModifyingCodeIsSeen) {
  for (const char* q : {"10000", "50"}) {
    const SmpRun r =
        run_smp(2, std::string("mwait_q") + q, {"--set", std::string("platform.quantum_cycles=") + q});
    ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
    EXPECT_TRUE(r.has_line(
        "mwait: cpu1 woke after 1 mwait, under 100 instructions retired while waiting"))
        << q << "\n" << r.describe();
    EXPECT_TRUE(r.has_line("mwait: woken by an interrupt: 1 handled, flag 0")) << q << "\n"
                                                                              << r.describe();
    EXPECT_TRUE(r.has_line("cross-modifying code: cpu1 ran 1111 then 2222")) << q << "\n"
                                                                             << r.describe();
    EXPECT_TRUE(r.has_line("smp: 0 failures")) << r.describe();
    EXPECT_GE(r.stat.at("cpu1.halted_cycles"), 200000) << q;
    EXPECT_GE(r.stat.at("cpu0.smc_invalidations") + r.stat.at("cpu1.smc_invalidations"), 1) << q;
  }
}

TEST(Smp, TwoRunsAreIdentical) {
  const SmpRun a = run_smp(4, "det_a"), b = run_smp(4, "det_b");
  ASSERT_EQ(a.proc.exit_code, 0) << a.describe();
  EXPECT_EQ(a.proc.out, b.proc.out);
  EXPECT_EQ(deterministic(a.proc.err), deterministic(b.proc.err));
  EXPECT_EQ(deterministic(a.stats), deterministic(b.stats));
  EXPECT_FALSE(a.stats.empty());
}

TEST(Smp, OneCpuRunsTheSameGuest) {
  const SmpRun r = run_smp(1, "one");
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.has_line("smp: 1 of 1 cpus online")) << r.describe();
  EXPECT_EQ(r.stat.count("smp.cpus"), 0u);  // uniprocessor statistics are unchanged
}

TEST(Smp, MiniKernelSmpMode) {
  const fs::path out = fs::path(testing::TempDir()) / ("hvsim_smp_mk_" + std::to_string(::getpid()));
  const auto p = hvsim_test::run_process(
      {HVSIM_BIN, "run", std::string(HVSIM_WORKLOADS_DIR) + "/minikernel.elf", "--cmdline",
       "bench=smp", "--set", "platform.cpus=2", "--out", out.string()},
      std::chrono::seconds(300));
  EXPECT_EQ(p.exit_code, 0) << p.out << p.err;
  EXPECT_NE(p.out.find("smp: 2 of 2 cpus online\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("smp: 0 failures\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("minikernel: 0 failures\n"), std::string::npos) << p.out;
}

TEST(Smp, OutOfRangeCpuCountIsBadInput) {
  for (const char* n : {"0", "65"}) {
    const auto p = hvsim_test::run_process(
        {HVSIM_BIN, "run", std::string(HVSIM_WORKLOADS_DIR) + "/smp.elf", "--set",
         std::string("platform.cpus=") + n},
        std::chrono::seconds(60));
    EXPECT_EQ(p.exit_code, 2) << n << p.err;
    EXPECT_NE(p.err.find("platform.cpus"), std::string::npos) << p.err;
  }
}

}  // namespace
