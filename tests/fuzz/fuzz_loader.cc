// Fuzz target (a): the multiboot loader on random kernel files (ELF32,
// ELF64, the a.out kludge), with an empty and a small module. Checks: only
// LoadError escapes, with one line naming the file; what loads lies in RAM
// (ASan: the RAM buffer has poisoned guard zones on both sides).
#include <cstring>
#include <span>

#include "sim/platform/loader/loader.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/unit/platform/elf_builder.h"

namespace {

using namespace hvsim::platform;
using hvsim::fuzz::fail;

constexpr uint64_t kRam = 8 << 20;

void write_seeds(const std::string& dir) {
  using namespace hvsim::platform::test;
  ElfSpec s;
  s.segments = {{0x100000, 0x100000, {0xf4, 0xeb, 0xfd}, 16}};
  hvsim::fuzz::write_seed(dir, "elf32", build_elf(s));
  s.elf64 = true;
  s.segments.push_back({0x102000, 0x102000, {1, 2, 3}, 0x1000});
  hvsim::fuzz::write_seed(dir, "elf64-two-segments", build_elf(s));
  hvsim::fuzz::write_seed(dir, "aout-kludge", build_aout(0x100000, 0x200, 0x100));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hvsim::fuzz::maybe_write_seeds(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hvsim::fuzz::GuardedBuffer ram(kRam);
  const PcMemory mem = pc_memory(kRam);
  const std::vector<BootModule> mods = {{"empty.bin", "", {}}, {"mod.bin", "a=1", {1, 2, 3}}};
  try {
    const BootInfo b = load_multiboot(std::span<uint8_t>(ram.data(), ram.size()), mem, "fuzz.elf",
                                      std::span<const uint8_t>(data, size), "console=ttyS0", mods);
    if (b.kernel_start > b.kernel_end || b.kernel_end > kRam) fail("kernel outside RAM");
    if (b.mbi_addr < b.kernel_end || b.mbi_addr >= kRam) fail("boot information misplaced");
    if (b.modules.size() != mods.size()) fail("module count");
    for (size_t i = 0; i < b.modules.size(); ++i) {
      const auto& m = b.modules[i];
      if (m.start > m.end || m.end > kRam || m.end - m.start != mods[i].bytes.size())
        fail("module outside RAM");
      if (m.start % 4096 || m.start < b.mbi_addr) fail("module not page aligned after the info");
    }
  } catch (const LoadError& e) {
    const std::string what = e.what();
    if (what.rfind("fuzz.elf: ", 0) != 0 || what.find('\n') != std::string::npos)
      fail("load error does not name the file in one line: " + what);
  }
  return 0;
}
