// Every way the loader rejects a kernel or module: one LoadError line that
// names the file.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "elf_builder.h"
#include "sim/platform/loader/loader.h"

namespace hvsim::platform {
namespace {

using test::build_elf;
using test::ElfSpec;

constexpr uint64_t kRam = 8 << 20;

// Runs the loader and returns the error message ("" if none was thrown).
std::string load_error(const std::vector<uint8_t>& kernel, std::vector<BootModule> mods = {}) {
  std::vector<uint8_t> ram(kRam);
  try {
    load_multiboot(ram, pc_memory(kRam), "bad.elf", kernel, "", mods);
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
  return "";
}

ElfSpec good() {
  ElfSpec s;
  s.segments = {{0x100000, 0x100000, {1, 2, 3}, 16}};
  return s;
}

void expect_error(const std::string& msg, const std::string& part) {
  EXPECT_EQ(msg.rfind("bad.elf: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(part), std::string::npos) << msg;
}

TEST(LoaderErrors, GoodImageLoads) {
  EXPECT_EQ(load_error(build_elf(good())), "");
}

TEST(LoaderErrors, NotElf) {
  std::vector<uint8_t> f(512, 0);
  test::put32(f, 0, 0x1BADB002);
  test::put32(f, 4, 0);
  test::put32(f, 8, uint32_t(-0x1BADB002));
  expect_error(load_error(f), "not an ELF file");
}

TEST(LoaderErrors, NoMultibootHeader) {
  ElfSpec s = good();
  s.multiboot_header = false;
  expect_error(load_error(build_elf(s)), "no multiboot header");
}

TEST(LoaderErrors, HeaderBeyond8192BytesIsNotFound) {
  std::vector<uint8_t> f = build_elf([] {
    ElfSpec s = good();
    s.multiboot_header = false;
    return s;
  }());
  f.resize(9000);
  test::put32(f, 8192, 0x1BADB002);
  test::put32(f, 8196, 0);
  test::put32(f, 8200, uint32_t(-0x1BADB002));
  expect_error(load_error(f), "no multiboot header");
}

TEST(LoaderErrors, BadChecksum) {
  ElfSpec s = good();
  s.bad_checksum = true;
  expect_error(load_error(build_elf(s)), "bad checksum");
}

TEST(LoaderErrors, UnsupportedRequiredFeature) {
  ElfSpec s = good();
  s.mb_flags = 0x00000010;
  expect_error(load_error(build_elf(s)), "unsupported");
}

TEST(LoaderErrors, WrongMachine) {
  auto f = build_elf(good());
  f[18] = 62;  // e_machine = EM_X86_64 in an ELF32 file
  expect_error(load_error(f), "not x86");
}

TEST(LoaderErrors, WrongClass) {
  auto f = build_elf(good());
  f[4] = 3;  // EI_CLASS
  expect_error(load_error(f), "ELF class");
}

TEST(LoaderErrors, NotAnExecutable) {
  auto f = build_elf(good());
  f[16] = 1;  // e_type = ET_REL
  expect_error(load_error(f), "not an ELF executable");
}

TEST(LoaderErrors, TruncatedProgramHeaders) {
  auto f = build_elf(good());
  f[44] = 200;  // e_phnum (ELF32 offset 44)
  expect_error(load_error(f), "truncated ELF program headers");
}

TEST(LoaderErrors, TruncatedElfHeader) {
  // An ELF64 file cut inside its 64-byte header, with a multiboot header at 0x30.
  ElfSpec s = good();
  s.elf64 = true;
  auto f = build_elf(s);
  f.resize(0x30);
  test::put32(f, 0x30, 0x1BADB002);
  test::put32(f, 0x34, 0);
  test::put32(f, 0x38, uint32_t(-0x1BADB002));
  ASSERT_EQ(f.size(), 0x3cu);
  expect_error(load_error(f), "truncated ELF header");
}

TEST(LoaderErrors, SegmentOutsideTheFile) {
  ElfSpec s = good();
  s.segments[0].data.resize(64);
  s.segments[0].memsz = 64;
  auto f = build_elf(s);
  f.resize(f.size() - 10);
  expect_error(load_error(f), "past the end of the file");
}

TEST(LoaderErrors, SegmentOutsideRam) {
  ElfSpec s = good();
  s.segments[0].paddr = kRam - 8;  // 16 bytes: crosses the end of RAM
  expect_error(load_error(build_elf(s)), "outside RAM");
  s.segments[0].paddr = 0x80000000;
  expect_error(load_error(build_elf(s)), "outside RAM");
}

TEST(LoaderErrors, SegmentInTheBiosHole) {
  ElfSpec s = good();
  s.segments[0].paddr = 0xb8000;  // VGA memory
  expect_error(load_error(build_elf(s)), "BIOS area");
}

TEST(LoaderErrors, AoutKludgeLoadEndPastFile) {
  auto f = test::build_aout(0x100000, 0x200, 0);
  test::put32(f, 0x40 + 20, 0x100000 + 0x400);  // load_end_addr beyond the file
  expect_error(load_error(f), "past the end of the file");
}

TEST(LoaderErrors, ModuleThatDoesNotFitNamesTheModule) {
  std::vector<BootModule> mods = {{"big.bin", "", std::vector<uint8_t>(kRam, 1)}};
  const std::string msg = load_error(build_elf(good()), mods);
  EXPECT_EQ(msg.rfind("big.bin: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("outside RAM"), std::string::npos) << msg;
}

TEST(LoaderErrors, MissingFile) {
  std::vector<uint8_t> ram(kRam);
  try {
    load_multiboot_files(ram, pc_memory(kRam), "/nonexistent/kernel.elf", "", {});
    FAIL() << "no LoadError";
  } catch (const LoadError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/kernel.elf: cannot open: No such file or directory");
  }
}

TEST(LoaderErrors, MissingModuleFile) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto kernel = (dir / ("hvsim_loader_test_" + std::to_string(getpid()) + ".elf")).string();
  {
    const auto bytes = build_elf(good());
    std::ofstream(kernel, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  std::vector<uint8_t> ram(kRam);
  EXPECT_NO_THROW(load_multiboot_files(ram, pc_memory(kRam), kernel, "", {}));
  try {
    load_multiboot_files(ram, pc_memory(kRam), kernel, "", {{"/nonexistent/mod", "x"}});
    FAIL() << "no LoadError";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/mod: cannot open", 0), 0u) << e.what();
  }
  std::filesystem::remove(kernel);
}

// Sizes are checked with stat before anything is read: a sparse 1 GiB module
// is refused at once, without reading it into host memory.
TEST(LoaderErrors, ModuleLargerThanRamIsRefusedBeforeReading) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto big = (dir / ("hvsim_loader_big_" + std::to_string(getpid()) + ".bin")).string();
  { std::ofstream(big, std::ios::binary); }
  std::filesystem::resize_file(big, 1ull << 30);
  std::vector<uint8_t> ram(kRam);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    load_multiboot_files(ram, pc_memory(kRam), "/nonexistent/kernel.elf", "", {{big, ""}});
    FAIL() << "no LoadError";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()),
              big +
                  ": module of 1073741824 bytes does not fit: the modules need 1073741824 "
                  "bytes, RAM above 1 MiB has 7340032");
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
  std::filesystem::remove(big);
}

TEST(LoaderErrors, FileLargerThanItsLimit) {
  try {
    read_boot_file("/proc/self/exe", 16);
    FAIL() << "no LoadError";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("bytes, more than the 16 bytes"), std::string::npos)
        << e.what();
  }
}

// /proc/self/mem is a "regular file" of size 0 whose reads fail (EIO): an
// empty kernel, so no multiboot header; never an internal error.
TEST(LoaderErrors, UnreadableProcFileIsBadInput) {
  std::vector<uint8_t> ram(kRam);
  try {
    load_multiboot_files(ram, pc_memory(kRam), "/proc/self/mem", "", {});
    FAIL() << "no LoadError";
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/proc/self/mem: ", 0), 0u) << e.what();
  }
  EXPECT_THROW(load_multiboot_files(ram, pc_memory(kRam), "/dev/null", "", {}), LoadError);
}

TEST(LoaderErrors, DirectoryIsNotAKernel) {
  std::vector<uint8_t> ram(kRam);
  EXPECT_THROW(load_multiboot_files(ram, pc_memory(kRam), "/tmp", "", {}), LoadError);
}

}  // namespace
}  // namespace hvsim::platform
