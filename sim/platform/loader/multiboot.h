// Multiboot Specification version 0.6.96 facts used by the loader: the OS
// image header (section 3.1) and the boot information (section 3.3).
#pragma once

#include <cstdint>

namespace hvsim::platform::multiboot {

// 3.1.1: the header lies within the first 8192 bytes, 32-bit aligned.
constexpr uint32_t kHeaderMagic = 0x1BADB002;
constexpr uint32_t kBootloaderMagic = 0x2BADB002;  // EAX at entry (3.2)
constexpr uint64_t kHeaderSearch = 8192;

// 3.1.2 header flags. Bits 0-15 are requirements: a loader that does not
// understand one must fail. Bit 16 says the address fields are valid.
constexpr uint32_t kHdrPageAlign = 1u << 0;
constexpr uint32_t kHdrMemoryInfo = 1u << 1;
constexpr uint32_t kHdrVideoMode = 1u << 2;
constexpr uint32_t kHdrAoutKludge = 1u << 16;
constexpr uint32_t kHdrKnownRequirements = kHdrPageAlign | kHdrMemoryInfo | kHdrVideoMode;

// 3.1.1 header field offsets.
enum HeaderOffset : uint32_t {
  kHdrMagic = 0,
  kHdrFlags = 4,
  kHdrChecksum = 8,
  kHdrHeaderAddr = 12,
  kHdrLoadAddr = 16,
  kHdrLoadEndAddr = 20,
  kHdrBssEndAddr = 24,
  kHdrEntryAddr = 28,
  kHdrAoutSize = 32,
};

// 3.3 boot information flags.
constexpr uint32_t kInfoMem = 1u << 0;
constexpr uint32_t kInfoCmdline = 1u << 2;
constexpr uint32_t kInfoMods = 1u << 3;
constexpr uint32_t kInfoMmap = 1u << 6;
constexpr uint32_t kInfoBootLoaderName = 1u << 9;

// 3.3 boot information field offsets; the structure ends at 116 with the
// framebuffer fields, which hvsim leaves zero.
enum InfoOffset : uint32_t {
  kInfoFlags = 0,
  kInfoMemLower = 4,
  kInfoMemUpper = 8,
  kInfoBootDevice = 12,
  kInfoCmdlineAddr = 16,
  kInfoModsCount = 20,
  kInfoModsAddr = 24,
  kInfoMmapLength = 44,
  kInfoMmapAddr = 48,
  kInfoBootLoaderNameAddr = 64,
  kInfoSize = 116,
};

// 3.3 module structure: mod_start, mod_end (exclusive), string, reserved.
constexpr uint32_t kModuleEntrySize = 16;
// 3.3 memory map entry: size (of the rest, 20), base_addr u64, length u64, type.
constexpr uint32_t kMmapEntrySize = 24;
constexpr uint32_t kMmapAvailable = 1, kMmapReserved = 2;

}  // namespace hvsim::platform::multiboot
