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

// How the core enters the loaded kernel.
enum class BootProtocol {
  kMultiboot,  // EAX = 0x2BADB002, EBX = mbi_addr (Multiboot 0.6.96, 3.2)
  kLinux32,    // ESI = boot_params, GDT at gdt_base (Linux boot.rst, 32-bit Boot Protocol)
};

struct BootInfo {
  BootProtocol protocol = BootProtocol::kMultiboot;
  uint32_t entry = 0;                         // EIP at entry, flat 32-bit protected mode
  uint32_t mbi_addr = 0;                      // EBX at entry
  uint32_t boot_params = 0;                   // kLinux32: ESI at entry (the zero page)
  uint32_t gdt_base = 0;                      // kLinux32: GDTR at entry
  uint16_t gdt_limit = 0;
  uint64_t kernel_start = 0, kernel_end = 0;  // loaded bytes, bss included: [start, end)
  struct Range {
    uint64_t start, end;
  };
  std::vector<Range> modules;  // where each module (or the initrd) was placed: [start, end)
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

// Recognises the kernel from its file: a Linux bzImage (linux_loader.h) gets
// the initrd, the ACPI tables for `cpus` CPUs and the Linux entry; anything
// else is a multiboot kernel and gets the modules. An initrd for a
// multiboot kernel, or modules for Linux, is a LoadError.
BootInfo load_kernel_files(std::span<uint8_t> ram, const PcMemory& mem, const RunSpec& spec,
                           unsigned cpus);

}  // namespace hvsim::platform
