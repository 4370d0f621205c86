// Facts of the Linux/x86 boot protocol used by the loader: the real-mode
// kernel header (Documentation/x86/boot.rst, "The Real-Mode Kernel Header")
// and the zero page, struct boot_params (Documentation/x86/zero-page.rst).
// Offsets are from the start of the bzImage file, which are also offsets in
// the zero page: the setup header sits at 0x1f1 in both.
#pragma once

#include <cstdint>

namespace hvsim::platform::linux_boot {

// Setup header fields (boot.rst, offsets/sizes table).
enum HeaderOffset : uint32_t {
  kSetupSects = 0x1f1,      // u8: 512-byte sectors of setup code after the boot sector (0 = 4)
  kBootFlag = 0x1fe,        // u16: 0xAA55
  kJumpEnd = 0x201,         // u8: the header ends at 0x202 + this byte
  kHeaderMagic = 0x202,     // "HdrS"
  kVersion = 0x206,         // u16: boot protocol version, major << 8 | minor
  kTypeOfLoader = 0x210,    // u8, written: 0xFF = undefined loader
  kLoadFlags = 0x211,       // u8
  kCode32Start = 0x214,     // u32: the 32-bit entry point's address
  kRamdiskImage = 0x218,    // u32, written
  kRamdiskSize = 0x21c,     // u32, written
  kHeapEndPtr = 0x224,      // u16 (real-mode heap; unused by the 32-bit entry)
  kCmdLinePtr = 0x228,      // u32, written (2.02+)
  kInitrdAddrMax = 0x22c,   // u32 (2.03+): highest address the initrd may occupy
  kKernelAlignment = 0x230, // u32 (2.05+)
  kRelocatable = 0x234,     // u8 (2.05+)
  kXLoadFlags = 0x236,      // u16 (2.12+)
  kCmdlineSize = 0x238,     // u32 (2.06+): longest command line, NUL excluded
  kPrefAddress = 0x258,     // u64 (2.10+): preferred load address
  kInitSize = 0x260,        // u32 (2.10+): linear memory the kernel needs from its load address
};

constexpr uint32_t kHdrS = 0x53726448;  // "HdrS" little-endian
constexpr uint16_t kBootFlagValue = 0xAA55;
constexpr uint8_t kLoadedHigh = 0x01;   // loadflags bit 0: protected-mode code at 0x100000
constexpr uint16_t kXlfKernel64 = 0x01; // xloadflags bit 0: has the 64-bit entry at +0x200

// zero-page.rst: struct boot_params fields the loader fills.
enum ZeroPageOffset : uint32_t {
  kAcpiRsdpAddr = 0x070,  // u64 (2.14+)
  kExtRamdiskImage = 0x0c0,
  kExtRamdiskSize = 0x0c4,
  kExtCmdLinePtr = 0x0c8,
  kE820Entries = 0x1e8,   // u8
  kSentinel = 0x1ef,      // u8: must be 0 (the kernel clears stale fields otherwise)
  kE820Table = 0x2d0,     // struct boot_e820_entry[128]: u64 addr, u64 size, u32 type
};
constexpr uint32_t kZeroPageSize = 4096;
constexpr uint32_t kE820EntrySize = 20;
constexpr uint32_t kE820MaxEntries = 128;
constexpr uint32_t kE820Ram = 1, kE820Reserved = 2;

}  // namespace hvsim::platform::linux_boot
