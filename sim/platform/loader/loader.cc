#include "sim/platform/loader/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

uint64_t boot_file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    load_fail(path, std::string("cannot open: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) load_fail(path, "cannot open: is a directory");
  if (!S_ISREG(st.st_mode)) load_fail(path, "cannot open: not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

std::vector<uint8_t> read_boot_file(const std::string& path, uint64_t max_bytes) {
  const uint64_t size = boot_file_size(path);
  if (size > max_bytes)
    load_fail(path, "file is " + std::to_string(size) + " bytes, more than the " +
                        std::to_string(max_bytes) + " bytes of RAM it could go to");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) load_fail(path, std::string("cannot open: ") + std::strerror(errno));
  // Read to the end, not just st_size bytes: files in /proc say 0 and have
  // more. One byte past the limit is enough to know the file is too large.
  std::vector<uint8_t> bytes(size);
  uint64_t got = 0;
  int err = 0;
  for (;;) {
    if (got == bytes.size()) {
      if (got > max_bytes) break;
      bytes.resize(std::min<uint64_t>(max_bytes, got + 65536) + 1);
    }
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n <= 0) break;
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  if (err) load_fail(path, std::string("read error: ") + std::strerror(err));
  if (got > max_bytes)
    load_fail(path, "file is more than the " + std::to_string(max_bytes) +
                        " bytes of RAM it could go to");
  bytes.resize(got);
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
    // ram.data() + offset, not &ram[offset]: an empty segment may end at the end of RAM.
    if (s.filesz) std::memcpy(ram.data() + s.paddr, kernel.data() + s.file_offset, s.filesz);
    std::memset(ram.data() + s.paddr + s.filesz, 0, s.memsz - s.filesz);
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
    if (!m.bytes.empty()) std::memcpy(ram.data() + next, m.bytes.data(), m.bytes.size());
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
  // Sizes first (stat), so a file that cannot fit is refused before it is read.
  // Modules go on their own pages above 1 MiB: together they cannot exceed
  // the RAM between 1 MiB and 4 GiB. A kernel file may hold more than it
  // loads (symbols), but never more than a 4 GiB ELF32/a.out image.
  const uint64_t room = mem.below_4g > kHighMemStart ? mem.below_4g - kHighMemStart : 0;
  uint64_t modules_bytes = 0;
  for (const auto& m : modules) {
    const uint64_t size = boot_file_size(m.path);
    modules_bytes += page_align(size);
    if (modules_bytes > room)
      load_fail(m.path, "module of " + std::to_string(size) + " bytes does not fit: the modules " +
                            "need " + std::to_string(modules_bytes) +
                            " bytes, RAM above 1 MiB has " + std::to_string(room));
  }
  const std::vector<uint8_t> kernel = read_boot_file(kernel_path, kMaxKernelFileBytes);
  std::vector<BootModule> mods;
  for (const auto& m : modules) mods.push_back({m.path, m.args, read_boot_file(m.path, room)});
  return load_multiboot(ram, mem, kernel_path, kernel, cmdline, mods);
}

}  // namespace hvsim::platform
