// Boots Debian's kernel with the busybox initramfs the `linux-image` target
// builds (workloads/linux) to userspace: the benchmarks print their timing
// lines and /init powers off through ACPI S5, which ends the run with 0.
// Skipped, with a note, when the image has not been built.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "hvsim_process.h"

namespace {

namespace fs = std::filesystem;

TEST(LinuxBoot, BusyboxBenchmarksAndPowerOff) {
  const fs::path img = HVSIM_LINUX_DIR;
  if (!fs::exists(img / "vmlinuz") || !fs::exists(img / "initramfs.cpio"))
    GTEST_SKIP() << "no Linux image in " << img
                 << ": build it with `cmake --build build --target linux-image`";
  const fs::path dir = fs::temp_directory_path() / ("hvsim_linux_boot_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // The instruction limit only stops a hung kernel: a boot takes about 7e9.
  const hvsim_test::Outcome o = hvsim_test::run_in(
      dir, HVSIM_BIN,
      {"run", (img / "vmlinuz").string(), "--initrd", (img / "initramfs.cpio").string(),
       "--cmdline", "console=ttyS0", "--max-insns", "40000000000", "--out", "out"});
  EXPECT_EQ(o.status, 0) << o.err << "\n--- console ---\n" << o.out;
  EXPECT_NE(o.out.find("hvsim-linux: userspace up, kernel 6.1"), std::string::npos) << o.out;
  for (const char* name : {"null_syscall", "fork_exit", "fork_exec", "page_fault",
                           "ctx_switch_pipe", "mmap_munmap"}) {
    // The tty turns "\n" into "\r\n" (onlcr).
    const std::regex line(std::string("\ntiming: ") + name + " [0-9]+\\.[0-9] cycles/iter\r?\n");
    EXPECT_TRUE(std::regex_search(o.out, line)) << name << "\n" << o.out;
  }
  EXPECT_NE(o.out.find("hvsim-linux: benchmarks done, status 0"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("guest powered off (ACPI S5)"), std::string::npos) << o.err;
  const std::string stats = hvsim_test::read_all(dir / "out" / "stats.json");
  EXPECT_NE(stats.find("\"boot.insns_to_user\""), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
