// load_kernel_files (loader.h): which boot protocol a kernel file asks for.
#include <fstream>

#include "sim/platform/firmware/acpi.h"
#include "sim/platform/loader/linux_loader.h"
#include "sim/platform/loader/load_error.h"
#include "sim/platform/loader/loader.h"

namespace hvsim::platform {

namespace {

// The first bytes of a file (fewer if it is shorter): enough for the setup header.
std::vector<uint8_t> file_head(const std::string& path, size_t n) {
  boot_file_size(path);  // the usual one-line errors for a missing file or a directory
  std::vector<uint8_t> head(n);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(head.data()), std::streamsize(n));
  head.resize(size_t(in.gcount()));
  return head;
}

}  // namespace

BootInfo load_kernel_files(std::span<uint8_t> ram, const PcMemory& mem, const RunSpec& spec,
                           unsigned cpus) {
  if (!is_linux_bzimage(file_head(spec.kernel, 1024))) {
    if (!spec.initrd.empty())
      load_fail(spec.kernel, "--initrd needs a Linux bzImage; this is a multiboot kernel (use "
                             "--module)");
    return load_multiboot_files(ram, mem, spec.kernel, spec.cmdline, spec.modules);
  }
  if (!spec.modules.empty())
    load_fail(spec.kernel, "a Linux bzImage takes --initrd, not --module");
  const std::vector<uint8_t> kernel = read_boot_file(spec.kernel, kMaxKernelFileBytes);
  parse_setup_header(spec.kernel, kernel);  // version errors before the initrd is read
  std::vector<uint8_t> initrd;
  if (!spec.initrd.empty()) {
    const uint64_t size = boot_file_size(spec.initrd);
    if (size > mem.below_4g)
      load_fail(spec.initrd, "initrd of " + std::to_string(size) +
                                 " bytes does not fit in RAM below 4 GiB (" +
                                 std::to_string(mem.below_4g) + " bytes): raise memory.size_mib");
    initrd = read_boot_file(spec.initrd, mem.below_4g);
  }
  const uint64_t rsdp = firmware::build_acpi_tables(ram, cpus);
  return load_linux(ram, mem, spec.kernel, kernel, spec.initrd, initrd, spec.cmdline, rsdp);
}

}  // namespace hvsim::platform
