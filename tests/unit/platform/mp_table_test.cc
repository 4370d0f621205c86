// The MP specification 1.4 tables (sim/platform/firmware/mp_table.h): the
// floating pointer and configuration table checksums, one processor entry
// per CPU with the BSP flag on CPU 0 only, the I/O APIC and interrupt
// assignments.
#include "sim/platform/firmware/mp_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace hvsim::platform {
namespace {

uint8_t sum(const uint8_t* p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = uint8_t(s + p[i]);
  return s;
}
uint16_t u16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t u32(const uint8_t* p) { return uint32_t(u16(p) | u16(p + 2) << 16); }

TEST(MpTable, FloatingPointerAndConfigurationTable) {
  std::vector<uint8_t> ram(1 << 20);
  MpTableParams p;
  p.cpus = 4;
  p.cpu_signature = 0x906ea;
  p.ioapic_id = 4;
  const size_t n = write_mp_table(ram, p);
  const uint8_t* f = ram.data() + kMpFloating;
  ASSERT_EQ(std::memcmp(f, "_MP_", 4), 0);
  EXPECT_EQ(sum(f, 16), 0);
  EXPECT_EQ(f[8], 1);  // one paragraph
  EXPECT_EQ(f[9], 4);  // spec 1.4
  EXPECT_EQ(f[11], 0);  // a configuration table follows
  const uint8_t* c = ram.data() + u32(f + 4);
  ASSERT_EQ(std::memcmp(c, "PCMP", 4), 0);
  const uint16_t len = u16(c + 4);
  EXPECT_EQ(16u + len, n);
  EXPECT_EQ(sum(c, len), 0);
  EXPECT_EQ(u32(c + 36), 0xfee00000u);
  // Walk the entries by type: processors 20 bytes, the others 8.
  const uint8_t* e = c + 44;
  unsigned cpus = 0, bsps = 0, ioapics = 0, io_intr = 0, local_intr = 0, count = 0;
  while (e < c + len) {
    ++count;
    switch (e[0]) {
      case 0:
        EXPECT_EQ(e[1], cpus);  // APIC ID = index
        EXPECT_TRUE(e[3] & 1);
        bsps += (e[3] & 2) != 0;
        EXPECT_EQ(u32(e + 4), 0x906eau);
        ++cpus;
        e += 20;
        continue;
      case 2:
        ++ioapics;
        EXPECT_EQ(e[1], 4);
        EXPECT_EQ(u32(e + 4), 0xfec00000u);
        break;
      case 3:
        if (e[1] == 0 && e[5] == 0) {
          EXPECT_EQ(e[7], 2);  // ISA IRQ 0 -> INTIN2
        }
        ++io_intr;
        break;
      case 4: ++local_intr; break;
      default: break;
    }
    e += 8;
  }
  EXPECT_EQ(count, u16(c + 34));
  EXPECT_EQ(cpus, 4u);
  EXPECT_EQ(bsps, 1u);
  EXPECT_EQ(ioapics, 1u);
  EXPECT_EQ(io_intr, 16u);  // ExtINT on INTIN0, IRQs 0-15 but the cascade
  EXPECT_EQ(local_intr, 2u);
}

TEST(MpTable, TooSmallMemoryIsAnError) {
  std::vector<uint8_t> ram(kMpFloating + 8);
  EXPECT_THROW(write_mp_table(ram, MpTableParams{}), std::length_error);
}

}  // namespace
}  // namespace hvsim::platform
