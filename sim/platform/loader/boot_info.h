// Builds the multiboot boot information (Multiboot 0.6.96, 3.3) in RAM.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/platform/loader/pc_memory.h"

namespace hvsim::platform {

struct InfoModule {
  uint32_t start = 0, end = 0;  // [start, end)
  std::string string;           // "path args"
};

// Bytes the information needs at its base (structure, memory map, module
// list and strings), so the caller can place modules after it.
uint64_t boot_info_size(const PcMemory& mem, const std::string& cmdline,
                        const std::vector<std::string>& module_strings);

// Writes the information at `base` and returns base. ram must hold
// [base, base + boot_info_size(...)).
uint32_t write_boot_info(std::span<uint8_t> ram, uint32_t base, const PcMemory& mem,
                         const std::string& cmdline, const std::vector<InfoModule>& modules);

}  // namespace hvsim::platform
