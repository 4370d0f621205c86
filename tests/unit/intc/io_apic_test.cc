// I/O APIC (82093AA datasheet): indirect registers, redirection entries,
// edge and level inputs, Remote IRR and the EOI broadcast.
#include "sim/platform/intc/io_apic.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/platform/intc/local_apic.h"
#include "tests/unit/intc/fake_timer_host.h"

namespace hvsim::platform::intc {
namespace {

struct RecordingBus : ApicBus {
  std::vector<ApicMessage> msgs;
  bool deliver(const ApicMessage& m) override {
    msgs.push_back(m);
    return true;
  }
};

struct IoApicTest : ::testing::Test {
  RecordingBus bus;
  IoApic io{bus};
  uint32_t reg(uint8_t i) {
    io.write(IoApic::kRegSel, i, 4);
    return io.read(IoApic::kWindow, 4);
  }
  void set(uint8_t i, uint32_t v) {
    io.write(IoApic::kRegSel, i, 4);
    io.write(IoApic::kWindow, v, 4);
  }
  void program(unsigned pin, uint32_t lo, uint32_t hi = 0) {
    set(uint8_t(0x11 + 2 * pin), hi);
    set(uint8_t(0x10 + 2 * pin), lo);
  }
};

TEST_F(IoApicTest, IdVersionAndResetEntries) {
  EXPECT_EQ(reg(0x01), 0x00170011u) << "24 entries (max 0x17), version 0x11";
  EXPECT_EQ(reg(0x00), 0u);
  set(0x00, 0x0a000000);
  EXPECT_EQ(reg(0x00), 0x0a000000u);
  EXPECT_EQ(reg(0x02), 0x0a000000u);
  set(0x01, 0);
  EXPECT_EQ(reg(0x01), 0x00170011u) << "version is read-only";
  for (unsigned pin = 0; pin < IoApic::kPins; ++pin) {
    EXPECT_EQ(reg(uint8_t(0x10 + 2 * pin)), 0x10000u) << "masked after reset";
    EXPECT_EQ(reg(uint8_t(0x11 + 2 * pin)), 0u);
  }
  io.write(IoApic::kRegSel, 0x12, 4);
  EXPECT_EQ(io.read(IoApic::kRegSel, 4), 0x12u);
}

TEST_F(IoApicTest, EntryFieldsAndReadOnlyBits) {
  program(3, 0xffffffff, 0xffffffff);
  EXPECT_EQ(reg(0x16), 0x1afffu) << "delivery status and Remote IRR are read-only";
  EXPECT_EQ(reg(0x17), 0xff000000u);
}

TEST_F(IoApicTest, EdgeDeliversOncePerAssertion) {
  program(1, 0x31, 0x00000000);  // fixed, physical dest 0, edge, high, unmasked
  io.set_pin(1, true);
  ASSERT_EQ(bus.msgs.size(), 1u);
  EXPECT_EQ(bus.msgs[0].vector, 0x31);
  EXPECT_EQ(bus.msgs[0].mode, DeliveryMode::kFixed);
  EXPECT_FALSE(bus.msgs[0].level);
  EXPECT_EQ(bus.msgs[0].dest, 0u);
  io.set_pin(1, true);
  EXPECT_EQ(bus.msgs.size(), 1u) << "held high: no new edge";
  io.set_pin(1, false);
  io.set_pin(1, true);
  EXPECT_EQ(bus.msgs.size(), 2u);
}

TEST_F(IoApicTest, MaskedEdgeIsLost) {
  program(4, 0x10034);
  io.set_pin(4, true);
  io.set_pin(4, false);
  program(4, 0x34);
  EXPECT_TRUE(bus.msgs.empty());
  EXPECT_EQ(io.masked_edges, 1u);
}

TEST_F(IoApicTest, LevelRemoteIrrAndEoi) {
  program(9, 0xa039, 0x01000000);  // level, active low, dest 1
  io.set_pin(9, true);
  ASSERT_EQ(bus.msgs.size(), 1u);
  EXPECT_TRUE(bus.msgs[0].level);
  EXPECT_EQ(bus.msgs[0].dest, 1u);
  EXPECT_TRUE(io.remote_irr(9));
  EXPECT_EQ(reg(0x22) & 0x4000, 0x4000u);
  io.set_pin(9, true);
  EXPECT_EQ(bus.msgs.size(), 1u) << "Remote IRR holds further deliveries";
  io.eoi(0x38);
  EXPECT_TRUE(io.remote_irr(9)) << "another vector's EOI";
  io.eoi(0x39);
  EXPECT_EQ(bus.msgs.size(), 2u) << "still asserted after EOI: delivered again";
  EXPECT_TRUE(io.remote_irr(9));
  io.set_pin(9, false);
  io.eoi(0x39);
  EXPECT_FALSE(io.remote_irr(9));
  EXPECT_EQ(bus.msgs.size(), 2u);
}

TEST_F(IoApicTest, UnmaskingAnAssertedLevelDelivers) {
  program(10, 0x1803a);
  io.set_pin(10, true);
  EXPECT_TRUE(bus.msgs.empty());
  program(10, 0x803a);
  EXPECT_EQ(bus.msgs.size(), 1u);
}

TEST_F(IoApicTest, DeliveryModesAndLogicalDestination) {
  program(5, 0x0c40, 0x03000000);  // NMI, logical, dest 3
  io.set_pin(5, true);
  ASSERT_EQ(bus.msgs.size(), 1u);
  EXPECT_EQ(bus.msgs[0].mode, DeliveryMode::kNmi);
  EXPECT_TRUE(bus.msgs[0].logical);
  EXPECT_EQ(bus.msgs[0].dest, 3u);
}

// With the local APIC: TMR set for a level entry, the EOI broadcast clears
// Remote IRR, physical destination 0 and broadcast reach the one CPU.
TEST(IoApicToLocalApic, LevelRoundTrip) {
  test::FakeTimerHost host;
  LocalApic apic(LocalApicParams{}, host);
  IoApic io(apic);
  apic.set_eoi_broadcast([&](uint8_t v) { io.eoi(v); });
  apic.write(LocalApic::kSvr, 0x1ff, 4);
  auto program = [&](unsigned pin, uint32_t lo, uint32_t hi) {
    io.write(0, 0x11 + 2 * pin, 4);
    io.write(0x10, hi, 4);
    io.write(0, 0x10 + 2 * pin, 4);
    io.write(0x10, lo, 4);
  };
  program(11, 0x8041, 0);  // level, dest 0
  io.set_pin(11, true);
  EXPECT_TRUE(apic.irr(0x41));
  EXPECT_TRUE(apic.tmr(0x41));
  EXPECT_EQ(apic.acknowledge(), 0x41);
  io.set_pin(11, false);
  apic.write(LocalApic::kEoi, 0, 4);
  EXPECT_FALSE(io.remote_irr(11));
  EXPECT_EQ(io.eois, 1u);
  program(12, 0x42, 0x05000000);  // dest 5: nobody
  io.set_pin(12, true);
  EXPECT_FALSE(apic.irr(0x42));
  program(13, 0x43, 0xff000000);  // broadcast
  io.set_pin(13, true);
  EXPECT_TRUE(apic.irr(0x43));
  EXPECT_FALSE(apic.tmr(0x43));
}

}  // namespace
}  // namespace hvsim::platform::intc
