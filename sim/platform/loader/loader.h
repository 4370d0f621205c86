// Multiboot v1 loader, as QEMU's `-kernel` (hw/i386/multiboot.c) and the
// Multiboot Specification 0.6.96: loads an ELF32/ELF64 kernel's PT_LOAD
// segments (or the a.out kludge's address fields), the modules, and builds
// the boot information. It writes into a plain RAM image (index = physical
// address), so tests run it without SystemC.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/platform/loader/pc_memory.h"
#include "sim/platform/simulation.h"  // LoadError, ModuleSpec

namespace hvsim::platform {

struct BootModule {
  std::string path;
  std::string args;
  std::vector<uint8_t> bytes;
};

struct BootInfo {
  uint32_t entry = 0;                         // EIP at entry, flat 32-bit protected mode
  uint32_t mbi_addr = 0;                      // EBX at entry
  uint64_t kernel_start = 0, kernel_end = 0;  // loaded bytes, bss included: [start, end)
  struct Range {
    uint64_t start, end;
  };
  std::vector<Range> modules;  // where each module was placed: [start, end)
};

// The size of a regular file (stat); LoadError "<path>: cannot open: ..."
// when missing, a directory or not a regular file.
uint64_t boot_file_size(const std::string& path);

// Reads a whole regular file of at most max_bytes, checked (stat) before
// anything is read; LoadError "<path>: ..." when missing, unreadable, too
// large, or a read fails (EIO from /proc/self/mem, say).
std::vector<uint8_t> read_boot_file(const std::string& path, uint64_t max_bytes = UINT64_MAX);
inline constexpr uint64_t kMaxKernelFileBytes = 4ull << 30;

// Loads `kernel` (named kernel_path in messages and in the command line) and
// the modules into ram, the RAM below 4 GiB (ram.size() == mem.below_4g).
// Throws LoadError with one line naming the file on any problem.
BootInfo load_multiboot(std::span<uint8_t> ram, const PcMemory& mem, const std::string& kernel_path,
                        std::span<const uint8_t> kernel, const std::string& cmdline,
                        const std::vector<BootModule>& modules);

// The same, reading the kernel and the modules from their files.
BootInfo load_multiboot_files(std::span<uint8_t> ram, const PcMemory& mem,
                              const std::string& kernel_path, const std::string& cmdline,
                              const std::vector<ModuleSpec>& modules);

}  // namespace hvsim::platform
