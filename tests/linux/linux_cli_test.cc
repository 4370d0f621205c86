// `hvsim run` with a Linux bzImage and bad input: one line on stderr, exit
// status 2, nothing simulated.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bzimage_builder.h"
#include "hvsim_process.h"

namespace {

namespace fs = std::filesystem;
using hvsim::platform::test::build_bzimage;
using hvsim::platform::test::BzImageSpec;

class LinuxCli : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() /
          ("hvsim_linux_cli_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::vector<uint8_t>& bytes) {
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  void expect_bad_input(const std::vector<std::string>& args, const std::string& part) {
    const hvsim_test::Outcome o = hvsim_test::run_in(dir, HVSIM_BIN, args);
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_EQ(hvsim_test::lines_of(o.err).size(), 1u) << o.err;
    EXPECT_NE(o.err.find(part), std::string::npos) << o.err;
    EXPECT_EQ(o.out, "");
  }
};

TEST_F(LinuxCli, UnsupportedProtocolVersion) {
  BzImageSpec s;
  s.version = 0x0204;
  write("vmlinuz", build_bzimage(s));
  expect_bad_input({"run", "vmlinuz"}, "unsupported Linux boot protocol version 2.4");
}

TEST_F(LinuxCli, InitrdThatDoesNotFitInRam) {
  write("vmlinuz", build_bzimage());
  write("initrd", std::vector<uint8_t>(120 << 20));  // 128 MiB of RAM, kernel up to 20 MiB
  expect_bad_input({"run", "vmlinuz", "--initrd", "initrd"}, "initrd: initrd of 125829120 bytes "
                                                              "does not fit in RAM");
}

TEST_F(LinuxCli, InitrdLargerThanRam) {
  write("vmlinuz", build_bzimage());
  write("initrd", std::vector<uint8_t>(3 << 20));
  expect_bad_input({"run", "vmlinuz", "--initrd", "initrd", "--set", "memory.size_mib=2"},
                   "does not fit in RAM");
}

TEST_F(LinuxCli, MissingInitrd) {
  write("vmlinuz", build_bzimage());
  expect_bad_input({"run", "vmlinuz", "--initrd", "nothere.cpio"}, "initrd 'nothere.cpio'");
}

TEST_F(LinuxCli, ModuleWithBzImage) {
  write("vmlinuz", build_bzimage());
  write("mod", {1, 2, 3});
  expect_bad_input({"run", "vmlinuz", "--module", "mod"}, "takes --initrd, not --module");
}

TEST_F(LinuxCli, InitrdWithMultibootKernel) {
  write("kernel.elf", std::vector<uint8_t>(4096, 0x90));  // not a bzImage
  write("rd", {1, 2, 3});
  expect_bad_input({"run", "kernel.elf", "--initrd", "rd"}, "--initrd needs a Linux bzImage");
}

TEST_F(LinuxCli, KernelNeedingMoreRam) {
  BzImageSpec s;
  s.init_size = 64 << 20;  // from 16 MiB: 80 MiB
  write("vmlinuz", build_bzimage(s));
  expect_bad_input({"run", "vmlinuz", "--set", "memory.size_mib=64"}, "raise memory.size_mib");
}

}  // namespace
