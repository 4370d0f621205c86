// The Linux/x86 boot protocol loader (loader/linux_loader.h): what it puts
// in RAM and the zero page, and every way it refuses an image.
#include "sim/platform/loader/linux_loader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "bzimage_builder.h"
#include "elf_builder.h"

namespace hvsim::platform {
namespace {

using test::build_bzimage;
using test::BzImageSpec;

constexpr uint64_t kRam = 32 << 20;

template <typename T>
T get(const std::vector<uint8_t>& ram, uint64_t addr) {
  T v;
  std::memcpy(&v, &ram[addr], sizeof v);
  return v;
}

class LinuxLoaderTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> ram = std::vector<uint8_t>(kRam);
  BootInfo load(const std::vector<uint8_t>& k, const std::vector<uint8_t>& initrd,
                const std::string& cmdline = "console=ttyS0", uint64_t rsdp = 0xe0000) {
    return load_linux(ram, pc_memory(kRam), "vmlinuz", k, initrd.empty() ? "" : "initrd", initrd,
                      cmdline, rsdp);
  }
  std::string error(const std::vector<uint8_t>& k, const std::vector<uint8_t>& initrd = {},
                    const std::string& cmdline = "") {
    try {
      load(k, initrd, cmdline);
    } catch (const LoadError& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      return e.what();
    }
    return "";
  }
  static constexpr uint32_t zp = LinuxLayout::kZeroPage;
};

TEST_F(LinuxLoaderTest, RecognisesBzImageNotElf) {
  EXPECT_TRUE(is_linux_bzimage(build_bzimage()));
  test::ElfSpec e;
  e.segments = {{0x100000, 0x100000, {1, 2, 3}, 16}};
  EXPECT_FALSE(is_linux_bzimage(test::build_elf(e)));
  EXPECT_FALSE(is_linux_bzimage(std::vector<uint8_t>(100)));
}

TEST_F(LinuxLoaderTest, ProtectedModeKernelAtOneMiB) {
  const auto k = build_bzimage();
  const BootInfo b = load(k, {});
  EXPECT_EQ(b.protocol, BootProtocol::kLinux32);
  EXPECT_EQ(b.entry, 0x100000u);
  EXPECT_EQ(b.boot_params, zp);
  const size_t setup = 5 * 512;
  EXPECT_EQ(std::memcmp(&ram[0x100000], &k[setup], k.size() - setup), 0);
  EXPECT_EQ(b.kernel_end, 0x100000 + k.size() - setup);
}

TEST_F(LinuxLoaderTest, ZeroPageHasHeaderCmdlineAndLoaderFields) {
  load(build_bzimage(), {}, "console=ttyS0 quiet");
  EXPECT_EQ(get<uint32_t>(ram, zp + 0x202), 0x53726448u);  // "HdrS" copied
  EXPECT_EQ(get<uint16_t>(ram, zp + 0x206), 0x020fu);
  EXPECT_EQ(get<uint8_t>(ram, zp + 0x210), 0xffu);  // type_of_loader
  EXPECT_EQ(get<uint8_t>(ram, zp + 0x1ef), 0u);     // sentinel
  const uint32_t cmd = get<uint32_t>(ram, zp + 0x228);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&ram[cmd])), "console=ttyS0 quiet");
  EXPECT_EQ(get<uint64_t>(ram, zp + 0x070), 0xe0000u);  // acpi_rsdp_addr (2.14+)
  EXPECT_EQ(get<uint32_t>(ram, zp + 0x218), 0u);        // no initrd
}

TEST_F(LinuxLoaderTest, RsdpAddressOnlyFromProtocol214) {
  BzImageSpec s;
  s.version = 0x020d;
  load(build_bzimage(s), {});
  EXPECT_EQ(get<uint64_t>(ram, zp + 0x070), 0u);
}

TEST_F(LinuxLoaderTest, E820MapReservesEbdaAndBiosArea) {
  load(build_bzimage(), {});
  ASSERT_EQ(ram[zp + 0x1e8], 4u);
  struct E {
    uint64_t addr, size;
    uint32_t type;
  } want[] = {{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xe0000, 0x20000, 2},
              {0x100000, kRam - 0x100000, 1}};
  for (int i = 0; i < 4; ++i) {
    const uint64_t e = zp + 0x2d0 + i * 20;
    EXPECT_EQ(get<uint64_t>(ram, e), want[i].addr) << i;
    EXPECT_EQ(get<uint64_t>(ram, e + 8), want[i].size) << i;
    EXPECT_EQ(get<uint32_t>(ram, e + 16), want[i].type) << i;
  }
}

TEST_F(LinuxLoaderTest, InitrdAtTopOfRamPageAligned) {
  std::vector<uint8_t> initrd(10000, 0x5a);
  const BootInfo b = load(build_bzimage(), initrd);
  const uint32_t at = get<uint32_t>(ram, zp + 0x218);
  EXPECT_EQ(get<uint32_t>(ram, zp + 0x21c), 10000u);
  EXPECT_EQ(at % 4096, 0u);
  EXPECT_LE(at + 10000, kRam);
  EXPECT_GT(at + 10000 + 4096, kRam);
  EXPECT_EQ(ram[at], 0x5a);
  EXPECT_EQ(ram[at + 9999], 0x5a);
  ASSERT_EQ(b.modules.size(), 1u);
  EXPECT_EQ(b.modules[0].start, at);
}

TEST_F(LinuxLoaderTest, InitrdBelowInitrdAddrMax) {
  BzImageSpec s;
  s.initrd_addr_max = 0x17fffff;  // 24 MiB - 1
  load(build_bzimage(s), std::vector<uint8_t>(4096, 1));
  EXPECT_EQ(get<uint32_t>(ram, zp + 0x218), 0x1800000u - 4096);
}

TEST_F(LinuxLoaderTest, BootGdtHasFlatCodeAndData) {
  const BootInfo b = load(build_bzimage(), {});
  EXPECT_EQ(b.gdt_base, LinuxLayout::kGdt);
  EXPECT_EQ(get<uint64_t>(ram, b.gdt_base + 0x10), 0x00cf9b000000ffffull);
  EXPECT_EQ(get<uint64_t>(ram, b.gdt_base + 0x18), 0x00cf93000000ffffull);
}

TEST_F(LinuxLoaderTest, RejectsOldProtocolVersion) {
  BzImageSpec s;
  s.version = 0x0205;
  const std::string e = error(build_bzimage(s));
  EXPECT_NE(e.find("vmlinuz: unsupported Linux boot protocol version 2.5"), std::string::npos) << e;
  s.version = 0x0300;
  EXPECT_NE(error(build_bzimage(s)).find("version 3.0"), std::string::npos);
}

TEST_F(LinuxLoaderTest, RejectsZImage) {
  BzImageSpec s;
  s.loadflags = 0;
  EXPECT_NE(error(build_bzimage(s)).find("zImage"), std::string::npos);
}

TEST_F(LinuxLoaderTest, RejectsTruncatedImage) {
  auto k = build_bzimage();
  k.resize(5 * 512);
  EXPECT_NE(error(k).find("truncated bzImage"), std::string::npos);
}

TEST_F(LinuxLoaderTest, RejectsKernelThatNeedsMoreRam) {
  BzImageSpec s;
  s.init_size = 17 << 20;  // 16 MiB + 17 MiB > 32 MiB
  const std::string e = error(build_bzimage(s));
  EXPECT_NE(e.find("kernel needs RAM up to 0x2100000"), std::string::npos) << e;
}

TEST_F(LinuxLoaderTest, RejectsInitrdThatDoesNotFit) {
  // The kernel runs in [16 MiB, 20 MiB): 12 MiB + 1 byte cannot go above it.
  const std::string e = error(build_bzimage(), std::vector<uint8_t>((12 << 20) + 1));
  EXPECT_EQ(e.rfind("initrd: initrd of 12582913 bytes does not fit in RAM", 0), 0u) << e;
  EXPECT_EQ(error(build_bzimage(), std::vector<uint8_t>(12 << 20)), "");
}

TEST_F(LinuxLoaderTest, RejectsTooLongCommandLine) {
  BzImageSpec s;
  s.cmdline_size = 8;
  EXPECT_NE(error(build_bzimage(s), {}, "console=ttyS0").find("command line of 13 bytes"),
            std::string::npos);
}

}  // namespace
}  // namespace hvsim::platform
