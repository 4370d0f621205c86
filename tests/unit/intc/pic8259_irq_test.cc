// 8259A interrupt handling (8259A datasheet): priority, masking, EOI,
// rotation, auto-EOI, cascade, spurious IR7, poll, level mode.
#include "sim/platform/devices/pic8259.h"

#include <gtest/gtest.h>

namespace hvsim::platform {
namespace {

struct Pair : ::testing::Test {
  Pic8259 master, slave;
  RegisterDevice& m = master;
  RegisterDevice& s = slave;
  int outputs = 0;
  void SetUp() override {
    master.attach_slave(slave);
    master.set_output([this](bool) { ++outputs; });
    init(m, 0x11, 0x20, 0x04, 0x01);
    init(s, 0x11, 0x28, 0x02, 0x01);
  }
  static void init(RegisterDevice& d, uint8_t icw1, uint8_t base, uint8_t icw3, uint8_t icw4) {
    d.write(0, icw1, 1);
    d.write(1, base, 1);
    d.write(1, icw3, 1);
    d.write(1, icw4, 1);
  }
};

TEST_F(Pair, FixedPriorityAndNesting) {
  master.set_irq(3, true);
  master.set_irq(1, true);
  EXPECT_TRUE(master.int_output());
  EXPECT_EQ(master.peek_vector(), 0x21);
  EXPECT_EQ(master.inta(), 0x21);
  EXPECT_EQ(master.isr(), 0x02);
  EXPECT_FALSE(master.int_output()) << "IR3 is below IR1 in service";
  master.set_irq(0, true);
  EXPECT_TRUE(master.int_output()) << "IR0 is above";
  EXPECT_EQ(master.inta(), 0x20);
  m.write(0, 0x20, 1);  // non-specific EOI: IR0
  EXPECT_EQ(master.isr(), 0x02);
  EXPECT_FALSE(master.int_output());
  m.write(0, 0x20, 1);  // IR1
  EXPECT_EQ(master.inta(), 0x23);
  m.write(0, 0x63, 1);  // specific EOI IR3
  EXPECT_EQ(master.isr(), 0);
  EXPECT_GT(outputs, 0);
}

TEST_F(Pair, MaskHoldsRequest) {
  m.write(1, 0x02, 1);
  master.set_irq(1, true);
  EXPECT_FALSE(master.int_output());
  EXPECT_EQ(master.irr(), 0x02);
  m.write(0, 0x0a, 1);
  EXPECT_EQ(m.read(0, 1), 0x02u) << "IRR read";
  m.write(1, 0x00, 1);
  EXPECT_TRUE(master.int_output());
  EXPECT_EQ(master.inta(), 0x21);
  m.write(0, 0x0b, 1);
  EXPECT_EQ(m.read(0, 1), 0x02u) << "ISR read";
}

TEST_F(Pair, EdgeNeedsANewRisingEdge) {
  master.set_irq(4, true);
  EXPECT_EQ(master.inta(), 0x24);
  m.write(0, 0x20, 1);
  master.set_irq(4, true);
  EXPECT_FALSE(master.int_output()) << "still high: no new edge";
  master.set_irq(4, false);
  master.set_irq(4, true);
  EXPECT_TRUE(master.int_output());
}

TEST_F(Pair, CascadeThroughIr2) {
  slave.set_irq(0, true);  // IRQ 8
  EXPECT_TRUE(slave.int_output());
  EXPECT_TRUE(master.int_output());
  EXPECT_EQ(master.peek_vector(), 0x28);
  EXPECT_EQ(master.inta(), 0x28);
  EXPECT_EQ(master.isr(), 0x04);
  EXPECT_EQ(slave.isr(), 0x01);
  slave.set_irq(4, true);  // IRQ 12: lower than IRQ 8 in service on the slave
  EXPECT_FALSE(master.int_output());
  s.write(0, 0x20, 1);
  m.write(0, 0x20, 1);
  EXPECT_TRUE(master.int_output());
  EXPECT_EQ(master.inta(), 0x2c);
  master.set_irq(1, true);
  EXPECT_TRUE(master.int_output()) << "IR1 beats the cascade IR2 in service";
}

TEST_F(Pair, SpuriousIr7) {
  EXPECT_EQ(master.inta(), 0x27);
  EXPECT_EQ(master.isr(), 0);
  EXPECT_EQ(master.spurious, 1u);
}

TEST_F(Pair, RotationAndSetPriority) {
  m.write(0, 0xc3, 1);  // set priority: IR3 lowest, so IR4 highest
  master.set_irq(1, true);
  master.set_irq(5, true);
  EXPECT_EQ(master.inta(), 0x25);
  m.write(0, 0xa0, 1);  // rotate on non-specific EOI: IR5 becomes lowest
  EXPECT_EQ(master.inta(), 0x21);
  master.set_irq(5, false);
  master.set_irq(5, true);
  m.write(0, 0x20, 1);
  EXPECT_EQ(master.inta(), 0x25) << "IR5 has the lowest priority now, but is alone";
}

TEST_F(Pair, AutoEoiAndPoll) {
  init(m, 0x11, 0x20, 0x04, 0x03);  // AEOI
  master.set_irq(6, true);
  EXPECT_EQ(master.inta(), 0x26);
  EXPECT_EQ(master.isr(), 0);
  master.set_irq(3, true);
  m.write(0, 0x0c, 1);  // poll
  EXPECT_EQ(m.read(0, 1), 0x83u);
  m.write(0, 0x0c, 1);
  EXPECT_EQ(m.read(0, 1), 0x00u);
}

TEST_F(Pair, LevelModeFollowsTheLine) {
  init(m, 0x19, 0x20, 0x04, 0x01);  // LTIM
  master.set_irq(5, true);
  EXPECT_TRUE(master.int_output());
  master.set_irq(5, false);
  EXPECT_FALSE(master.int_output()) << "level removed before INTA";
  master.set_irq(5, true);
  EXPECT_EQ(master.inta(), 0x25);
  m.write(0, 0x20, 1);
  EXPECT_TRUE(master.int_output()) << "still asserted after EOI";
}

}  // namespace
}  // namespace hvsim::platform
