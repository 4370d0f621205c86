// The Linux/x86 boot protocol (Documentation/x86/boot.rst) as QEMU's
// `-kernel` uses it for a bzImage, entered through the 32-bit boot protocol
// (boot.rst "32-bit Boot Protocol"): no BIOS, so the real-mode setup code is
// not run; the loader fills the zero page itself (e820 map, command line,
// initrd) and the core starts at code32_start in flat protected mode with
// ESI pointing at the zero page. Writes into a plain RAM image like the
// multiboot loader, so tests run it without SystemC.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "sim/platform/loader/loader.h"

namespace hvsim::platform {

struct LinuxSetupHeader {
  uint16_t version = 0;        // major << 8 | minor
  unsigned setup_bytes = 0;    // boot sector and setup code: the protected-mode part follows
  uint8_t loadflags = 0;
  uint32_t initrd_addr_max = 0;
  uint32_t cmdline_size = 0;
  uint64_t pref_address = 0;   // where the kernel decompresses itself (2.10+)
  uint32_t init_size = 0;      // bytes it needs from there (2.10+)
  uint16_t xloadflags = 0;
  uint32_t header_end = 0;     // file offset just past the setup header
};

// Where the loader puts what the protocol leaves to it, below the EBDA.
struct LinuxLayout {
  static constexpr uint32_t kGdt = 0x6000;         // __BOOT_CS = 0x10, __BOOT_DS = 0x18
  static constexpr uint32_t kZeroPage = 0x7000;    // struct boot_params, 4 KiB
  static constexpr uint32_t kCmdline = 0x8000;     // up to 4 KiB
  static constexpr uint32_t kKernel = 0x100000;    // protected-mode kernel (code32_start)
  // The oldest protocol hvsim enters: 2.06 has cmdline_size and the
  // 32-bit entry as the kernel documents it (Linux 2.6.22).
  static constexpr uint16_t kMinVersion = 0x0206;
};

// True when the file starts like a bzImage: "HdrS" at 0x202 and the 0xAA55
// boot flag. Anything else is left to the multiboot loader.
bool is_linux_bzimage(std::span<const uint8_t> file);

// Throws LoadError "<path>: ..." for an image hvsim cannot boot.
LinuxSetupHeader parse_setup_header(const std::string& path, std::span<const uint8_t> file);

// Loads the bzImage, the initrd (empty = none) and the command line, and
// builds the zero page. rsdp_addr (0 = none) goes into boot_params. Throws
// LoadError with one line naming the file on any problem.
BootInfo load_linux(std::span<uint8_t> ram, const PcMemory& mem, const std::string& kernel_path,
                    std::span<const uint8_t> kernel, const std::string& initrd_path,
                    std::span<const uint8_t> initrd, const std::string& cmdline,
                    uint64_t rsdp_addr);

}  // namespace hvsim::platform
