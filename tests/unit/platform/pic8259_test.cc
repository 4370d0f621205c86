// 8259A initialization and OCW1 mask read-back (8259A datasheet).
#include "sim/platform/devices/pic8259.h"

#include <gtest/gtest.h>

namespace hvsim::platform {
namespace {

// The sequence Linux and SeaBIOS use for the master: ICW1 0x11 (edge,
// cascade, ICW4 needed), ICW2 vector base, ICW3 slave on IR2, ICW4 8086 mode.
void init(RegisterDevice& pic, uint8_t base, uint8_t icw3) {
  pic.write(0, 0x11, 1);
  pic.write(1, base, 1);
  pic.write(1, icw3, 1);
  pic.write(1, 0x01, 1);
}

TEST(Pic8259, MaskReadsBackAfterInit) {
  Pic8259 pic;
  RegisterDevice& dev = pic;
  init(dev, 0x20, 0x04);
  EXPECT_TRUE(pic.initialized());
  EXPECT_EQ(pic.vector_base(), 0x20);
  EXPECT_EQ(dev.read(1, 1), 0x00u) << "ICW1 clears the IMR";
  dev.write(1, 0xfb, 1);  // OCW1: everything but the cascade
  EXPECT_EQ(dev.read(1, 1), 0xfbu);
}

TEST(Pic8259, InitWordsAreNotTakenAsMask) {
  Pic8259 pic;
  RegisterDevice& dev = pic;
  dev.write(1, 0xff, 1);
  init(dev, 0x28, 0x02);
  EXPECT_EQ(dev.read(1, 1), 0x00u);
  EXPECT_EQ(pic.vector_base(), 0x28);
}

TEST(Pic8259, SingleModeWithoutIcw4) {
  Pic8259 pic;
  RegisterDevice& dev = pic;
  dev.write(0, 0x12, 1);  // single, no ICW4
  dev.write(1, 0x40, 1);  // ICW2
  EXPECT_TRUE(pic.initialized());
  dev.write(1, 0x3c, 1);
  EXPECT_EQ(dev.read(1, 1), 0x3cu);
}

TEST(Pic8259, Ocw2AndOcw3AreAcceptedAndCommandPortReadsZero) {
  Pic8259 pic;
  RegisterDevice& dev = pic;
  init(dev, 0x20, 0x04);
  dev.write(1, 0xff, 1);
  dev.write(0, 0x20, 1);  // OCW2: non-specific EOI
  dev.write(0, 0x0b, 1);  // OCW3: read ISR
  EXPECT_EQ(dev.read(0, 1), 0x00u);
  dev.write(0, 0x0a, 1);  // OCW3: read IRR
  EXPECT_EQ(dev.read(0, 1), 0x00u);
  EXPECT_EQ(dev.read(1, 1), 0xffu) << "OCW2/OCW3 leave the mask alone";
}

}  // namespace
}  // namespace hvsim::platform
