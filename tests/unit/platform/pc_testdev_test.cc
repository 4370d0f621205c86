// QEMU's pc-testdev as kvm-unit-tests uses it (sim/platform/devices/pc_testdev.h).
#include "sim/platform/devices/pc_testdev.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace hvsim::platform {
namespace {

TEST(PcTestdev, ScratchRegisterByOffsetAndWidth) {
  PcTestdevPorts d;
  d.write(0, 0x11223344, 4);
  EXPECT_EQ(d.read(0, 4), 0x11223344u);
  EXPECT_EQ(d.read(1, 1), 0x33u) << "byte 1";
  EXPECT_EQ(d.read(2, 2), 0x1122u) << "bytes 2-3";
  d.write(1, 0xab, 1);
  EXPECT_EQ(d.data, 0x1122ab44u);
  d.write(2, 0xcdef, 2);
  EXPECT_EQ(d.data, 0xcdefab44u);
  // 0xe8-0xeb reach the same register
  EXPECT_EQ(d.read(8, 4), 0xcdefab44u);
  d.write(11, 0x77, 1);
  EXPECT_EQ(d.read(0, 4), 0x77efab44u);
  EXPECT_EQ(d.read(3, 4), 0x77u) << "an access past byte 3 is clipped";
}

TEST(PcTestdev, FlushPortIsCountedAndReadsZero) {
  PcTestdevPorts d;
  d.write(0, 5, 4);
  d.write(4, 0x123000, 4);
  EXPECT_EQ(d.flushes, 1u);
  EXPECT_EQ(d.read(4, 4), 0u);
  EXPECT_EQ(d.data, 5u) << "the scratch register is not touched";
}

TEST(PcTestdev, IrqLinesSetTheLevelOfIsaIrqN) {
  std::vector<std::pair<unsigned, bool>> seen;
  PcTestdevIrq irq([&](unsigned n, bool level) { seen.emplace_back(n, level); });
  irq.write(14, 1, 1);
  irq.write(14, 0, 1);
  irq.write(3, 0x80, 1);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(14u, true));
  EXPECT_EQ(seen[1], std::make_pair(14u, false));
  EXPECT_EQ(seen[2], std::make_pair(3u, true)) << "any non-zero value asserts";
  EXPECT_EQ(irq.read(14, 1), 0u);
}

}  // namespace
}  // namespace hvsim::platform
