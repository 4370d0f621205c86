#include "sim/platform/loader/boot_info.h"

#include <cstring>

#include "sim/platform/loader/multiboot.h"

namespace hvsim::platform {

namespace mb = multiboot;

namespace {

constexpr const char* kBootLoaderName = "hvsim";
constexpr uint64_t kStructBytes = 120;  // kInfoSize rounded up to 8

struct MmapEntry {
  uint64_t base, length;
  uint32_t type;
};

// The map SeaBIOS reports to a multiboot kernel under QEMU's pc machine (e820).
std::vector<MmapEntry> memory_map(const PcMemory& mem) {
  std::vector<MmapEntry> m = {
      {0, kEbdaStart, mb::kMmapAvailable},
      {kEbdaStart, 0xa0000 - kEbdaStart, mb::kMmapReserved},
      {kBiosStart, kHighMemStart - kBiosStart, mb::kMmapReserved},
      {kHighMemStart, mem.below_4g - kHighMemStart, mb::kMmapAvailable},
  };
  if (mem.above_4g) m.push_back({kAbove4gStart, mem.above_4g, mb::kMmapAvailable});
  return m;
}

void put32(std::span<uint8_t> ram, uint64_t addr, uint32_t v) {
  std::memcpy(&ram[addr], &v, 4);
}
void put64(std::span<uint8_t> ram, uint64_t addr, uint64_t v) {
  std::memcpy(&ram[addr], &v, 8);
}

// Copies s with its NUL terminator, returns the address after it.
uint32_t put_string(std::span<uint8_t> ram, uint32_t addr, const std::string& s) {
  std::memcpy(&ram[addr], s.c_str(), s.size() + 1);
  return addr + uint32_t(s.size() + 1);
}

}  // namespace

uint64_t boot_info_size(const PcMemory& mem, const std::string& cmdline,
                        const std::vector<std::string>& module_strings) {
  uint64_t n = kStructBytes + memory_map(mem).size() * mb::kMmapEntrySize +
               module_strings.size() * mb::kModuleEntrySize;
  n += cmdline.size() + 1 + std::strlen(kBootLoaderName) + 1;
  for (const auto& s : module_strings) n += s.size() + 1;
  return n;
}

uint32_t write_boot_info(std::span<uint8_t> ram, uint32_t base, const PcMemory& mem,
                         const std::string& cmdline, const std::vector<InfoModule>& modules) {
  const auto map = memory_map(mem);
  std::memset(&ram[base], 0, kStructBytes);
  const uint32_t mmap_addr = base + uint32_t(kStructBytes);
  const uint32_t mods_addr = mmap_addr + uint32_t(map.size() * mb::kMmapEntrySize);
  uint32_t strings = mods_addr + uint32_t(modules.size() * mb::kModuleEntrySize);

  put32(ram, base + mb::kInfoFlags,
        mb::kInfoMem | mb::kInfoCmdline | mb::kInfoMods | mb::kInfoMmap | mb::kInfoBootLoaderName);
  put32(ram, base + mb::kInfoMemLower, uint32_t(kEbdaStart / 1024));  // 639 KiB
  put32(ram, base + mb::kInfoMemUpper, uint32_t((mem.below_4g - kHighMemStart) / 1024));

  for (size_t i = 0; i < map.size(); ++i) {  // "size" counts the bytes after itself
    const uint32_t e = mmap_addr + uint32_t(i * mb::kMmapEntrySize);
    put32(ram, e, mb::kMmapEntrySize - 4);
    put64(ram, e + 4, map[i].base);
    put64(ram, e + 12, map[i].length);
    put32(ram, e + 20, map[i].type);
  }
  put32(ram, base + mb::kInfoMmapLength, uint32_t(map.size() * mb::kMmapEntrySize));
  put32(ram, base + mb::kInfoMmapAddr, mmap_addr);

  put32(ram, base + mb::kInfoCmdlineAddr, strings);
  strings = put_string(ram, strings, cmdline);
  put32(ram, base + mb::kInfoBootLoaderNameAddr, strings);
  strings = put_string(ram, strings, kBootLoaderName);

  for (size_t i = 0; i < modules.size(); ++i) {
    const uint32_t e = mods_addr + uint32_t(i * mb::kModuleEntrySize);
    put32(ram, e, modules[i].start);
    put32(ram, e + 4, modules[i].end);
    put32(ram, e + 8, strings);
    put32(ram, e + 12, 0);
    strings = put_string(ram, strings, modules[i].string);
  }
  put32(ram, base + mb::kInfoModsCount, uint32_t(modules.size()));
  put32(ram, base + mb::kInfoModsAddr, mods_addr);
  return base;
}

}  // namespace hvsim::platform
