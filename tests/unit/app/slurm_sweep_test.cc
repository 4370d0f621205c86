// `hvsim sweep --backend slurm` for real: the test starts a one-node Slurm of
// its own (Debian's munged, slurmctld and slurmd, every file and socket in a
// temporary folder, ports of its own) and runs a 4-point sweep through it.
// Skipped, with the reason, where Slurm is not installed or cannot start
// (slurmd needs root). The batch script itself is checked without Slurm.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/app/sweep_slurm.h"
#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;

TEST(SlurmScript, OneTaskPerPointWithTheOptions) {
  std::vector<hvsim::app::PointJob> jobs(3);
  for (int i = 0; i < 3; ++i) jobs[i].dir = "sw/point-00" + std::to_string(i);
  const std::string s = hvsim::app::slurm_array_script(
      "/opt/hvsim", jobs, "/home/me", "/home/me/sw/slurm", {"short", "10:00", "2G", 2});
  EXPECT_EQ(s.rfind("#!/bin/sh\n", 0), 0u);
  for (const char* line :
       {"#SBATCH --array=0-2%2\n", "#SBATCH --chdir=/home/me\n",
        "#SBATCH --output=/home/me/sw/slurm/task-%a.log\n", "#SBATCH --partition=short\n",
        "#SBATCH --time=10:00\n", "#SBATCH --mem=2G\n", "  1) dir=sw/point-001 ;;\n",
        "exec /opt/hvsim sweep-point \"$dir\"\n"})
    EXPECT_NE(s.find(line), std::string::npos) << line << "\n" << s;
  const std::string plain = hvsim::app::slurm_array_script("/x", jobs, "/", "/l", {});
  EXPECT_NE(plain.find("#SBATCH --array=0-2\n"), std::string::npos);
  EXPECT_EQ(plain.find("--partition"), std::string::npos);
}

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

std::string find_program(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin",
                          "/usr/local/bin"}) {
    const std::string p = std::string(dir) + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The cluster: started once for the suite, stopped by the pids it wrote.
class SlurmCluster : public ::testing::Test {
 protected:
  static inline fs::path root;
  static inline std::string skip_reason;

  static void SetUpTestSuite() {
    for (const char* p : {"munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue",
                          "sinfo"}) {
      if (find_program(p).empty()) {
        skip_reason = std::string(p) +
                      " not installed (apt-get install slurmctld slurmd slurm-client munge)";
        return;
      }
    }
    if (geteuid() != 0) {
      skip_reason = "slurmd must run as root to start tasks";
      return;
    }
    root = fs::temp_directory_path() / ("hvsim_slurm_" + std::to_string(getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "state");
    fs::create_directories(root / "spool");
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    std::string node = host;
    node = node.substr(0, node.find('.'));
    const int port = 20000 + getpid() % 20000;
    const std::string r = root.string();
    std::ofstream(root / "slurm.conf")
        << "ClusterName=hvsimtest\nSlurmctldHost=" << node << "\nSlurmctldPort=" << port
        << "\nSlurmdPort=" << port + 1 << "\nAuthType=auth/munge\nCredType=cred/munge\n"
        << "AuthInfo=socket=" << r << "/munge.sock\nStateSaveLocation=" << r << "/state\n"
        << "SlurmdSpoolDir=" << r << "/spool\nSlurmctldPidFile=" << r << "/slurmctld.pid\n"
        << "SlurmdPidFile=" << r << "/slurmd.pid\nSlurmctldLogFile=" << r << "/slurmctld.log\n"
        << "SlurmdLogFile=" << r << "/slurmd.log\nProctrackType=proctrack/linuxproc\n"
        << "TaskPlugin=task/none\nSchedulerType=sched/builtin\nSelectType=select/cons_tres\n"
        << "SelectTypeParameters=CR_Core\nReturnToService=2\nSlurmUser=root\nSlurmdUser=root\n"
        << "MpiDefault=none\nJobCompType=jobcomp/none\nJobAcctGatherType=jobacct_gather/none\n"
        << "AccountingStorageType=accounting_storage/none\nSwitchType=switch/none\n"
        << "NodeName=" << node << " CPUs=" << std::max(1u, std::thread::hardware_concurrency())
        << " State=UNKNOWN\nPartitionName=hvsim Nodes=" << node
        << " Default=YES MaxTime=INFINITE State=UP\n";
    setenv("SLURM_CONF", (root / "slurm.conf").c_str(), 1);
    const std::string q = "'" + r + "'";
    if (sh(find_program("mungekey") + " -c -k " + q + "/munge.key >/dev/null 2>&1") != 0 ||
        sh(find_program("munged") + " -f --socket=" + q + "/munge.sock --key-file=" + q +
           "/munge.key --pid-file=" + q + "/munged.pid --log-file=" + q + "/munged.log" +
           " --seed-file=" + q + "/munge.seed >/dev/null 2>&1") != 0) {
      skip_reason = "munged did not start (see " + r + "/munged.log)";
      return;
    }
    if (sh(find_program("slurmctld") + " -i >/dev/null 2>&1") != 0 ||
        sh(find_program("slurmd") + " >/dev/null 2>&1") != 0) {
      skip_reason = "slurmctld/slurmd did not start (see " + r + "/*.log)";
      return;
    }
    for (int i = 0; i < 60; ++i) {
      if (sh(find_program("sinfo") + " -h -o %t 2>/dev/null | grep -qx idle") == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    skip_reason = "the Slurm node did not become idle within 15 s (see " + r + "/*.log)";
  }

  static void TearDownTestSuite() {
    if (root.empty()) return;
    for (const char* pid_file : {"slurmd.pid", "slurmctld.pid", "munged.pid"}) {
      const std::string text = hvsim_test::read_all(root / pid_file);
      const pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
      if (pid <= 1) continue;
      kill(pid, SIGTERM);
      for (int i = 0; i < 40 && kill(pid, 0) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    fs::remove_all(root);
  }

  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << "no Slurm: " << skip_reason;
  }
};

TEST_F(SlurmCluster, FourPointSweepAsAJobArrayMatchesTheLocalRun) {
  const fs::path dir = root / "work";
  fs::create_directories(dir);
  const std::vector<std::string> grid{
      "sweep", std::string(HVSIM_WORKLOADS_DIR) + "/minikernel.elf", "--cmdline",
      "bench=syscall syscalls=100", "--vary", "timing.alu_cycles=1,2", "--vary",
      "timing.call_ret_cycles=2,4", "--metric", "cpu.cycles,cpu.instructions,guest.syscall"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = grid;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto o = hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                              with({"--backend", "slurm", "--time", "5", "--out", "sl"}));
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("submitted Slurm job array"), std::string::npos) << o.err;
  const std::string slurm_csv = hvsim_test::read_all(dir / "sl" / "sweep.csv");
  EXPECT_EQ(hvsim_test::lines_of(slurm_csv).size(), 5u) << slurm_csv;
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(fs::exists(dir / "sl" / "slurm" / ("task-" + std::to_string(i) + ".log")));
  // Bit for bit what the local backend gives.
  o = hvsim_test::run_in(dir, HVSIM_REAL_BIN, with({"-j", "2", "--out", "lo"}), "_local");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(slurm_csv, hvsim_test::read_all(dir / "lo" / "sweep.csv"));
  // Resumable: a re-run finds every point done and submits nothing.
  const std::string job = hvsim_test::read_all(dir / "sl" / "slurm" / "job.txt");
  o = hvsim_test::run_in(dir, HVSIM_REAL_BIN, with({"--backend", "slurm", "--out", "sl"}), "_2");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.err.find("(0 to run, 4 already done)"), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("submitted"), std::string::npos) << o.err;
  EXPECT_EQ(hvsim_test::read_all(dir / "sl" / "slurm" / "job.txt"), job);
  // A bad partition is one clear line from sbatch, exit 2.
  o = hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                         with({"--backend", "slurm", "--partition", "nope", "--out", "bad"}),
                         "_3");
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_NE(o.err.find("sbatch failed"), std::string::npos) << o.err;
}

#endif

}  // namespace
