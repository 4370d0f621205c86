// Local APIC (SDM Vol. 3 chapter 11): registers in the xAPIC and x2APIC
// forms, priority (11.8.3.1), IRR->ISR->EOI (11.8.4, 11.8.5), the timer in
// its three modes (11.5.4), the ICR (11.6.1) on a single CPU.
#include "sim/platform/intc/local_apic.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/intc/fake_timer_host.h"

namespace hvsim::platform::intc {
namespace {

using test::FakeTimerHost;
using L = LocalApic;

constexpr uint64_t kCoreHz = 3'000'000'000, kTimerHz = 1'000'000'000;  // 3 cycles a tick
constexpr uint64_t kEn = 1u << 11, kExtd = 1u << 10, kBsp = 1u << 8;

struct Apic : ::testing::Test {
  FakeTimerHost host;
  LocalApic apic{LocalApicParams{0, true, kCoreHz, kTimerHz, true}, host};
  std::vector<uint8_t> broadcasts;
  int wakeups = 0;

  void SetUp() override {
    apic.set_eoi_broadcast([this](uint8_t v) { broadcasts.push_back(v); });
    apic.set_wakeup([this] { ++wakeups; });
  }
  uint32_t rd(uint32_t off) { return apic.read(off, 4); }
  void wr(uint32_t off, uint32_t v) { apic.write(off, v, 4); }
  void enable() { wr(L::kSvr, 0x1ff); }
  void to_x2apic() {
    ASSERT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn | kExtd), MsrStatus::kOk);
  }
  uint64_t msr(uint32_t m) {
    uint64_t v = ~0ull;
    EXPECT_EQ(apic.read_msr(m, v), MsrStatus::kOk) << std::hex << m;
    return v;
  }
  void fixed(uint8_t v, bool level = false) {
    apic.deliver(ApicMessage{v, DeliveryMode::kFixed, false, level, true, 0});
  }
  static uint64_t cycles(uint64_t ticks) { return ticks * kCoreHz / kTimerHz; }
};

TEST_F(Apic, ResetState) {
  EXPECT_EQ(apic.apic_base(), 0xfee00000 | kEn | kBsp);
  EXPECT_EQ(rd(L::kVer), 0x00050014u);
  EXPECT_EQ(rd(L::kId), 0u);
  EXPECT_EQ(rd(L::kSvr), 0xffu) << "software-disabled, spurious vector 0xff";
  EXPECT_EQ(rd(L::kDfr), 0xffffffffu);
  EXPECT_EQ(rd(L::kTpr), 0u);
  EXPECT_EQ(rd(L::kLvtTimer), 0x10000u);
  EXPECT_EQ(rd(L::kLvtLint0), 0x700u) << "BSP virtual wire: ExtINT, unmasked";
  EXPECT_EQ(rd(L::kLvtLint1), 0x10000u);
  EXPECT_EQ(rd(L::kLvtError), 0x10000u);
  EXPECT_EQ(rd(L::kTimerInit), 0u);
  EXPECT_EQ(rd(L::kTimerCur), 0u);
  EXPECT_EQ(apic.pending_vector(), -1);
}

TEST_F(Apic, XapicReadWriteAndReadOnly) {
  wr(L::kId, 0x05000000);
  EXPECT_EQ(rd(L::kId), 0x05000000u) << "xAPIC ID is writable";
  wr(L::kId, 0);
  wr(L::kVer, 0);
  EXPECT_EQ(rd(L::kVer), 0x00050014u);
  wr(L::kTpr, 0x1234);
  EXPECT_EQ(rd(L::kTpr), 0x34u);
  wr(L::kLdr, 0x12345678);
  EXPECT_EQ(rd(L::kLdr), 0x12000000u);
  wr(L::kDfr, 0x0);
  EXPECT_EQ(rd(L::kDfr), 0x0fffffffu) << "cluster model, bits 27:0 read as 1";
  enable();
  EXPECT_EQ(rd(L::kSvr), 0x1ffu);
  wr(L::kLvtTimer, 0xfffff);
  EXPECT_EQ(rd(L::kLvtTimer), 0x700ffu)
      << "vector, mask, mode bits only; delivery status is read-only";
  wr(L::kLvtLint1, 0xffffffff);
  EXPECT_EQ(rd(L::kLvtLint1), 0x1a7ffu) << "remote IRR (bit 14) and delivery status read-only";
  fixed(0x40);
  wr(L::kIrr + 0x20, 0);
  EXPECT_EQ(rd(L::kIrr + 0x20), 1u) << "IRR is read-only (0x40 is bit 0 of IRR[2])";
  wr(L::kPpr, 0xff);
  EXPECT_EQ(rd(L::kPpr), 0x34u) << "PPR = TPR when nothing is in service";
  wr(L::kTimerCur, 5);
  EXPECT_EQ(rd(L::kTimerCur), 0u);
  // byte and word reads see parts of the register
  EXPECT_EQ(apic.read(L::kVer, 1), 0x14u);
  EXPECT_EQ(apic.read(L::kVer + 2, 1), 0x05u);
  EXPECT_EQ(apic.read(L::kVer + 4, 4), 0u);
  // a narrow write is dropped
  apic.write(L::kTpr, 0x77, 1);
  EXPECT_EQ(rd(L::kTpr), 0x34u);
  EXPECT_EQ(apic.bad_mmio, 1u);
}

TEST_F(Apic, SoftwareDisableMasksLvts) {
  enable();
  wr(L::kLvtTimer, 0x20);
  EXPECT_EQ(rd(L::kLvtTimer), 0x20u);
  wr(L::kSvr, 0xff);
  EXPECT_EQ(rd(L::kLvtTimer), 0x10020u);
  wr(L::kLvtTimer, 0x20);
  EXPECT_EQ(rd(L::kLvtTimer), 0x10020u) << "masks cannot be cleared while disabled";
}

TEST_F(Apic, X2apicMsrs) {
  uint64_t v = 0;
  EXPECT_EQ(apic.read_msr(0x802, v), MsrStatus::kGp) << "x2APIC MSRs need x2APIC mode";
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kExtd), MsrStatus::kGp)
      << "EXTD without EN is invalid";
  to_x2apic();
  EXPECT_TRUE(apic.x2apic());
  EXPECT_EQ(msr(0x802), 0u);
  EXPECT_EQ(msr(0x803), 0x50014u);
  EXPECT_EQ(msr(0x80d), 0x1u) << "LDR derived: cluster 0, bit (id & 15)";
  EXPECT_EQ(msr(0x80f), 0xffu);
  EXPECT_EQ(apic.write_msr(0x80f, 0x1ff), MsrStatus::kOk);
  EXPECT_EQ(apic.write_msr(0x808, 0x20), MsrStatus::kOk);
  EXPECT_EQ(msr(0x808), 0x20u);
  EXPECT_EQ(msr(0x80a), 0x20u);
  // #GP: read-only, write-only, not present in x2APIC, reserved bits
  EXPECT_EQ(apic.write_msr(0x802, 1), MsrStatus::kGp) << "ID is read-only";
  EXPECT_EQ(apic.write_msr(0x803, 0), MsrStatus::kGp) << "version";
  EXPECT_EQ(apic.write_msr(0x80a, 0), MsrStatus::kGp) << "PPR";
  EXPECT_EQ(apic.write_msr(0x80d, 0), MsrStatus::kGp) << "LDR is read-only";
  EXPECT_EQ(apic.write_msr(0x810, 0), MsrStatus::kGp) << "ISR";
  EXPECT_EQ(apic.write_msr(0x839, 0), MsrStatus::kGp) << "current count";
  EXPECT_EQ(apic.read_msr(0x80b, v), MsrStatus::kGp) << "EOI is write-only";
  EXPECT_EQ(apic.write_msr(0x80b, 1), MsrStatus::kGp) << "non-zero EOI";
  EXPECT_EQ(apic.read_msr(0x83f, v), MsrStatus::kGp) << "SELF IPI is write-only";
  EXPECT_EQ(apic.read_msr(0x809, v), MsrStatus::kGp) << "no APR";
  EXPECT_EQ(apic.read_msr(0x80e, v), MsrStatus::kGp) << "no DFR";
  EXPECT_EQ(apic.read_msr(0x831, v), MsrStatus::kGp) << "ICR is one MSR";
  EXPECT_EQ(apic.write_msr(0x828, 1), MsrStatus::kGp) << "non-zero ESR write";
  EXPECT_EQ(apic.write_msr(0x808, 1ull << 32), MsrStatus::kGp) << "reserved upper half";
  EXPECT_EQ(apic.read_msr(0x8ff, v), MsrStatus::kGp);
  // the MMIO page is gone
  EXPECT_EQ(rd(L::kVer), 0xffffffffu) << "nothing answers: all ones";
  // back to xAPIC directly is invalid; through disabled is fine and resets
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn), MsrStatus::kGp);
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000), MsrStatus::kOk);
  EXPECT_EQ(rd(L::kVer), 0xffffffffu) << "hardware-disabled: all ones";
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn), MsrStatus::kOk);
  EXPECT_EQ(rd(L::kSvr), 0xffu);
  EXPECT_EQ(rd(L::kTpr), 0u) << "disabling reset the registers";
  EXPECT_EQ(apic.apic_base() & kBsp, kBsp) << "BSP is kept";
}

TEST_F(Apic, X2apicIcrIsOneMsr) {
  to_x2apic();
  ASSERT_EQ(apic.write_msr(0x80f, 0x1ff), MsrStatus::kOk);
  ASSERT_EQ(apic.write_msr(0x830, 0x0000000000000051ull), MsrStatus::kOk);  // dest 0, fixed
  EXPECT_TRUE(apic.irr(0x51));
  EXPECT_EQ(msr(0x830), 0x51u);
  ASSERT_EQ(apic.write_msr(0x830, 0x0000000700000052ull), MsrStatus::kOk);  // dest 7
  EXPECT_FALSE(apic.irr(0x52));
  EXPECT_EQ(apic.ipis_to_nobody, 1u);
  // SELF IPI: bits 63:8 are reserved, #GP when set (11.12.11).
  for (uint64_t bad : {0x153ull, 0xff53ull, 0xff000053ull, 1ull << 40})
    EXPECT_EQ(apic.write_msr(0x83f, bad), MsrStatus::kGp) << std::hex << bad;
  EXPECT_FALSE(apic.irr(0x53));
  ASSERT_EQ(apic.write_msr(0x83f, 0x53), MsrStatus::kOk);
  EXPECT_TRUE(apic.irr(0x53));
  EXPECT_EQ(apic.pending_vector(), 0x53);
}

// 11.8.3.1: an interrupt is delivered when its class (vector[7:4]) is above PPR[7:4].
TEST_F(Apic, TprGatesByPriorityClass) {
  enable();
  fixed(0x45);
  EXPECT_EQ(apic.pending_vector(), 0x45);
  apic.set_tpr(0x50);
  EXPECT_EQ(apic.pending_vector(), -1);
  EXPECT_EQ(rd(L::kPpr), 0x50u);
  apic.set_tpr(0x40);
  EXPECT_EQ(apic.pending_vector(), -1) << "same class as TPR is held";
  apic.set_tpr(0x3f);
  EXPECT_EQ(apic.pending_vector(), 0x45);
  EXPECT_EQ(rd(L::kApr), 0x40u) << "APR: the IRR class dominates";
  EXPECT_GT(wakeups, 0);
}

TEST_F(Apic, SoftwareDisabledDeliversNothing) {
  fixed(0x45);
  EXPECT_TRUE(apic.irr(0x45));
  EXPECT_EQ(apic.pending_vector(), -1);
  enable();
  EXPECT_EQ(apic.pending_vector(), 0x45);
}

TEST_F(Apic, NestedPrioritiesAndEoiOrder) {
  enable();
  fixed(0x31);
  EXPECT_EQ(apic.acknowledge(), 0x31);
  EXPECT_TRUE(apic.isr(0x31));
  EXPECT_FALSE(apic.irr(0x31));
  EXPECT_EQ(apic.ppr(), 0x30);
  fixed(0x32);
  EXPECT_EQ(apic.pending_vector(), -1) << "same class as the one in service";
  fixed(0x61);
  EXPECT_EQ(apic.pending_vector(), 0x61);
  EXPECT_EQ(apic.acknowledge(), 0x61);
  EXPECT_EQ(apic.ppr(), 0x60);
  EXPECT_EQ(rd(L::kIsr + 0x10), 1u << 17) << "ISR[1] bit 17 = 0x31";
  EXPECT_EQ(rd(L::kIsr + 0x30), 1u << 1) << "ISR[3] bit 1 = 0x61";
  wr(L::kEoi, 0);
  EXPECT_FALSE(apic.isr(0x61)) << "EOI clears the highest in service";
  EXPECT_TRUE(apic.isr(0x31));
  EXPECT_EQ(apic.pending_vector(), -1);
  wr(L::kEoi, 0);
  EXPECT_FALSE(apic.isr(0x31));
  EXPECT_EQ(apic.pending_vector(), 0x32);
  EXPECT_TRUE(broadcasts.empty()) << "edge-triggered: no EOI broadcast";
  EXPECT_EQ(apic.eois, 2u);
}

TEST_F(Apic, LevelTriggeredEoiBroadcasts) {
  enable();
  fixed(0x40, true);
  EXPECT_TRUE(apic.tmr(0x40));
  EXPECT_EQ(apic.acknowledge(), 0x40);
  wr(L::kEoi, 0);
  ASSERT_EQ(broadcasts.size(), 1u);
  EXPECT_EQ(broadcasts[0], 0x40);
  fixed(0x40, false);
  EXPECT_FALSE(apic.tmr(0x40)) << "an edge acceptance clears TMR";
}

TEST_F(Apic, SpuriousWhenNothingPending) {
  wr(L::kLvtLint0, 0x10700);  // no ExtINT either
  enable();
  wr(L::kSvr, 0x1ef);
  EXPECT_EQ(apic.acknowledge(), 0xef);
  EXPECT_EQ(apic.spurious, 1u);
}

TEST_F(Apic, OneShotTimerFiresOnTheCycle) {
  enable();
  host.advance_to(1000);
  wr(L::kTimerDiv, 0xb);  // divide by 1
  wr(L::kLvtTimer, 0x20);
  wr(L::kTimerInit, 1000);
  const uint64_t deadline = 1000 + cycles(1000);
  EXPECT_EQ(apic.timer_deadline(), deadline);
  EXPECT_EQ(host.next_deadline(), deadline);
  EXPECT_EQ(rd(L::kTimerCur), 1000u);
  host.advance_to(1000 + cycles(250));
  EXPECT_EQ(rd(L::kTimerCur), 750u);
  host.advance_to(deadline - 1);
  EXPECT_FALSE(apic.irr(0x20));
  EXPECT_EQ(rd(L::kTimerCur), 1u);
  host.advance_to(deadline);
  EXPECT_TRUE(apic.irr(0x20));
  EXPECT_EQ(rd(L::kTimerCur), 0u);
  EXPECT_EQ(apic.timer_fires, 1u);
  EXPECT_EQ(host.pending(), 0u) << "one-shot: nothing more scheduled";
  EXPECT_EQ(apic.pending_vector(), 0x20);
}

TEST_F(Apic, DivideConfigurations) {
  enable();
  wr(L::kLvtTimer, 0x20);
  const struct { uint32_t reg, div; } cases[] = {{0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16},
                                                 {0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1}};
  for (auto c : cases) {
    wr(L::kTimerDiv, c.reg);
    EXPECT_EQ(apic.divide(), c.div);
    const uint64_t start = host.now();
    wr(L::kTimerInit, 100);
    EXPECT_EQ(host.next_deadline(), start + cycles(100 * c.div)) << "divide " << c.div;
    host.advance_to(start + cycles(100 * c.div / 2));
    EXPECT_EQ(rd(L::kTimerCur), 50u);
    host.advance_to(start + cycles(100 * c.div));
    EXPECT_TRUE(apic.irr(0x20));
    EXPECT_EQ(apic.acknowledge(), 0x20);
    wr(L::kEoi, 0);
  }
  EXPECT_EQ(apic.timer_fires, 8u);
}

TEST_F(Apic, PeriodicTimerKeepsItsPeriod) {
  enable();
  wr(L::kTimerDiv, 0x3);  // 16
  wr(L::kLvtTimer, 0x20030);
  wr(L::kTimerInit, 1000);
  const uint64_t period = cycles(16000);
  for (uint64_t k = 1; k <= 5; ++k) {
    EXPECT_EQ(host.next_deadline(), k * period);
    host.advance_to(k * period - 1);
    EXPECT_EQ(apic.timer_fires, k - 1);
    host.advance_to(k * period);
    EXPECT_EQ(apic.timer_fires, k);
    EXPECT_EQ(apic.acknowledge(), 0x30);
    wr(L::kEoi, 0);
  }
  host.advance_to(5 * period + period / 4);
  EXPECT_EQ(rd(L::kTimerCur), 750u);
  wr(L::kTimerInit, 0);  // stops it
  EXPECT_EQ(host.pending(), 0u);
  EXPECT_EQ(rd(L::kTimerCur), 0u);
}

TEST_F(Apic, MaskedTimerCountsButDoesNotInterrupt) {
  enable();
  wr(L::kTimerDiv, 0xb);
  wr(L::kLvtTimer, 0x30020);  // periodic, masked
  wr(L::kTimerInit, 10);
  host.advance_to(cycles(35));
  EXPECT_EQ(apic.timer_fires, 3u);
  EXPECT_EQ(apic.timer_masked_fires, 3u);
  EXPECT_FALSE(apic.irr(0x20));
  EXPECT_EQ(apic.pending_vector(), -1);
  EXPECT_EQ(rd(L::kTimerCur), 5u);
}

TEST_F(Apic, TscDeadlineTimer) {
  enable();
  int64_t offset = 500;  // IA32_TSC = cycles + 500
  apic.set_tsc_offset([&] { return offset; });
  ASSERT_EQ(apic.write_msr(L::kMsrTscDeadline, 9999), MsrStatus::kOk);
  EXPECT_EQ(msr(L::kMsrTscDeadline), 0u) << "ignored outside TSC-deadline mode";
  EXPECT_EQ(host.pending(), 0u);
  wr(L::kLvtTimer, 0x40021);  // TSC-deadline, vector 0x21
  host.advance_to(100);
  ASSERT_EQ(apic.write_msr(L::kMsrTscDeadline, 10500), MsrStatus::kOk);
  EXPECT_EQ(msr(L::kMsrTscDeadline), 10500u);
  EXPECT_EQ(host.next_deadline(), 10000u) << "TSC 10500 is cycle 10000";
  wr(L::kTimerInit, 5);  // ignored in this mode
  EXPECT_EQ(rd(L::kTimerInit), 0u);
  EXPECT_EQ(rd(L::kTimerCur), 0u);
  host.advance_to(9999);
  EXPECT_FALSE(apic.irr(0x21));
  host.advance_to(10000);
  EXPECT_TRUE(apic.irr(0x21));
  EXPECT_EQ(msr(L::kMsrTscDeadline), 0u) << "disarms itself";
  // re-arm then disarm with 0; a deadline in the past fires at once
  ASSERT_EQ(apic.write_msr(L::kMsrTscDeadline, 20000), MsrStatus::kOk);
  ASSERT_EQ(apic.write_msr(L::kMsrTscDeadline, 0), MsrStatus::kOk);
  EXPECT_EQ(host.pending(), 0u);
  ASSERT_EQ(apic.write_msr(L::kMsrTscDeadline, 1), MsrStatus::kOk);
  host.advance(0);
  EXPECT_EQ(apic.timer_fires, 2u);
  // leaving TSC-deadline mode disarms
  ASSERT_EQ(apic.write_msr(L::kMsrTscDeadline, 50000), MsrStatus::kOk);
  wr(L::kLvtTimer, 0x21);
  EXPECT_EQ(host.pending(), 0u);
}

TEST_F(Apic, IcrSelfIpiShorthandsAndDestinations) {
  enable();
  wr(L::kIcrHi, 0);
  wr(L::kIcrLo, 0x40050);  // self, fixed 0x50
  EXPECT_TRUE(apic.irr(0x50));
  EXPECT_EQ(rd(L::kIcrLo), 0x40050u) << "delivery status reads idle";
  wr(L::kIcrLo, 0x80051);  // all including self
  EXPECT_TRUE(apic.irr(0x51));
  wr(L::kIcrLo, 0xc0052);  // all excluding self: nobody on one CPU
  EXPECT_FALSE(apic.irr(0x52));
  wr(L::kIcrHi, 0x01000000);
  wr(L::kIcrLo, 0x00053);  // physical dest 1: nobody
  EXPECT_FALSE(apic.irr(0x53));
  EXPECT_EQ(rd(L::kIcrHi), 0x01000000u);
  // logical, flat model: LDR bit 0
  wr(L::kLdr, 0x01000000);
  wr(L::kIcrLo, 0x00854);
  EXPECT_TRUE(apic.irr(0x54));
  wr(L::kIcrHi, 0x02000000);
  wr(L::kIcrLo, 0x00855);
  EXPECT_FALSE(apic.irr(0x55));
  wr(L::kIcrHi, 0xff000000);
  wr(L::kIcrLo, 0x00156);  // lowest priority, broadcast
  EXPECT_TRUE(apic.irr(0x56));
  EXPECT_EQ(apic.ipis_to_nobody, 3u);
  EXPECT_EQ(apic.self_ipis, 1u);
}

TEST_F(Apic, IllegalVectorSetsEsr) {
  enable();
  wr(L::kLvtError, 0xfe);
  wr(L::kIcrLo, 0x40005);  // fixed vector 5
  EXPECT_FALSE(apic.irr(5));
  EXPECT_EQ(rd(L::kEsr), 0u) << "ESR updates on the next write";
  wr(L::kEsr, 0);
  EXPECT_EQ(rd(L::kEsr), L::kEsrSendIllegal);
  EXPECT_TRUE(apic.irr(0xfe)) << "the error LVT fired";
  wr(L::kEsr, 0);
  EXPECT_EQ(rd(L::kEsr), 0u);
}

TEST_F(Apic, IcrNmi) {
  enable();
  wr(L::kIcrLo, 0x40400);  // self, NMI
  EXPECT_TRUE(apic.nmi_pending());
  EXPECT_EQ(apic.pending_vector(), -1) << "NMI is not a vectored interrupt";
  apic.take_nmi();
  EXPECT_FALSE(apic.nmi_pending());
  EXPECT_EQ(apic.nmis, 1u);
}

// The AP start-up sequence of the MP spec (B.4) on one CPU: INIT, INIT
// de-assert, SIPI twice; and INIT/SIPI aimed at self. The APIC's registers do
// not change; the INIT to self is left pending for the core.
TEST_F(Apic, InitAndSipiAreHarmless) {
  enable();
  apic.set_tpr(0x10);
  wr(L::kLvtTimer, 0x20020);
  wr(L::kTimerInit, 1000);
  fixed(0x70);
  const uint64_t deadline = apic.timer_deadline();
  wr(L::kIcrHi, 0);
  wr(L::kIcrLo, 0xc4500);  // INIT, assert, all excluding self
  wr(L::kIcrLo, 0x88500);  // INIT level de-assert, all including self
  wr(L::kIcrLo, 0xc4608);  // SIPI vector 8, all excluding self
  wr(L::kIcrLo, 0xc4608);
  wr(L::kIcrLo, 0x44500);  // INIT to self
  wr(L::kIcrLo, 0x04609);  // SIPI to APIC ID 0 (self)
  EXPECT_EQ(apic.inits, 1u);
  EXPECT_EQ(apic.init_deasserts, 1u);
  EXPECT_EQ(apic.sipis, 1u);
  EXPECT_EQ(apic.last_sipi_vector(), 9);
  EXPECT_EQ(apic.ipis_to_nobody, 3u);
  EXPECT_EQ(apic.tpr(), 0x10);
  EXPECT_TRUE(apic.sw_enabled());
  EXPECT_TRUE(apic.irr(0x70));
  EXPECT_EQ(apic.timer_deadline(), deadline);
  EXPECT_FALSE(apic.nmi_pending());
  EXPECT_EQ(apic.pending_vector(), 0x70);
  host.advance_to(deadline);
  EXPECT_TRUE(apic.irr(0x20)) << "the timer still runs";
}

// INIT (level assert) to self, to all including self, or to this APIC's ID
// makes INIT pending for the core; the de-assert and "all excluding self" do
// not. A SIPI goes to the SIPI handler (the CPU module starts the core when
// it waits for SIPI).
TEST_F(Apic, InitPendingAndSipiStartsCore) {
  enable();
  std::vector<uint8_t> sipis;
  apic.set_sipi_handler([&](uint8_t v) {
    sipis.push_back(v);
    return true;
  });
  wr(L::kIcrHi, 0);
  wr(L::kIcrLo, 0x88500);  // INIT level de-assert, all including self
  wr(L::kIcrLo, 0xc4500);  // INIT, all excluding self: nobody
  EXPECT_FALSE(apic.init_pending());
  const int before = wakeups;
  wr(L::kIcrLo, 0x44500);  // INIT to self
  EXPECT_TRUE(apic.init_pending());
  EXPECT_GT(wakeups, before) << "a halted core wakes for INIT";
  apic.take_init();
  EXPECT_FALSE(apic.init_pending());
  wr(L::kIcrLo, 0x84500);  // all including self
  EXPECT_TRUE(apic.init_pending());
  apic.take_init();
  wr(L::kIcrLo, 0x04500);  // physical destination 0: this APIC
  EXPECT_TRUE(apic.init_pending());
  apic.take_init();
  wr(L::kIcrLo, 0x04612);  // SIPI vector 0x12 to self
  ASSERT_EQ(sipis.size(), 1u);
  EXPECT_EQ(sipis[0], 0x12);
  EXPECT_EQ(apic.last_sipi_vector(), 0x12);
  EXPECT_FALSE(apic.init_pending());
}

TEST_F(Apic, Lint1AsNmi) {
  enable();
  wr(L::kLvtLint1, 0x400);
  apic.set_lint(1, true);
  EXPECT_TRUE(apic.nmi_pending());
  apic.take_nmi();
  apic.set_lint(1, true);
  EXPECT_FALSE(apic.nmi_pending()) << "edge: no second NMI without a new edge";
  wr(L::kLvtLint1, 0x10400);
  apic.set_lint(1, false);
  apic.set_lint(1, true);
  EXPECT_FALSE(apic.nmi_pending());
  EXPECT_EQ(apic.lvt_masked, 1u);
}

}  // namespace
}  // namespace hvsim::platform::intc

namespace hvsim::platform::intc {
namespace {

// The LVT performance-counter entry (11.5.1): a counter overflow is a fixed
// interrupt (or NMI) through it; masked, it is dropped; Intel's PMI sets the
// mask bit on delivery, so the handler must unmask it.
TEST_F(Apic, PerformanceCounterInterruptThroughLvtPc) {
  enable();
  apic.performance_counter_interrupt(true);
  EXPECT_EQ(apic.pending_vector(), -1) << "LVT PC is masked at reset";
  EXPECT_EQ(apic.lvt_masked, 1u);
  wr(L::kLvtPerf, 0x42);
  apic.performance_counter_interrupt(true);
  EXPECT_TRUE(apic.irr(0x42));
  EXPECT_EQ(rd(L::kLvtPerf), 0x10042u) << "masked after the PMI (Intel)";
  EXPECT_EQ(apic.acknowledge(), 0x42);
  apic.eoi();
  wr(L::kLvtPerf, 0x43);
  apic.performance_counter_interrupt(false);
  EXPECT_TRUE(apic.irr(0x43));
  EXPECT_EQ(rd(L::kLvtPerf), 0x43u) << "AMD leaves the entry unmasked";
  wr(L::kLvtPerf, 0x400);  // NMI delivery
  apic.performance_counter_interrupt(false);
  EXPECT_TRUE(apic.nmi_pending());
  EXPECT_EQ(apic.pmis, 4u);
}

TEST(ApicModel, X2apicModeNeedsTheCpuFeature) {
  FakeTimerHost host;
  LocalApicParams p{0, true, kCoreHz, kTimerHz, true};
  p.x2apic = false;
  LocalApic apic{p, host};
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn | kExtd), MsrStatus::kGp);
  EXPECT_FALSE(apic.x2apic());
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn), MsrStatus::kOk);
}

TEST(ApicModel, ApicBaseBitsAboveMaxphyaddrAreReserved) {
  FakeTimerHost host;
  LocalApicParams p{0, true, kCoreHz, kTimerHz, true};
  p.phys_addr_bits = 39;
  LocalApic apic{p, host};
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn | 1ull << 39), MsrStatus::kGp);
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn | 1), MsrStatus::kGp) << "bit 0";
  EXPECT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000 | kEn | 1ull << 38), MsrStatus::kOk);
}

TEST_F(Apic, DisabledApicPageReadsAllOnes) {
  ASSERT_EQ(apic.write_msr(L::kMsrApicBase, 0xfee00000), MsrStatus::kOk);
  wr(L::kTpr, 0x20);
  EXPECT_EQ(apic.tpr(), 0u) << "writes reach nothing";
  EXPECT_EQ(rd(L::kTpr), 0xffffffffu);
  EXPECT_EQ(apic.read(L::kVer, 1), 0xffu);
}

}  // namespace
}  // namespace hvsim::platform::intc
