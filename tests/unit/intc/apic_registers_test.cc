// The core's view of the local APIC (core::ApicRegisters over LocalApic):
// which MSRs it claims, #GP as `false`, and CR8 as TPR[7:4] (SDM Vol. 3
// 11.8.6, 11.12.1).
#include "sim/platform/intc/apic_registers.h"

#include <gtest/gtest.h>

#include "tests/unit/intc/fake_timer_host.h"

namespace hvsim::platform::intc {
namespace {

struct ApicRegs : ::testing::Test {
  test::FakeTimerHost host;
  LocalApic apic{LocalApicParams{0, true, 3'000'000'000, 1'000'000'000, true}, host};
  LocalApicRegisters regs{apic};
  core::ApicRegisters& core_view = regs;
};

TEST_F(ApicRegs, ClaimsTheApicMsrsOnly) {
  for (uint32_t msr : {0x1bu, 0x6e0u, 0x800u, 0x808u, 0x830u, 0x8ffu})
    EXPECT_TRUE(core_view.handles_msr(msr)) << std::hex << msr;
  for (uint32_t msr : {0x10u, 0x1au, 0x1cu, 0x6dfu, 0x6e1u, 0x7ffu, 0x900u, 0xc0000080u})
    EXPECT_FALSE(core_view.handles_msr(msr)) << std::hex << msr;
}

TEST_F(ApicRegs, ApicBaseReadsBackAndX2apicMsrsFaultInXapicMode) {
  uint64_t v = 0;
  ASSERT_TRUE(core_view.read_msr(0x1b, v));
  EXPECT_EQ(v, 0xfee00000u | (1u << 11) | (1u << 8));  // enabled, BSP
  EXPECT_FALSE(core_view.read_msr(0x808, v)) << "x2APIC TPR while in xAPIC mode: #GP";
  EXPECT_FALSE(core_view.write_msr(0x808, 0x20));
  // Enter x2APIC mode (EN and EXTD): the MSRs work.
  ASSERT_TRUE(core_view.write_msr(0x1b, 0xfee00000u | (3u << 10) | (1u << 8)));
  ASSERT_TRUE(core_view.write_msr(0x808, 0x20));
  ASSERT_TRUE(core_view.read_msr(0x808, v));
  EXPECT_EQ(v, 0x20u);
  EXPECT_EQ(apic.tpr(), 0x20);
  EXPECT_FALSE(core_view.write_msr(0x1b, 1u << 10)) << "EXTD without EN is reserved: #GP";
}

TEST_F(ApicRegs, Cr8IsTprHighNibble) {
  core_view.set_cr8(0x9);
  EXPECT_EQ(apic.tpr(), 0x90);
  EXPECT_EQ(core_view.cr8(), 0x9);
  apic.write(LocalApic::kTpr, 0x5c, 4);  // TPR[3:0] is not visible through CR8
  EXPECT_EQ(core_view.cr8(), 0x5);
  core_view.set_cr8(0x3);                // and a CR8 write clears it
  EXPECT_EQ(apic.tpr(), 0x30);
}

TEST_F(ApicRegs, RaisingCr8HoldsBackLowerClasses) {
  apic.write(LocalApic::kSvr, 0x1ff, 4);
  ApicMessage m;
  m.vector = 0x45;
  apic.deliver(m);
  EXPECT_EQ(apic.pending_vector(), 0x45);
  core_view.set_cr8(0x4);  // class 4 is not above PPR 0x40
  EXPECT_EQ(apic.pending_vector(), -1);
  core_view.set_cr8(0x3);
  EXPECT_EQ(apic.pending_vector(), 0x45);
}

}  // namespace
}  // namespace hvsim::platform::intc
