// The APIC bus of a multiprocessor (sim/platform/intc/apic_cluster.h):
// ICR messages from one local APIC reach the others by physical and logical
// (flat, cluster) destination, by shorthand, and lowest-priority messages
// reach exactly one APIC (lowest APR, ties to the lowest ID); INIT and SIPI
// reach the right handlers; the I/O APIC's messages fan out too.
#include "sim/platform/intc/apic_cluster.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "fake_timer_host.h"

namespace hvsim::platform::intc {
namespace {

constexpr uint32_t kSvr = 0x1ff;  // software enabled, spurious vector 0xff

struct Machine {
  explicit Machine(unsigned n) {
    for (unsigned i = 0; i < n; ++i) {
      LocalApicParams p;
      p.apic_id = i;
      p.bsp = i == 0;
      apics.push_back(std::make_unique<LocalApic>(p, timers));
      bus.add(*apics.back());
      apics.back()->write(LocalApic::kSvr, kSvr, 4);
    }
    for (auto& a : apics) {
      LocalApic& from = *a;
      from.set_ipi_sender(
          [this, &from](const ApicMessage& m, unsigned sh) { bus.send_ipi(from, m, sh); });
    }
  }
  // ICR write on APIC `from` (xAPIC: high then low).
  void icr(unsigned from, uint8_t dest, uint32_t lo) {
    apics[from]->write(LocalApic::kIcrHi, uint32_t(dest) << 24, 4);
    apics[from]->write(LocalApic::kIcrLo, lo, 4);
  }
  std::vector<bool> irr(uint8_t v) const {
    std::vector<bool> r;
    for (const auto& a : apics) r.push_back(a->irr(v));
    return r;
  }
  test::FakeTimerHost timers;
  ApicCluster bus;
  std::vector<std::unique_ptr<LocalApic>> apics;
};

using B = std::vector<bool>;

TEST(ApicCluster, PhysicalDestinationReachesOneApic) {
  Machine m(4);
  m.icr(0, 2, 0x40);
  EXPECT_EQ(m.irr(0x40), (B{false, false, true, false}));
  EXPECT_EQ(m.apics[2]->ipis_received, 1u);
  EXPECT_EQ(m.bus.ipis_delivered, 1u);
  m.icr(0, 9, 0x41);  // nobody has ID 9
  EXPECT_EQ(m.irr(0x41), (B{false, false, false, false}));
  EXPECT_EQ(m.apics[0]->ipis_to_nobody, 1u);
}

TEST(ApicCluster, Shorthands) {
  Machine m(3);
  m.icr(1, 0, 0x40 | (1u << 18));  // self
  EXPECT_EQ(m.irr(0x40), (B{false, true, false}));
  m.icr(1, 0, 0x41 | (2u << 18));  // all including self
  EXPECT_EQ(m.irr(0x41), (B{true, true, true}));
  m.icr(1, 0, 0x42 | (3u << 18));  // all excluding self
  EXPECT_EQ(m.irr(0x42), (B{true, false, true}));
}

TEST(ApicCluster, LogicalFlatAndCluster) {
  Machine m(6);
  for (unsigned i = 0; i < 6; ++i) m.apics[i]->write(LocalApic::kLdr, 1u << (24 + i), 4);
  m.icr(0, 0x0a, 0x40 | (1u << 11));  // flat: IDs 1 and 3
  EXPECT_EQ(m.irr(0x40), (B{false, true, false, true, false, false}));
  for (unsigned i = 0; i < 6; ++i) {
    m.apics[i]->write(LocalApic::kDfr, 0x0fffffff, 4);
    m.apics[i]->write(LocalApic::kLdr, ((i / 4) << 28) | (1u << (24 + i % 4)), 4);
  }
  m.icr(0, 0x13, 0x41 | (1u << 11));  // cluster 1, members 0 and 1: IDs 4 and 5
  EXPECT_EQ(m.irr(0x41), (B{false, false, false, false, true, true}));
}

TEST(ApicCluster, LowestPriorityReachesExactlyOne) {
  Machine m(4);
  for (unsigned i = 0; i < 4; ++i) m.apics[i]->write(LocalApic::kLdr, 1u << (24 + i), 4);
  m.icr(0, 0x0e, 0x40 | 0x100 | (1u << 11));  // IDs 1-3, all TPR 0: the lowest ID
  EXPECT_EQ(m.irr(0x40), (B{false, true, false, false}));
  m.apics[1]->write(LocalApic::kTpr, 0x30, 4);
  m.apics[2]->write(LocalApic::kTpr, 0x20, 4);
  m.icr(0, 0x0e, 0x41 | 0x100 | (1u << 11));  // the lowest APR: ID 3
  EXPECT_EQ(m.irr(0x41), (B{false, false, false, true}));
  // From the I/O APIC side too.
  ApicMessage msg;
  msg.vector = 0x42;
  msg.mode = DeliveryMode::kLowest;
  msg.logical = true;
  msg.dest = 0x06;  // IDs 1 and 2: 2 has the lower APR
  EXPECT_TRUE(m.bus.deliver(msg));
  EXPECT_EQ(m.irr(0x42), (B{false, false, true, false}));
}

TEST(ApicCluster, NmiInitAndStartup) {
  Machine m(2);
  std::vector<uint8_t> sipis;
  m.apics[1]->set_sipi_handler([&](uint8_t v) {
    sipis.push_back(v);
    return true;
  });
  m.icr(0, 1, 0x400);  // NMI
  EXPECT_TRUE(m.apics[1]->nmi_pending());
  EXPECT_FALSE(m.apics[0]->nmi_pending());
  m.icr(0, 1, 0x500 | (1u << 14) | (1u << 15));  // INIT assert
  EXPECT_TRUE(m.apics[1]->init_pending());
  m.icr(0, 1, 0x500 | (1u << 15));  // INIT de-assert: no new INIT
  EXPECT_EQ(m.apics[1]->init_deasserts, 1u);
  m.icr(0, 1, 0x600 | 0x08);  // SIPI vector 8
  EXPECT_EQ(sipis, (std::vector<uint8_t>{0x08}));
  EXPECT_FALSE(m.apics[0]->init_pending());
}

TEST(ApicCluster, X2apicSenderReachesAnXapicReceiver) {
  Machine m(3);
  uint64_t base = 0;
  ASSERT_EQ(m.apics[0]->read_msr(LocalApic::kMsrApicBase, base), MsrStatus::kOk);
  ASSERT_EQ(m.apics[0]->write_msr(LocalApic::kMsrApicBase, base | (1u << 10)), MsrStatus::kOk);
  ASSERT_EQ(m.apics[0]->write_msr(0x830, (uint64_t{2} << 32) | 0x40), MsrStatus::kOk);
  EXPECT_EQ(m.irr(0x40), (B{false, false, true}));
}

}  // namespace
}  // namespace hvsim::platform::intc
