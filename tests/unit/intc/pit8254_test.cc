// 8254 PIT (8254 datasheet): modes 0, 2, 3 on counter 0 reaching IRQ 0
// through the 8259 and I/O APIC pin 2; latch, read-back, the port 0x61 gate.
#include "sim/platform/intc/pit8254.h"

#include <gtest/gtest.h>

#include "sim/platform/intc/io_apic.h"
#include "sim/platform/intc/local_apic.h"
#include "sim/platform/intc/pc_irq.h"
#include "tests/unit/intc/fake_timer_host.h"

namespace hvsim::platform::intc {
namespace {

constexpr uint64_t kCoreHz = 3'000'000'000;

// The core cycle of PIT clock n: rounded up.
uint64_t tick_cycle(uint64_t n) {
  const unsigned __int128 x = static_cast<unsigned __int128>(n) * kCoreHz;
  return uint64_t((x + Pit8254::kInputHz - 1) / Pit8254::kInputHz);
}

struct Pc : ::testing::Test {
  test::FakeTimerHost host;
  LocalApic apic{LocalApicParams{0, true, kCoreHz, 1'000'000'000, true}, host};
  IoApic io{apic};
  Pic8259 master, slave;
  PcIrqRouter irq{master, slave, io, &apic};
  Pit8254 pit{host, kCoreHz};
  Port61 port61{pit};

  void SetUp() override {
    apic.set_eoi_broadcast([this](uint8_t v) { io.eoi(v); });
    pit.set_irq_output([this](bool l) { irq.set_irq(0, l); });
    RegisterDevice& m = master;
    RegisterDevice& s = slave;
    m.write(0, 0x11, 1), m.write(1, 0x20, 1), m.write(1, 0x04, 1), m.write(1, 0x01, 1);
    s.write(0, 0x11, 1), s.write(1, 0x28, 1), s.write(1, 0x02, 1), s.write(1, 0x01, 1);
  }
  void pit_out(uint8_t port, uint8_t v) { static_cast<RegisterDevice&>(pit).write(port, v, 1); }
  uint8_t pit_in(uint8_t port) { return uint8_t(static_cast<RegisterDevice&>(pit).read(port, 1)); }
  void load(uint8_t ctrl, uint16_t count) {
    pit_out(3, ctrl);
    pit_out(0, uint8_t(count));
    pit_out(0, uint8_t(count >> 8));
  }
  // The 8259 path: the CPU takes IRQ 0 and ends it.
  bool take_pic_irq0() {
    if (!master.int_output()) return false;
    EXPECT_EQ(master.inta(), 0x20);
    static_cast<RegisterDevice&>(master).write(0, 0x20, 1);  // EOI
    return true;
  }
};

TEST_F(Pc, Mode2PeriodThroughThe8259) {
  host.advance_to(777);
  load(0x34, 1193);  // counter 0, LSB/MSB, mode 2
  for (uint64_t k = 1; k <= 4; ++k) {
    const uint64_t at = 777 + tick_cycle(k * 1193);
    EXPECT_EQ(host.next_deadline(), at);
    host.advance_to(at - 1);
    EXPECT_FALSE(master.int_output()) << k;
    host.advance_to(at);
    EXPECT_TRUE(take_pic_irq0()) << k;
  }
  EXPECT_EQ(pit.irq_pulses, 4u);
  // the ExtINT path of the local APIC (LINT0 virtual wire) sees the same
  host.advance_to(777 + tick_cycle(5 * 1193));
  EXPECT_EQ(apic.pending_vector(), 0x20);
  EXPECT_EQ(apic.acknowledge(), 0x20);
  EXPECT_EQ(apic.extint_delivered, 1u);
}

TEST_F(Pc, Mode3PeriodThroughTheIoApicPin2) {
  apic.write(LocalApic::kSvr, 0x1ff, 4);
  io.write(0, 0x14, 4);  // pin 2 low dword
  io.write(0x10, 0x30, 4);
  static_cast<RegisterDevice&>(master).write(1, 0xff, 1);  // 8259 all masked
  load(0x36, 0);  // mode 3, count 0 = 65536
  for (uint64_t k = 1; k <= 3; ++k) {
    host.advance_to(tick_cycle(k * 65536) - 1);
    EXPECT_FALSE(apic.irr(0x30));
    host.advance_to(tick_cycle(k * 65536));
    EXPECT_TRUE(apic.irr(0x30)) << k;
    EXPECT_EQ(apic.acknowledge(), 0x30);
    apic.write(LocalApic::kEoi, 0, 4);
  }
  EXPECT_FALSE(master.int_output());
  EXPECT_EQ(io.delivered[2], 3u);
  EXPECT_EQ(io.delivered[0], 0u) << "ISA IRQ 0 is I/O APIC pin 2";
  // square wave: OUT high for the first half of the period
  host.advance_to(tick_cycle(3 * 65536 + 100));
  EXPECT_TRUE(pit.out(0));
  host.advance_to(tick_cycle(3 * 65536 + 40000));
  EXPECT_FALSE(pit.out(0));
}

TEST_F(Pc, Mode0OneShot) {
  load(0x30, 100);
  EXPECT_FALSE(pit.out(0));
  host.advance_to(tick_cycle(100) - 1);
  EXPECT_FALSE(master.int_output());
  EXPECT_FALSE(pit.out(0));
  host.advance_to(tick_cycle(100));
  EXPECT_TRUE(take_pic_irq0());
  EXPECT_TRUE(pit.out(0));
  EXPECT_EQ(host.pending(), 0u) << "mode 0 fires once";
  host.advance_to(tick_cycle(10000));
  EXPECT_FALSE(master.int_output());
  EXPECT_EQ(pit.irq_pulses, 1u);
}

TEST_F(Pc, CountReadsLatchAndReadBack) {
  load(0x34, 10000);
  host.advance_to(tick_cycle(1234));
  pit_out(3, 0x00);  // latch counter 0
  host.advance_to(tick_cycle(2000));
  const uint16_t latched = uint16_t(pit_in(0) | pit_in(0) << 8);
  EXPECT_EQ(latched, 10000 - 1234);
  const uint16_t live = uint16_t(pit_in(0) | pit_in(0) << 8);
  EXPECT_EQ(live, 10000 - 2000);
  // read-back: status then count of counter 0
  pit_out(3, 0xc2);
  EXPECT_EQ(pit_in(0), 0x80 | 0x34) << "OUT high, count loaded, LSB/MSB, mode 2";
  EXPECT_EQ(uint16_t(pit_in(0) | pit_in(0) << 8), 10000 - 2000);
  // LSB-only access mode
  pit_out(3, 0x10);
  pit_out(0, 50);
  host.advance(tick_cycle(10));
  EXPECT_EQ(pit_in(0), 40);
}

TEST_F(Pc, Port61GateAndOut2) {
  RegisterDevice& p61 = port61;
  p61.write(0, 0x00, 1);  // gate 2 low
  pit_out(3, 0xb0);       // counter 2, LSB/MSB, mode 0
  pit_out(2, 0xe8);
  pit_out(2, 0x03);       // 1000
  host.advance(tick_cycle(5000));
  EXPECT_EQ(p61.read(0, 1) & 0x20, 0u) << "gate low: not counting";
  p61.write(0, 0x01, 1);  // gate high
  const uint64_t start = host.now();
  host.advance_to(start + tick_cycle(999));
  EXPECT_EQ(p61.read(0, 1) & 0x20, 0u);
  host.advance_to(start + tick_cycle(1000) + 1);
  EXPECT_EQ(p61.read(0, 1) & 0x21, 0x21u) << "OUT2 high at terminal count";
  EXPECT_EQ(pit.irq_pulses, 0u) << "counter 2 raises no IRQ";
}

TEST_F(Pc, NewCountRestartsAndControlWordStops) {
  load(0x34, 1000);
  host.advance_to(tick_cycle(500));
  load(0x34, 2000);
  EXPECT_EQ(host.next_deadline(), tick_cycle(500) + tick_cycle(2000));
  pit_out(3, 0x34);  // control word alone stops counter 0
  EXPECT_EQ(host.pending(), 0u);
}

}  // namespace
}  // namespace hvsim::platform::intc
