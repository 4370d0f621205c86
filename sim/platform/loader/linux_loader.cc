#include "sim/platform/loader/linux_loader.h"

#include <algorithm>
#include <cstring>

#include "sim/platform/loader/linux_boot_params.h"
#include "sim/platform/loader/load_error.h"

namespace hvsim::platform {

namespace lb = linux_boot;

namespace {

uint8_t get8(std::span<const uint8_t> f, uint32_t off) { return f[off]; }
uint16_t get16(std::span<const uint8_t> f, uint32_t off) {
  uint16_t v;
  std::memcpy(&v, &f[off], 2);
  return v;
}
uint32_t get32(std::span<const uint8_t> f, uint32_t off) {
  uint32_t v;
  std::memcpy(&v, &f[off], 4);
  return v;
}
uint64_t get64(std::span<const uint8_t> f, uint32_t off) {
  uint64_t v;
  std::memcpy(&v, &f[off], 8);
  return v;
}
template <typename T>
void put(std::span<uint8_t> ram, uint64_t addr, T v) {
  std::memcpy(ram.data() + addr, &v, sizeof v);
}

std::string version_text(uint16_t v) {
  return std::to_string(v >> 8) + "." + std::to_string(v & 0xff);
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

constexpr uint64_t kPage = 4096;

struct E820 {
  uint64_t addr, size;
  uint32_t type;
};

// The e820 map: what SeaBIOS reports under QEMU's pc machine, with the BIOS
// area reserved from 0xE0000, where the ACPI tables are (firmware/acpi.h).
std::vector<E820> e820_map(const PcMemory& mem) {
  std::vector<E820> m = {
      {0, kEbdaStart, lb::kE820Ram},
      {kEbdaStart, 0xa0000 - kEbdaStart, lb::kE820Reserved},
      {0xe0000, kHighMemStart - 0xe0000, lb::kE820Reserved},
      {kHighMemStart, mem.below_4g - kHighMemStart, lb::kE820Ram},
  };
  if (mem.above_4g) m.push_back({kAbove4gStart, mem.above_4g, lb::kE820Ram});
  return m;
}

// The GDT of the 32-bit boot protocol: flat 4 GiB code at 0x10 and data at
// 0x18 (boot.rst "32-bit Boot Protocol"); entries 0 and 1 are null.
void write_boot_gdt(std::span<uint8_t> ram) {
  put<uint64_t>(ram, LinuxLayout::kGdt + 0x00, 0);
  put<uint64_t>(ram, LinuxLayout::kGdt + 0x08, 0);
  put<uint64_t>(ram, LinuxLayout::kGdt + 0x10, 0x00cf9b000000ffffull);  // execute/read, G, D
  put<uint64_t>(ram, LinuxLayout::kGdt + 0x18, 0x00cf93000000ffffull);  // read/write, G, B
}

// The BIOS data area words SeaBIOS sets that the kernel reads
// (arch/x86/kernel/ebda.c): conventional memory in KiB and the EBDA segment.
void write_bios_data_area(std::span<uint8_t> ram) {
  put<uint16_t>(ram, 0x413, uint16_t(kEbdaStart / 1024));
  put<uint16_t>(ram, 0x40e, uint16_t(kEbdaStart >> 4));
}

}  // namespace

bool is_linux_bzimage(std::span<const uint8_t> file) {
  return file.size() >= 0x206 && get32(file, lb::kHeaderMagic) == lb::kHdrS &&
         get16(file, lb::kBootFlag) == lb::kBootFlagValue;
}

LinuxSetupHeader parse_setup_header(const std::string& path, std::span<const uint8_t> file) {
  if (!is_linux_bzimage(file)) load_fail(path, "not a Linux bzImage (no \"HdrS\" setup header)");
  LinuxSetupHeader h;
  h.version = get16(file, lb::kVersion);
  if ((h.version >> 8) != 2 || h.version < LinuxLayout::kMinVersion)
    load_fail(path, "unsupported Linux boot protocol version " + version_text(h.version) +
                        " (hvsim needs 2.06 or later)");
  const unsigned sects = get8(file, lb::kSetupSects);
  h.setup_bytes = ((sects ? sects : 4) + 1) * 512;
  h.header_end = 0x202 + get8(file, lb::kJumpEnd);
  if (file.size() <= h.setup_bytes || file.size() < lb::kInitSize + 4 || h.header_end > h.setup_bytes)
    load_fail(path, "truncated bzImage: " + std::to_string(file.size()) + " bytes");
  h.loadflags = get8(file, lb::kLoadFlags);
  if (!(h.loadflags & lb::kLoadedHigh))
    load_fail(path, "zImage (loaded below 1 MiB) is not supported: rebuild as a bzImage");
  h.initrd_addr_max = get32(file, lb::kInitrdAddrMax);
  h.cmdline_size = get32(file, lb::kCmdlineSize);
  if (h.version >= 0x020a) {
    h.pref_address = get64(file, lb::kPrefAddress);
    h.init_size = get32(file, lb::kInitSize);
  }
  if (h.version >= 0x020c) h.xloadflags = get16(file, lb::kXLoadFlags);
  return h;
}

BootInfo load_linux(std::span<uint8_t> ram, const PcMemory& mem, const std::string& kernel_path,
                    std::span<const uint8_t> kernel, const std::string& initrd_path,
                    std::span<const uint8_t> initrd, const std::string& cmdline,
                    uint64_t rsdp_addr) {
  const LinuxSetupHeader h = parse_setup_header(kernel_path, kernel);
  const uint64_t pm_size = kernel.size() - h.setup_bytes;

  // The kernel decompresses itself at its preferred address (or where it
  // was loaded) and needs init_size bytes from there (boot.rst, init_size).
  const uint64_t run_start = std::max<uint64_t>(h.pref_address, LinuxLayout::kKernel);
  const uint64_t run_end = std::max(run_start + h.init_size, LinuxLayout::kKernel + pm_size);
  if (run_end > mem.below_4g)
    load_fail(kernel_path, "kernel needs RAM up to " + hex(run_end) + " (" + mib(run_end) +
                               "), RAM below 4 GiB is " + mib(mem.below_4g) +
                               ": raise memory.size_mib");
  if (cmdline.size() > h.cmdline_size || cmdline.size() >= 4096)
    load_fail(kernel_path, "command line of " + std::to_string(cmdline.size()) +
                               " bytes is longer than the kernel's " +
                               std::to_string(h.cmdline_size));

  // The initrd as high as the kernel allows, page aligned (QEMU's choice),
  // and above everything the decompressed kernel occupies.
  uint64_t initrd_addr = 0;
  if (!initrd_path.empty()) {
    const uint64_t top = std::min<uint64_t>(uint64_t(h.initrd_addr_max) + 1, mem.below_4g);
    const uint64_t size = initrd.size();
    if (size > top || ((top - size) & ~(kPage - 1)) < run_end)
      load_fail(initrd_path, "initrd of " + std::to_string(size) +
                                 " bytes does not fit in RAM: it must lie in [" + hex(run_end) +
                                 ", " + hex(top) + "), above the kernel: raise memory.size_mib");
    initrd_addr = (top - size) & ~(kPage - 1);
    if (size) std::memcpy(ram.data() + initrd_addr, initrd.data(), size);
  }

  std::memcpy(ram.data() + LinuxLayout::kKernel, kernel.data() + h.setup_bytes, pm_size);
  std::memcpy(ram.data() + LinuxLayout::kCmdline, cmdline.c_str(), cmdline.size() + 1);
  write_boot_gdt(ram);
  write_bios_data_area(ram);

  // The zero page: zeroed, then the setup header as the file has it
  // (boot.rst: "the setup header is copied ... into boot_params.hdr").
  std::span<uint8_t> zp = ram.subspan(LinuxLayout::kZeroPage, lb::kZeroPageSize);
  std::fill(zp.begin(), zp.end(), 0);
  std::memcpy(&zp[lb::kSetupSects], &kernel[lb::kSetupSects], h.header_end - lb::kSetupSects);
  const uint64_t zpa = LinuxLayout::kZeroPage;
  put<uint8_t>(ram, zpa + lb::kTypeOfLoader, 0xff);  // boot.rst: 0xFF = undefined
  put<uint32_t>(ram, zpa + lb::kCode32Start, LinuxLayout::kKernel);
  put<uint32_t>(ram, zpa + lb::kCmdLinePtr, LinuxLayout::kCmdline);
  put<uint32_t>(ram, zpa + lb::kRamdiskImage, uint32_t(initrd_addr));
  put<uint32_t>(ram, zpa + lb::kRamdiskSize, uint32_t(initrd.size()));
  if (h.version >= 0x020e) put<uint64_t>(ram, zpa + lb::kAcpiRsdpAddr, rsdp_addr);
  const auto map = e820_map(mem);
  put<uint8_t>(ram, zpa + lb::kE820Entries, uint8_t(map.size()));
  for (size_t i = 0; i < map.size(); ++i) {
    const uint64_t e = zpa + lb::kE820Table + i * lb::kE820EntrySize;
    put<uint64_t>(ram, e, map[i].addr);
    put<uint64_t>(ram, e + 8, map[i].size);
    put<uint32_t>(ram, e + 16, map[i].type);
  }

  BootInfo info;
  info.protocol = BootProtocol::kLinux32;
  info.entry = LinuxLayout::kKernel;
  info.boot_params = LinuxLayout::kZeroPage;
  info.gdt_base = LinuxLayout::kGdt;
  info.gdt_limit = 0x1f;
  info.kernel_start = LinuxLayout::kKernel;
  info.kernel_end = LinuxLayout::kKernel + pm_size;
  if (!initrd_path.empty()) info.modules.push_back({initrd_addr, initrd_addr + initrd.size()});
  return info;
}

}  // namespace hvsim::platform
