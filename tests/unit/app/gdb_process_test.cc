// `hvsim run --gdb` with Debian's gdb in batch mode against the mini kernel
// (natively, and as a guest of the VMX and SVM hypervisors: the guest's
// registers and memory), and with a raw protocol client for Ctrl-C and kill.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "sim/gdb/rsp.h"
#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

const std::string kWl = HVSIM_WORKLOADS_DIR;

class GdbProcess : public ::testing::Test {
 protected:
  fs::path dir;
  pid_t pid = -1;
  int port = 0;

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("hvsim_gdb_test_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (!HasFailure()) fs::remove_all(dir);
  }

  // Starts hvsim run ARGS --gdb 0 and reads the port it listens on.
  void start(std::vector<std::string> args) {
    args.insert(args.begin(), {HVSIM_REAL_BIN, "run"});
    args.insert(args.end(), {"--out", (dir / "o").string(), "--gdb", "0"});
    pid = fork();
    if (pid == 0) {
      const int out = open((dir / "hvsim_out.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = open((dir / "hvsim_err.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const std::regex re("127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 400 && port == 0; ++i) {
      std::smatch m;
      const std::string err = hvsim_test::read_all(dir / "hvsim_err.txt");
      if (std::regex_search(err, m, re)) port = std::stoi(m[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_NE(port, 0) << hvsim_test::read_all(dir / "hvsim_err.txt");
  }

  int wait_hvsim() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // gdb -batch with these commands, against ELF's symbols.
  hvsim_test::Outcome gdb(const std::string& elf, const std::vector<std::string>& cmds) {
    std::vector<std::string> a{"-batch", "-nx", "-ex", "set pagination off", "-ex",
                               "target remote :" + std::to_string(port)};
    for (const auto& c : cmds) a.insert(a.end(), {"-ex", c});
    a.push_back(elf);
    return hvsim_test::run_in(dir, "gdb", a, "_gdb");
  }

  // Stopped in ring 3 of the mini kernel under a hypervisor: the registers
  // are the guest's and its user stack (private mappings the hypervisor's
  // own tables lack) is read through the guest's tables and stage 2.
  void expect_guest_view() {
    const auto g = gdb(kWl + "/minikernel.elf",
                       {"break u_syscall if ($cs & 3) == 3", "continue", "p $cs & 3", "p/x $rsp",
                        "x/1xg $rsp", "delete", "continue"});
    EXPECT_EQ(wait_hvsim(), 0);
    EXPECT_NE(g.out.find("Breakpoint 1, u_syscall"), std::string::npos) << g.out << g.err;
    EXPECT_NE(g.out.find("$1 = 3"), std::string::npos) << g.out;
    EXPECT_NE(g.out.find("$2 = 0x80001fffe8"), std::string::npos) << g.out;
    EXPECT_NE(g.out.find("0x80001fffe8:\t0x"), std::string::npos) << g.out;
    EXPECT_EQ(g.out.find("Cannot access memory"), std::string::npos) << g.out;
    EXPECT_NE(g.out.find("exited normally"), std::string::npos) << g.out;
  }
};

bool have_gdb() { return std::system("gdb --version >/dev/null 2>&1") == 0; }

TEST_F(GdbProcess, NativeBreakRegistersMemoryStepWatchpointExit) {
  if (!have_gdb()) GTEST_SKIP() << "gdb is not installed (apt-get install gdb)";
  const std::string elf = kWl + "/minikernel.elf";
  start({elf, "--cmdline", "bench=syscall syscalls=100"});
  const auto g = gdb(elf, {"break kmain", "continue", "info registers rip cs", "p/x $cr0",
                           "p/x $efer", "x/2xb kmain", "stepi", "p $pc", "watch current",
                           "continue", "delete", "continue"});
  EXPECT_EQ(wait_hvsim(), 0);
  const std::string& o = g.out;
  EXPECT_NE(o.find("Breakpoint 1, kmain"), std::string::npos) << o << g.err;
  EXPECT_TRUE(std::regex_search(o, std::regex("rip +0x100260 +0x100260 <kmain>"))) << o;
  EXPECT_TRUE(std::regex_search(o, std::regex("cs +0x8 "))) << o;
  EXPECT_NE(o.find("$1 = 0x80000011"), std::string::npos) << o;  // PG, ET, PE
  EXPECT_NE(o.find("$2 = 0x500"), std::string::npos) << o;       // LME, LMA
  EXPECT_NE(o.find("<kmain>:\t0x55"), std::string::npos) << o;   // push %rbp
  EXPECT_NE(o.find("$3 = (void (*)()) 0x100261 <kmain+1>"), std::string::npos) << o;
  EXPECT_NE(o.find("Hardware watchpoint 2: current"), std::string::npos) << o;
  EXPECT_NE(o.find("Old value = (struct proc *) 0x0"), std::string::npos) << o;
  EXPECT_NE(o.find("in sched_run ()"), std::string::npos) << o;
  EXPECT_NE(o.find("exited normally"), std::string::npos) << o;
}

TEST_F(GdbProcess, GuestViewUnderVmxEpt) {
  if (!have_gdb()) GTEST_SKIP() << "gdb is not installed (apt-get install gdb)";
  start({kWl + "/hv_vmx.elf", "--module", kWl + "/minikernel.elf:bench=syscall syscalls=20",
         "--cmdline", "mmu=ept"});
  expect_guest_view();
}

TEST_F(GdbProcess, GuestViewUnderSvmNpt) {
  if (!have_gdb()) GTEST_SKIP() << "gdb is not installed (apt-get install gdb)";
  start({kWl + "/hv_svm.elf", "--module", kWl + "/minikernel.elf:bench=syscall syscalls=20",
         "--cmdline", "mmu=npt", "--set", "cpu.vendor=AuthenticAMD", "--set",
         "memory.size_mib=256"});
  expect_guest_view();
}

// A minimal protocol client: Ctrl-C (0x03) while the simulation runs stops
// it with SIGINT; 'k' ends the run with status 86.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { close(fd_); }
  bool ok() const { return ok_; }
  void send_raw(const std::string& s) { (void)!write(fd_, s.data(), s.size()); }
  void send(const std::string& payload) { send_raw(hvsim::gdb::frame(payload)); }
  // The next packet's payload (acknowledging it).
  std::string receive() {
    hvsim::gdb::PacketReader r;
    char c;
    while (read(fd_, &c, 1) == 1) {
      if (r.feed(c) == hvsim::gdb::PacketReader::Kind::kPacket) {
        send_raw("+");
        return r.packet();
      }
    }
    return "<closed>";
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

TEST_F(GdbProcess, CtrlCStopsTheSimulationAndKillEndsIt) {
  start({kWl + "/minikernel.elf", "--cmdline", "bench=syscall syscalls=100000000"});
  RawClient c(port);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.receive(), "S05");  // stopped before the first instruction
  c.send("qSupported:swbreak+");
  EXPECT_NE(c.receive().find("qXfer:features:read+"), std::string::npos);
  c.send("c");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  c.send_raw("\x03");
  EXPECT_EQ(c.receive(), "S02");
  c.send("g");
  EXPECT_EQ(c.receive().size(), 2u * (16 * 8 + 8 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 +
                                      2 * 8 + 6 * 8));
  c.send("m100000,4");
  EXPECT_EQ(c.receive(), "02b0ad1b");  // the multiboot header's magic 1BADB002
  c.send("k");
  EXPECT_EQ(wait_hvsim(), 86);
  EXPECT_NE(hvsim_test::read_all(dir / "hvsim_err.txt").find("killed by the debugger"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "o" / "stats.txt"));
}

// Each core is a thread: the list, a core's state, and Hg selecting whose
// registers are read (before the first instruction the AP waits for SIPI
// in the reset state, RIP 0xfff0; the BSP is at the multiboot entry).
TEST_F(GdbProcess, EachCoreIsAThread) {
  start({kWl + "/smp.elf", "--set", "platform.cpus=2"});
  RawClient c(port);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.receive(), "S05");
  c.send("qfThreadInfo");
  EXPECT_EQ(c.receive(), "m1,2");
  c.send("qsThreadInfo");
  EXPECT_EQ(c.receive(), "l");
  c.send("T2");
  EXPECT_EQ(c.receive(), "OK");
  c.send("T3");
  EXPECT_EQ(c.receive(), "E01");
  const std::string info = "cpu1, waiting for SIPI";
  c.send("qThreadExtraInfo,2");
  EXPECT_EQ(c.receive(), hvsim::gdb::to_hex(reinterpret_cast<const uint8_t*>(info.data()), info.size()));
  c.send("Hg2");
  EXPECT_EQ(c.receive(), "OK");
  c.send("p10");  // RIP
  EXPECT_EQ(c.receive(), "f0ff000000000000");
  c.send("Hg1");
  EXPECT_EQ(c.receive(), "OK");
  c.send("p10");
  EXPECT_NE(c.receive(), "f0ff000000000000");
  c.send("Hg3");
  EXPECT_EQ(c.receive(), "E01");
  c.send("k");
  EXPECT_EQ(wait_hvsim(), 86);
}

TEST_F(GdbProcess, BusyPortIsBadInput) {
  start({kWl + "/minikernel.elf"});
  const auto o = hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                                    {"run", kWl + "/minikernel.elf", "--gdb",
                                     std::to_string(port)},
                                    "_busy");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("cannot listen"), std::string::npos) << o.err;
}

#else
TEST(GdbProcess, NeedsRealHvsim) { GTEST_SKIP() << "hvsim or the workloads are not built"; }
#endif

}  // namespace
