// The parts of a multiboot kernel file the loader places in RAM: segments
// with their physical address and the entry point. Parsed from the multiboot
// header (a.out kludge) or the ELF program headers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hvsim::platform {

struct Segment {
  uint64_t paddr = 0;
  uint64_t file_offset = 0;
  uint64_t filesz = 0;  // bytes copied from the file
  uint64_t memsz = 0;   // filesz plus zero fill (bss)
};

struct KernelImage {
  std::vector<Segment> segments;
  uint64_t entry = 0;
};

struct MultibootHeader {
  uint64_t offset = 0;  // in the file
  uint32_t flags = 0;
  uint32_t header_addr = 0, load_addr = 0, load_end_addr = 0, bss_end_addr = 0, entry_addr = 0;
};

// All throw LoadError("<path>: ..."); path is only used in messages.
MultibootHeader find_multiboot_header(const std::string& path, std::span<const uint8_t> file);
KernelImage parse_aout_kludge(const std::string& path, std::span<const uint8_t> file,
                              const MultibootHeader& h);
KernelImage parse_elf(const std::string& path, std::span<const uint8_t> file);

}  // namespace hvsim::platform
