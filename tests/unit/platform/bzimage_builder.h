// A synthetic bzImage for loader tests: a boot sector and setup sectors
// holding the setup header of Documentation/x86/boot.rst, then a
// "protected-mode kernel" of recognisable bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace hvsim::platform::test {

struct BzImageSpec {
  uint16_t version = 0x020f;
  uint8_t setup_sects = 4;
  uint8_t loadflags = 0x01;          // LOADED_HIGH
  uint32_t initrd_addr_max = 0x7fffffff;
  uint32_t cmdline_size = 0x7ff;
  uint64_t pref_address = 0x1000000;  // 16 MiB
  uint32_t init_size = 0x400000;      // 4 MiB
  size_t payload = 8192;              // protected-mode bytes
};

inline std::vector<uint8_t> build_bzimage(const BzImageSpec& s = {}) {
  const size_t setup = (size_t(s.setup_sects ? s.setup_sects : 4) + 1) * 512;
  std::vector<uint8_t> f(setup + s.payload, 0);
  auto put = [&f](size_t off, auto v) { std::memcpy(&f[off], &v, sizeof v); };
  put(0x1f1, s.setup_sects);
  put(0x1fe, uint16_t(0xaa55));
  put(0x200, uint8_t(0xeb));  // jmp short over the header
  put(0x201, uint8_t(0x6a));  // header ends at 0x26c
  std::memcpy(&f[0x202], "HdrS", 4);
  put(0x206, s.version);
  put(0x211, s.loadflags);
  put(0x214, uint32_t(0x100000));
  put(0x22c, s.initrd_addr_max);
  put(0x230, uint32_t(0x200000));
  put(0x234, uint8_t(1));
  put(0x236, uint16_t(0x7f));
  put(0x238, s.cmdline_size);
  put(0x258, s.pref_address);
  put(0x260, s.init_size);
  for (size_t i = 0; i < s.payload; ++i) f[setup + i] = uint8_t(i * 7 + 1);
  return f;
}

}  // namespace hvsim::platform::test
