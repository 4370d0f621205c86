// Runs the built binaries as a user would: the test stub (always) and the
// real hvsim (when it is built), checking exit statuses and that every bad
// input gives exactly one line on stderr and nothing on stdout.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class ProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path dir;

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->name());
    for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    dir = fs::temp_directory_path() / ("hvsim_process_test_" + std::to_string(getpid())) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    write("kernel.elf", "exit 3\n");
    write("guest.elf", "guest\n");
    write("bad.toml", "[platform\n");
  }
  void TearDown() override { fs::remove_all(dir.parent_path()); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
  }
  bool is_stub() const { return GetParam().find("hvsim_stub") != std::string::npos; }

  // Arguments are single-quoted for the shell; the tests use no quotes in them.
  Outcome run(const std::vector<std::string>& args) {
    std::string cmd = "cd '" + dir.string() + "' && '" + GetParam() + "'";
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " >stdout.txt 2>stderr.txt";
    Outcome o;
    const int rc = std::system(cmd.c_str());
    o.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    o.out = read_all(dir / "stdout.txt");
    o.err = read_all(dir / "stderr.txt");
    return o;
  }

  // The key of some unsigned parameter, read from `config --list`.
  std::string some_uint_key() {
    std::istringstream table(run({"config", "--list"}).out);
    std::string line;
    while (std::getline(table, line)) {
      std::istringstream words(line);
      std::string key, type;
      words >> key >> type;
      if (type == "uint") return key;
    }
    return "";
  }

  void expect_bad_input(const std::vector<std::string>& args) {
    const Outcome o = run(args);
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    EXPECT_EQ(o.status, 2) << shown << "\n" << o.err;
    EXPECT_EQ(count_lines(o.err), 1) << shown << "\n" << o.err;
    EXPECT_EQ(o.err.rfind("hvsim: error: ", 0), 0u) << shown << "\n" << o.err;
    EXPECT_EQ(o.out, "") << shown;
  }
};

TEST_P(ProcessTest, VersionNamesHvsimAndSystemC) {
  const Outcome o = run({"--version"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out.rfind("hvsim 0.1.0", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("SystemC 2.3"), std::string::npos);
  // The commit the build was configured from (12 hex digits, "+dirty" for a
  // modified tree), or "unknown" outside a git checkout.
  EXPECT_TRUE(std::regex_search(o.out, std::regex(" \\(git ([0-9a-f]{12}(\\+dirty)?|unknown), ")))
      << o.out;
  EXPECT_EQ(count_lines(o.out), 1) << "no banner on stdout: " << o.out;
  EXPECT_EQ(o.err, "");
}

TEST_P(ProcessTest, ConfigListIsATableOfEveryParameter) {
  const Outcome o = run({"config", "--list"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out.rfind("KEY ", 0), 0u);
  EXPECT_NE(some_uint_key(), "");
  if (is_stub()) {
    EXPECT_NE(o.out.find("\nplatform.memory_mib  "), std::string::npos) << o.out;
  }
  EXPECT_EQ(o.err, "");
}

TEST_P(ProcessTest, ConfigShowPrintsResolvedToml) {
  const std::string key = some_uint_key();
  write("preset.toml", key + " = 7\n");
  const Outcome o = run({"config", "--show", "preset.toml"});
  EXPECT_EQ(o.status, 0) << o.err;
  const std::string leaf = key.substr(key.rfind('.') + 1);
  EXPECT_NE(o.out.find("\n" + leaf + " = 7\n"), std::string::npos) << o.out;
  EXPECT_EQ(o.err, "");
}

TEST_P(ProcessTest, HelpGoesToStdout) {
  const Outcome o = run({"--help"});
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.out.find("run"), std::string::npos);
}

TEST_P(ProcessTest, BadCommandLines) {
  expect_bad_input({});
  expect_bad_input({"bogus"});
  expect_bad_input({"run"});
  expect_bad_input({"run", "kernel.elf", "--bogus"});
  expect_bad_input({"run", "kernel.elf", "--max-insns", "many"});
  expect_bad_input({"config"});
}

TEST_P(ProcessTest, BadFilesAndValues) {
  const std::string key = some_uint_key();
  expect_bad_input({"run", "missing.elf"});
  expect_bad_input({"run", "kernel.elf", "--module", "missing.elf:x"});
  expect_bad_input({"run", "kernel.elf", "--config", "missing.toml"});
  expect_bad_input({"run", "kernel.elf", "--config", "bad.toml"});
  expect_bad_input({"run", "kernel.elf", "--set", "no.such_key=1"});
  expect_bad_input({"run", "kernel.elf", "--set", key + "=-5"});
  expect_bad_input({"run", "kernel.elf", "--set", key});
  expect_bad_input({"run", "kernel.elf", "--log", "cpu=loud"});
  expect_bad_input({"run", "kernel.elf", "--log", "cpuu=debug"});
  expect_bad_input({"config", "--show", "missing.toml"});
  expect_bad_input({"config", "--show", "bad.toml"});
  EXPECT_FALSE(fs::exists(dir / "hvsim-out")) << "bad input must not create the output folder";
}

// Inputs found by fuzzing the command line: each was a crash, a hang, an
// out-of-memory or an internal error, and is now one line with status 2.
TEST_P(ProcessTest, ExtremeInputsAreBadInput) {
  const std::string key = some_uint_key();
  const auto expect_says = [&](const std::vector<std::string>& args, const std::string& what) {
    expect_bad_input(args);
    const std::string err = read_all(dir / "stderr.txt");
    EXPECT_NE(err.find(what), std::string::npos) << err;
  };
  // SIGFPE in the integer range arithmetic (INT64_MIN / -1).
  expect_says({"sweep", "kernel.elf", "--vary", key + "=0:-9223372036854775808:-1"},
              "range '0:-9223372036854775808:-1': more than 100000 values");
  // std::stod's out_of_range was an internal error.
  const std::string huge = "1" + std::string(400, '0') + ".5";
  expect_says({"sweep", "kernel.elf", "--vary", key + "=0.5:" + huge + ":1"},
              "'" + huge + "' is out of range");
  const std::string tiny = "0." + std::string(400, '0') + "1";
  expect_says({"sweep", "kernel.elf", "--vary", key + "=0:1:" + tiny},
              "more than 9 digits after the point");
  // The per-setup cycle limit wrapped to 0 (unlimited): the demo never ended.
  expect_says({"demo", "--iters", "36028797018963718"},
              "--iters 36028797018963718: more than the maximum of 1000000");
}

TEST_P(ProcessTest, ExtremeInputsToTheRealModelAreBadInput) {
  if (is_stub()) GTEST_SKIP() << "the real parameters and loader";
  const auto expect_says = [&](const std::vector<std::string>& args, const std::string& what) {
    expect_bad_input(args);
    const std::string err = read_all(dir / "stderr.txt");
    EXPECT_NE(err.find(what), std::string::npos) << err;
  };
  // 6.6e9 points were allocated until memory ran out.
  expect_says({"sweep", "kernel.elf", "--vary", "memory.size_mib=2:65536:1", "--vary",
               "platform.cpu_mhz=1:100000:1"},
              "--vary: the grid has 6553500000 points, more than the cap of 100000");
  // Reads fail with EIO: was "internal error" (84).
  expect_says({"run", "/proc/self/mem"}, "/proc/self/mem: ");
  // A 1 GiB module was read whole (47 s, 1 GB RSS) before being refused.
  { std::ofstream(dir / "big.bin", std::ios::binary); }
  fs::resize_file(dir / "big.bin", 1ull << 30);
  const auto t0 = std::chrono::steady_clock::now();
  expect_says({"run", "kernel.elf", "--module", "big.bin"},
              "big.bin: module of 1073741824 bytes does not fit");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

// The rest needs the stub's scripted "kernels".
TEST_P(ProcessTest, RunReportsOnStderrAndGuestOnStdout) {
  if (!is_stub()) GTEST_SKIP() << "scripted kernel only in the stub";
  const Outcome o = run({"run", "kernel.elf", "--module", "guest.elf:-v a:b", "--module",
                         "guest.elf", "--cmdline", "x y", "--set", "platform.memory_mib=0x40",
                         "--max-insns", "1000", "--out", "o1"});
  EXPECT_EQ(o.status, 3) << o.err;
  EXPECT_EQ(o.out,
            "kernel=kernel.elf cmdline=x y memory=64\n"
            "module=guest.elf args=-v a:b\n"
            "module=guest.elf args=\n"
            "limits=1000,0 out=o1\n");
  EXPECT_EQ(
      o.err,
      "hvsim: guest wrote 3 to isa-debug-exit\n"
      "hvsim: 84,123,456 instructions, 101,234,567 cycles, IPC 0.83, 31.2 MIPS, 2.70 s wall "
      "(whole run; stats.txt: whole run)\n");
  const std::string resolved = read_all(dir / "o1" / "config.resolved.toml");
  EXPECT_NE(resolved.find("[platform]\n# MiB: stub: guest RAM\nmemory_mib = 64\n"),
            std::string::npos)
      << resolved;
}

TEST_P(ProcessTest, DefaultOutFolderAndConfigOrder) {
  if (!is_stub()) GTEST_SKIP();
  write("preset.toml", "[platform]\nmemory_mib = 32\nuart = 'none'\n");
  const Outcome o = run({"run", "kernel.elf", "--config", "preset.toml", "--set",
                         "platform.memory_mib=16", "--set", "platform.memory_mib=8"});
  EXPECT_EQ(o.status, 3) << o.err;
  EXPECT_NE(o.out.find("memory=8\n"), std::string::npos);
  const std::string resolved = read_all(dir / "hvsim-out" / "config.resolved.toml");
  EXPECT_NE(resolved.find("uart = \"none\""), std::string::npos) << resolved;
}

TEST_P(ProcessTest, FatalEndPrintsRegisterDump) {
  if (!is_stub()) GTEST_SKIP();
  write("kernel.elf", "triple\n");
  const Outcome o = run({"run", "kernel.elf"});
  EXPECT_EQ(o.status, 80);
  EXPECT_EQ(o.err.rfind("hvsim: triple fault at 0008:00100000\nRAX=0000000000000000\nRIP=", 0), 0u)
      << o.err;
}

TEST_P(ProcessTest, LoadAndConfigErrorsFromTheModelAreBadInput) {
  if (!is_stub()) GTEST_SKIP();
  write("kernel.elf", "load-error\n");
  expect_bad_input({"run", "kernel.elf"});
  write("kernel.elf", "config-error\n");
  expect_bad_input({"run", "kernel.elf"});
}

TEST_P(ProcessTest, UnexpectedExceptionIsInternalError) {
  if (!is_stub()) GTEST_SKIP();
  write("kernel.elf", "internal\n");
  const Outcome o = run({"run", "kernel.elf"});
  EXPECT_EQ(o.status, 84);
  EXPECT_EQ(o.err, "hvsim: internal error: stub failure\n");
}

std::vector<std::string> binaries() {
  std::vector<std::string> b{HVSIM_STUB_BIN};
#ifdef HVSIM_REAL_BIN
  b.push_back(HVSIM_REAL_BIN);
#endif
  return b;
}

std::string binary_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param.find("hvsim_stub") != std::string::npos ? "stub" : "hvsim";
}

INSTANTIATE_TEST_SUITE_P(Binaries, ProcessTest, ::testing::ValuesIn(binaries()), binary_name);

}  // namespace
