// Where RAM lies in the physical address space of QEMU's `pc` machine
// (hw/i386/pc_piix.c): all of it from 0 when it fits below 3.5 GiB;
// otherwise 3 GiB below 4 GiB and the rest from 4 GiB up, leaving the
// PCI/APIC hole. SeaBIOS reserves the EBDA (0x9fc00-0xa0000) and the BIOS
// area (0xf0000-0x100000), which is the memory map multiboot kernels see.
#pragma once

#include <cstdint>

namespace hvsim::platform {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kEbdaStart = 0x9fc00;  // top of conventional memory (639 KiB)
constexpr uint64_t kBiosStart = 0xf0000;
constexpr uint64_t kHighMemStart = kMiB;  // 1 MiB
constexpr uint64_t kAbove4gStart = 4 * kGiB;

struct PcMemory {
  uint64_t below_4g = 0;  // RAM at [0, below_4g)
  uint64_t above_4g = 0;  // RAM at [4 GiB, 4 GiB + above_4g)
  uint64_t total() const { return below_4g + above_4g; }
};

inline PcMemory pc_memory(uint64_t ram_bytes) {
  if (ram_bytes < 0xe0000000ull) return {ram_bytes, 0};
  return {3 * kGiB, ram_bytes - 3 * kGiB};
}

}  // namespace hvsim::platform
