// ScTimerHost (sim/platform/intc/sc_timer_host.h) with the local APIC timer
// and the 8254: each expiry is one sc_event notification at deadline_cycle *
// cycle, so the interrupt appears at exactly the right simulated time.
#include <gtest/gtest.h>

#include <vector>

#include "tests/sc/sc_test_main.h"
#include "sim/platform/intc/local_apic.h"
#include "sim/platform/intc/pit8254.h"
#include "sim/platform/intc/sc_timer_host.h"

namespace hvsim::platform::intc {
namespace {

using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::sc_time;

constexpr uint64_t kCoreHz = 2'000'000'000;  // a 500 ps cycle
const sc_time kCycle(500, SC_PS);

struct Bench : sc_core::sc_module {
  // Here the "core" is the SystemC time itself: now() = sc_time_stamp / cycle.
  ScTimerHost host{"timers", kCycle,
                   [] { return uint64_t(sc_core::sc_time_stamp() / kCycle); }};
  LocalApic apic{LocalApicParams{0, true, kCoreHz, 1'000'000'000, true}, host};
  Pit8254 pit{host, kCoreHz};
  std::vector<sc_time> apic_irqs, pit_irqs;

  explicit Bench(sc_core::sc_module_name n) : sc_module(n) {
    apic.set_wakeup([this] {
      if (apic.pending_vector() >= 0 && !apic.isr(uint8_t(apic.pending_vector()))) {
        apic_irqs.push_back(sc_core::sc_time_stamp());
        apic.acknowledge();
        apic.eoi();
      }
    });
    pit.set_irq_output([this](bool l) {
      if (l) pit_irqs.push_back(sc_core::sc_time_stamp());
    });
  }
  void apic_wr(uint32_t off, uint32_t v) { apic.write(off, v, 4); }
};

Bench* bench = nullptr;

}  // namespace
}  // namespace hvsim::platform::intc

namespace hvsim::test {
std::unique_ptr<sc_core::sc_module> build_model() {
  auto b = std::make_unique<platform::intc::Bench>("bench");
  platform::intc::bench = b.get();
  return b;
}
}  // namespace hvsim::test

namespace hvsim::platform::intc {
namespace {

TEST(ScTimer, ApicOneShotFiresAtTheRightTime) {
  Bench& b = *bench;
  b.apic_wr(LocalApic::kSvr, 0x1ff);
  b.apic_wr(LocalApic::kLvtTimer, 0x20);
  b.apic_wr(LocalApic::kTimerDiv, 0x1);  // divide by 4
  b.apic_wr(LocalApic::kTimerInit, 250);  // 1000 ticks of 1 ns
  sc_core::sc_start(sc_time(999, SC_NS));
  EXPECT_TRUE(b.apic_irqs.empty());
  EXPECT_EQ(b.apic.current_count(), 1u);
  sc_core::sc_start(sc_time(2, SC_NS));  // sc_start(t) stops before events at t
  ASSERT_EQ(b.apic_irqs.size(), 1u);
  EXPECT_EQ(b.apic_irqs[0], sc_time(1000, SC_NS));
  sc_core::sc_start(sc_time(10, sc_core::SC_US));
  EXPECT_EQ(b.apic_irqs.size(), 1u) << "one-shot";
  EXPECT_EQ(b.host.fired, 1u);
}

TEST(ScTimer, ApicPeriodicAndReprogram) {
  Bench& b = *bench;
  b.apic_wr(LocalApic::kSvr, 0x1ff);
  b.apic_wr(LocalApic::kLvtTimer, 0x20020);
  b.apic_wr(LocalApic::kTimerDiv, 0xb);
  b.apic_wr(LocalApic::kTimerInit, 300);
  sc_core::sc_start(sc_time(1000, SC_NS));
  ASSERT_EQ(b.apic_irqs.size(), 3u);
  for (unsigned k = 0; k < 3; ++k) EXPECT_EQ(b.apic_irqs[k], sc_time(300.0 * (k + 1), SC_NS));
  b.apic_wr(LocalApic::kTimerInit, 50);  // at 1000 ns: restarts the count
  sc_core::sc_start(sc_time(120, SC_NS));
  ASSERT_EQ(b.apic_irqs.size(), 5u);
  EXPECT_EQ(b.apic_irqs[3], sc_time(1050, SC_NS));
  EXPECT_EQ(b.apic_irqs[4], sc_time(1100, SC_NS));
  b.apic_wr(LocalApic::kTimerInit, 0);
  sc_core::sc_start(sc_time(1, sc_core::SC_US));
  EXPECT_EQ(b.apic_irqs.size(), 5u);
  EXPECT_EQ(b.host.next_deadline(), UINT64_MAX);
}

TEST(ScTimer, TscDeadline) {
  Bench& b = *bench;
  b.apic_wr(LocalApic::kSvr, 0x1ff);
  b.apic_wr(LocalApic::kLvtTimer, 0x40020);
  ASSERT_EQ(b.apic.write_msr(LocalApic::kMsrTscDeadline, 12345), MsrStatus::kOk);
  sc_core::sc_start(sc_time(10, sc_core::SC_US));
  ASSERT_EQ(b.apic_irqs.size(), 1u);
  EXPECT_EQ(b.apic_irqs[0], kCycle * 12345.0);
}

TEST(ScTimer, PitMode2Period) {
  Bench& b = *bench;
  RegisterDevice& pit = b.pit;
  pit.write(3, 0x34, 1);
  pit.write(0, 0xa9, 1);
  pit.write(0, 0x04, 1);  // 1193: about 1 ms
  sc_core::sc_start(sc_time(3500, sc_core::SC_US));
  ASSERT_EQ(b.pit_irqs.size(), 3u);
  for (uint64_t k = 1; k <= 3; ++k) {
    const uint64_t ticks = k * 1193;
    const uint64_t cycle = (ticks * kCoreHz + Pit8254::kInputHz - 1) / Pit8254::kInputHz;
    EXPECT_EQ(b.pit_irqs[k - 1], kCycle * double(cycle)) << k;
  }
}

}  // namespace
}  // namespace hvsim::platform::intc
