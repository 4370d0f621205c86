// Builds small multiboot kernel files in memory for the loader tests: ELF32
// or ELF64 executables with PT_LOAD segments, and a.out-kludge images.
#pragma once

#include <cstdint>
#include <vector>

namespace hvsim::platform::test {

struct TestSegment {
  uint64_t paddr;
  uint64_t vaddr;
  std::vector<uint8_t> data;  // p_filesz bytes
  uint64_t memsz;             // >= data.size(); the rest is bss
};

struct ElfSpec {
  bool elf64 = false;
  std::vector<TestSegment> segments;
  uint64_t entry = 0x100000;
  bool multiboot_header = true;
  uint32_t mb_flags = 0x00000003;  // page-align modules, memory info
  bool bad_checksum = false;
};

constexpr uint64_t kMbHeaderOffset = 0x1f0;   // where build_elf puts the header
constexpr uint64_t kFirstDataOffset = 0x200;  // segment data starts here, in order

std::vector<uint8_t> build_elf(const ElfSpec& spec);

// An a.out-kludge image: the whole file is text loaded at load_addr, the
// header at file offset 0x40, bss of bss_bytes, entry at load_addr + 0x60.
std::vector<uint8_t> build_aout(uint32_t load_addr, uint32_t file_size, uint32_t bss_bytes);

void put32(std::vector<uint8_t>& f, uint64_t off, uint32_t v);

}  // namespace hvsim::platform::test
