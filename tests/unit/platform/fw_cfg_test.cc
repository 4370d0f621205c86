// fw_cfg traditional interface (QEMU docs/specs/fw_cfg.rst).
#include "sim/platform/devices/fw_cfg.h"

#include <gtest/gtest.h>

#include <vector>

namespace hvsim::platform {
namespace {

std::vector<uint8_t> read_item(FwCfg& dev, uint16_t key, size_t n) {
  dev.write(0, key, 2);
  std::vector<uint8_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(uint8_t(dev.read(1, 1)));
  return out;
}

TEST(FwCfg, Signature) {
  FwCfg dev(128ull << 20, 1);
  EXPECT_EQ(read_item(dev, 0x0000, 5), (std::vector<uint8_t>{'Q', 'E', 'M', 'U', 0}));
}

TEST(FwCfg, RamSizeIsUint64LittleEndian) {
  FwCfg dev(0x123456789aull, 1);
  EXPECT_EQ(read_item(dev, 0x0003, 8),
            (std::vector<uint8_t>{0x9a, 0x78, 0x56, 0x34, 0x12, 0, 0, 0}));
}

TEST(FwCfg, NbCpusIsUint16) {
  FwCfg dev(128ull << 20, 1);
  EXPECT_EQ(read_item(dev, 0x0005, 3), (std::vector<uint8_t>{1, 0, 0}));
}

TEST(FwCfg, UnknownKeyReadsZero) {
  FwCfg dev(128ull << 20, 1);
  EXPECT_EQ(read_item(dev, 0x0019, 4), (std::vector<uint8_t>(4, 0)));
  EXPECT_EQ(read_item(dev, 0x4000, 2), (std::vector<uint8_t>(2, 0)));
}

TEST(FwCfg, SelectorWriteRestartsTheItem) {
  FwCfg dev(128ull << 20, 1);
  read_item(dev, 0x0000, 2);
  EXPECT_EQ(read_item(dev, 0x0000, 1), (std::vector<uint8_t>{'Q'}));
}

}  // namespace
}  // namespace hvsim::platform
