#include "sim/platform/loader/loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "sim/platform/loader/boot_info.h"
#include "sim/platform/loader/kernel_image.h"
#include "sim/platform/loader/load_error.h"
#include "sim/platform/loader/multiboot.h"

namespace hvsim::platform {

namespace {

constexpr uint64_t kPage = 4096;
uint64_t page_align(uint64_t a) {
  return (a + kPage - 1) & ~(kPage - 1);
}

std::string join(const std::string& first, const std::string& rest) {
  return rest.empty() ? first : first + " " + rest;
}

// Loadable RAM for boot images: conventional memory below the EBDA, and
// from 1 MiB to the end of RAM below 4 GiB (the holes of pc_memory.h).
void check_placement(const std::string& path, const char* what, uint64_t start, uint64_t size,
                     const PcMemory& mem) {
  const uint64_t end = start + size;
  const std::string range = "[" + hex(start) + ", " + hex(end) + ")";
  if (end < start || end > mem.below_4g)
    load_fail(path, std::string(what) + " " + range + " lies outside RAM [0x0, " +
                        hex(mem.below_4g) + ")");
  if (start < kHighMemStart && end > kEbdaStart)
    load_fail(path, std::string(what) + " " + range + " overlaps the BIOS area [" +
                        hex(kEbdaStart) + ", " + hex(kHighMemStart) + ")");
}

KernelImage parse_kernel(const std::string& path, std::span<const uint8_t> file) {
  const MultibootHeader h = find_multiboot_header(path, file);
  if (h.flags & multiboot::kHdrAoutKludge) return parse_aout_kludge(path, file, h);
  return parse_elf(path, file);
}

}  // namespace

std::vector<uint8_t> read_boot_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) load_fail(path, "cannot open: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) load_fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) load_fail(path, "read error");
  return bytes;
}

BootInfo load_multiboot(std::span<uint8_t> ram, const PcMemory& mem, const std::string& kernel_path,
                        std::span<const uint8_t> kernel, const std::string& cmdline,
                        const std::vector<BootModule>& modules) {
  const KernelImage img = parse_kernel(kernel_path, kernel);
  if (img.entry > UINT32_MAX)
    load_fail(kernel_path, "entry point " + hex(img.entry) + " is above 4 GiB");

  BootInfo info;
  info.kernel_start = UINT64_MAX;
  for (const Segment& s : img.segments) {
    check_placement(kernel_path, "segment", s.paddr, s.memsz, mem);
    std::memcpy(&ram[s.paddr], kernel.data() + s.file_offset, s.filesz);
    std::memset(&ram[s.paddr + s.filesz], 0, s.memsz - s.filesz);
    info.kernel_start = std::min(info.kernel_start, s.paddr);
    info.kernel_end = std::max(info.kernel_end, s.paddr + s.memsz);
  }
  info.entry = uint32_t(img.entry);

  // The information right after the kernel, then each module on its own pages.
  const std::string full_cmdline = join(kernel_path, cmdline);
  std::vector<std::string> mod_strings;
  for (const auto& m : modules) mod_strings.push_back(join(m.path, m.args));
  const uint64_t info_base = page_align(info.kernel_end);
  const uint64_t info_size = boot_info_size(mem, full_cmdline, mod_strings);
  check_placement(kernel_path, "boot information", info_base, info_size, mem);

  std::vector<InfoModule> placed;
  uint64_t next = page_align(info_base + info_size);
  for (size_t i = 0; i < modules.size(); ++i) {
    const auto& m = modules[i];
    check_placement(m.path, "module", next, m.bytes.size(), mem);
    std::memcpy(&ram[next], m.bytes.data(), m.bytes.size());
    placed.push_back({uint32_t(next), uint32_t(next + m.bytes.size()), mod_strings[i]});
    info.modules.push_back({next, next + m.bytes.size()});
    next = page_align(next + m.bytes.size());
  }
  info.mbi_addr = write_boot_info(ram, uint32_t(info_base), mem, full_cmdline, placed);
  return info;
}

BootInfo load_multiboot_files(std::span<uint8_t> ram, const PcMemory& mem,
                              const std::string& kernel_path, const std::string& cmdline,
                              const std::vector<ModuleSpec>& modules) {
  const std::vector<uint8_t> kernel = read_boot_file(kernel_path);
  std::vector<BootModule> mods;
  for (const auto& m : modules) mods.push_back({m.path, m.args, read_boot_file(m.path)});
  return load_multiboot(ram, mem, kernel_path, kernel, cmdline, mods);
}

}  // namespace hvsim::platform
