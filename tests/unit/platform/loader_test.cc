// Multiboot v1 loading (Multiboot 0.6.96 sections 3.1-3.3) into a RAM image.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "elf_builder.h"
#include "sim/platform/loader/loader.h"
#include "sim/platform/loader/multiboot.h"

namespace hvsim::platform {
namespace {

using test::build_aout;
using test::build_elf;
using test::ElfSpec;

constexpr uint64_t kRam = 8 << 20;  // 8 MiB machine

class LoaderTest : public ::testing::Test {
 protected:
  LoaderTest() : ram(kRam, 0xcc) {}  // garbage, so zeroing is visible

  BootInfo load(const std::vector<uint8_t>& kernel, const std::string& cmdline = "",
                const std::vector<BootModule>& mods = {}) {
    return load_multiboot(ram, pc_memory(kRam), "/k/kernel.elf", kernel, cmdline, mods);
  }
  uint32_t u32(uint64_t addr) const {
    uint32_t v;
    std::memcpy(&v, &ram[addr], 4);
    return v;
  }
  uint64_t u64(uint64_t addr) const {
    uint64_t v;
    std::memcpy(&v, &ram[addr], 8);
    return v;
  }
  std::string str(uint64_t addr) const { return reinterpret_cast<const char*>(&ram[addr]); }
  uint32_t info(uint32_t field) const { return u32(mbi + field); }

  std::vector<uint8_t> ram;
  uint32_t mbi = 0;
};

ElfSpec two_segments(bool elf64) {
  ElfSpec s;
  s.elf64 = elf64;
  s.segments = {{0x100000, 0x100000, {1, 2, 3, 4, 5}, 5},
                {0x102000, 0x102000, {9, 8, 7}, 0x1000}};  // 0xffd bytes of bss
  s.entry = 0x100002;
  return s;
}

TEST_F(LoaderTest, Elf32SegmentsAtPaddrWithBssZeroed) {
  const BootInfo b = load(build_elf(two_segments(false)));
  EXPECT_EQ(b.entry, 0x100002u);
  EXPECT_EQ(ram[0x100000], 1);
  EXPECT_EQ(ram[0x100004], 5);
  EXPECT_EQ(ram[0x100005], 0xcc) << "nothing written past p_memsz";
  EXPECT_EQ(ram[0x102002], 7);
  for (uint64_t a = 0x102003; a < 0x103000; ++a) ASSERT_EQ(ram[a], 0) << std::hex << a;
  EXPECT_EQ(b.kernel_start, 0x100000u);
  EXPECT_EQ(b.kernel_end, 0x103000u);
}

TEST_F(LoaderTest, Elf64IsAccepted) {
  const BootInfo b = load(build_elf(two_segments(true)));
  EXPECT_EQ(b.entry, 0x100002u);
  EXPECT_EQ(ram[0x102000], 9);
  EXPECT_EQ(ram[0x102fff], 0);
}

TEST_F(LoaderTest, EntryTranslatedFromVirtualToPhysical) {
  ElfSpec s;
  s.segments = {{0x200000, 0xc0200000, {0x90, 0x90}, 2}};
  s.entry = 0xc0200001;
  EXPECT_EQ(load(build_elf(s)).entry, 0x200001u);
}

TEST_F(LoaderTest, AoutKludgeLoadsTextAndBss) {
  const auto f = build_aout(0x110000, 0x300, 0x500);
  const BootInfo b = load(f);
  EXPECT_EQ(b.entry, 0x110060u);
  EXPECT_EQ(0, std::memcmp(&ram[0x110000], f.data(), f.size()));
  for (uint64_t a = 0x110300; a < 0x110800; ++a) ASSERT_EQ(ram[a], 0);
  EXPECT_EQ(b.kernel_end, 0x110800u);
}

TEST_F(LoaderTest, InfoPageAlignedAfterKernelWithRequiredFlags) {
  const BootInfo b = load(build_elf(two_segments(false)));
  mbi = b.mbi_addr;
  EXPECT_EQ(mbi, 0x103000u);
  const uint32_t want = multiboot::kInfoMem | multiboot::kInfoCmdline | multiboot::kInfoMods |
                        multiboot::kInfoMmap | multiboot::kInfoBootLoaderName;
  EXPECT_EQ(info(multiboot::kInfoFlags), want);
  EXPECT_EQ(info(multiboot::kInfoMemLower), 639u);
  EXPECT_EQ(info(multiboot::kInfoMemUpper), (kRam - (1 << 20)) / 1024);
  EXPECT_EQ(str(info(multiboot::kInfoBootLoaderNameAddr)), "hvsim");
  EXPECT_EQ(info(multiboot::kInfoModsCount), 0u);
}

TEST_F(LoaderTest, MemoryMapAsSeaBiosReportsIt) {
  mbi = load(build_elf(two_segments(false))).mbi_addr;
  ASSERT_EQ(info(multiboot::kInfoMmapLength), 4u * 24);
  const uint32_t m = info(multiboot::kInfoMmapAddr);
  struct E {
    uint64_t base, len;
    uint32_t type;
  };
  const E want[] = {
      {0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2}, {0x100000, kRam - 0x100000, 1}};
  for (int i = 0; i < 4; ++i) {
    const uint32_t e = m + 24 * i;
    EXPECT_EQ(u32(e), 20u) << i;
    EXPECT_EQ(u64(e + 4), want[i].base) << i;
    EXPECT_EQ(u64(e + 12), want[i].len) << i;
    EXPECT_EQ(u32(e + 20), want[i].type) << i;
  }
}

TEST_F(LoaderTest, CommandLineStartsWithProgramName) {
  mbi = load(build_elf(two_segments(false)), "verbose=1 n=3").mbi_addr;
  EXPECT_EQ(str(info(multiboot::kInfoCmdlineAddr)), "/k/kernel.elf verbose=1 n=3");
  mbi = load(build_elf(two_segments(false))).mbi_addr;
  EXPECT_EQ(str(info(multiboot::kInfoCmdlineAddr)), "/k/kernel.elf");
}

TEST_F(LoaderTest, ModulesPageAlignedAfterKernelWithStrings) {
  std::vector<BootModule> mods = {{"/g/guest.elf", "mode=fast", std::vector<uint8_t>(5000, 0xab)},
                                  {"/g/data.bin", "", {1, 2, 3}}};
  const BootInfo b = load(build_elf(two_segments(false)), "", mods);
  mbi = b.mbi_addr;
  ASSERT_EQ(info(multiboot::kInfoModsCount), 2u);
  const uint32_t list = info(multiboot::kInfoModsAddr);
  uint32_t prev_end = mbi;
  for (int i = 0; i < 2; ++i) {
    const uint32_t start = u32(list + 16 * i), end = u32(list + 16 * i + 4);
    EXPECT_EQ(start % 4096, 0u) << i;
    EXPECT_GE(start, prev_end) << i;
    EXPECT_EQ(end - start, mods[i].bytes.size()) << i;
    EXPECT_EQ(0, std::memcmp(&ram[start], mods[i].bytes.data(), mods[i].bytes.size())) << i;
    EXPECT_EQ(b.modules[i].start, start);
    prev_end = end;
  }
  EXPECT_EQ(str(u32(list + 8)), "/g/guest.elf mode=fast");
  EXPECT_EQ(str(u32(list + 16 + 8)), "/g/data.bin");
  EXPECT_GT(u32(list), b.kernel_end) << "modules come after the kernel";
}

// An empty file is a valid module (mod_start == mod_end), as GRUB and QEMU
// load it; the loader copies nothing (no memcpy from a null pointer, which
// UBSan reports).
TEST_F(LoaderTest, EmptyModuleIsAnEmptyRange) {
  std::vector<BootModule> mods = {{"/g/empty.bin", "", {}}, {"/g/data.bin", "", {1, 2, 3}}};
  const BootInfo b = load(build_elf(two_segments(false)), "", mods);
  mbi = b.mbi_addr;
  ASSERT_EQ(info(multiboot::kInfoModsCount), 2u);
  const uint32_t list = info(multiboot::kInfoModsAddr);
  EXPECT_EQ(u32(list), u32(list + 4));
  EXPECT_EQ(b.modules[0].start, b.modules[0].end);
  EXPECT_EQ(u32(list + 20) - u32(list + 16), 3u);
}

TEST_F(LoaderTest, LowMemoryKernelIsAllowed) {
  ElfSpec s;
  s.segments = {{0x8000, 0x8000, {0xf4}, 1}};
  s.entry = 0x8000;
  EXPECT_EQ(load(build_elf(s)).mbi_addr, 0x9000u);
}

TEST(PcMemory, SplitsAroundThePciHole) {
  EXPECT_EQ(pc_memory(128 << 20).below_4g, 128u << 20);
  const PcMemory big = pc_memory(8ull << 30);
  EXPECT_EQ(big.below_4g, 3ull << 30);
  EXPECT_EQ(big.above_4g, 5ull << 30);
}

}  // namespace
}  // namespace hvsim::platform
