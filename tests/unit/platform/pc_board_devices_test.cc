// The board devices Linux uses on the pc machine: the ACPI PM registers
// (devices/acpi_pm.h), the i8042 (devices/i8042.h) and PCI configuration
// mechanism #1 with the 440FX host bridge (devices/pci_host.h).
#include <gtest/gtest.h>

#include <vector>

#include "sim/platform/devices/acpi_pm.h"
#include "sim/platform/devices/i8042.h"
#include "sim/platform/devices/pci_host.h"
#include "sim/platform/firmware/acpi.h"

namespace hvsim::platform {
namespace {

class AcpiPmTest : public ::testing::Test {
 protected:
  uint64_t cycles = 0;
  std::vector<unsigned> soft_offs;
  AcpiPm pm{[this] { return cycles; }, 3'000'000'000ull,
            [this](unsigned typ) { soft_offs.push_back(typ); }};
};

TEST_F(AcpiPmTest, TimerRunsAt3579545HzFromCycles) {
  EXPECT_EQ(pm.read(8, 4), 0u);
  cycles = 3'000'000'000ull;  // one second
  EXPECT_EQ(pm.read(8, 4), firmware::kPmTimerHz);
  cycles = 3'000'000'000ull * 2000;  // wraps at 2^32 ticks
  EXPECT_EQ(pm.read(8, 4), uint32_t(uint64_t(firmware::kPmTimerHz) * 2000));
  EXPECT_EQ(pm.read(9, 1), (uint32_t(uint64_t(firmware::kPmTimerHz) * 2000) >> 8) & 0xff);
}

TEST_F(AcpiPmTest, SciEnReadsOneAndS5EndsTheRun) {
  EXPECT_EQ(pm.read(4, 2) & AcpiPm::kSciEn, AcpiPm::kSciEn);
  pm.write(4, firmware::kS5SlpTyp << AcpiPm::kSlpTypShift, 2);  // SLP_TYP alone: nothing
  EXPECT_TRUE(soft_offs.empty());
  EXPECT_EQ((pm.read(4, 2) >> AcpiPm::kSlpTypShift) & 7, firmware::kS5SlpTyp);
  pm.write(4, (firmware::kS5SlpTyp << AcpiPm::kSlpTypShift) | AcpiPm::kSlpEn, 2);
  ASSERT_EQ(soft_offs.size(), 1u);
  EXPECT_EQ(soft_offs[0], firmware::kS5SlpTyp);
  EXPECT_EQ(pm.read(4, 2) & AcpiPm::kSlpEn, 0u);  // write-only
}

TEST_F(AcpiPmTest, OtherSleepTypesDoNotPowerOff) {
  pm.write(4, (1u << AcpiPm::kSlpTypShift) | AcpiPm::kSlpEn, 2);
  EXPECT_TRUE(soft_offs.empty());
}

TEST_F(AcpiPmTest, EnableRegisterKeepsValueStatusIsWriteOneToClear) {
  pm.write(2, 0x0121, 2);
  EXPECT_EQ(pm.read(2, 2), 0x0121u);
  pm.write(0, 0xffff, 2);
  EXPECT_EQ(pm.read(0, 2), 0u);
}

class I8042Test : public ::testing::Test {
 protected:
  int resets = 0;
  std::vector<std::pair<unsigned, bool>> irqs;
  I8042 kbc{[this] { ++resets; }, [this](unsigned l, bool v) { irqs.push_back({l, v}); }};
};

TEST_F(I8042Test, SelfTestAndCommandByte) {
  EXPECT_EQ(kbc.read_status() & I8042::kObf, 0);
  kbc.write_command(0xaa);
  EXPECT_EQ(kbc.read_status() & I8042::kObf, I8042::kObf);
  EXPECT_EQ(kbc.read_data(), 0x55);
  kbc.write_command(0x60);
  kbc.write_data(0x00);  // interrupts off
  kbc.write_command(0x20);
  EXPECT_EQ(kbc.read_data(), 0x00);
  EXPECT_EQ(resets, 0);
}

TEST_F(I8042Test, OutputBufferRaisesIrq1WhenEnabled) {
  kbc.write_command(0xab);  // default command byte enables the keyboard interrupt
  ASSERT_FALSE(irqs.empty());
  EXPECT_EQ(irqs.back(), (std::pair<unsigned, bool>{1, true}));
  kbc.read_data();
  EXPECT_EQ(irqs.back(), (std::pair<unsigned, bool>{1, false}));
}

TEST_F(I8042Test, PulseResetLineResets) {
  kbc.write_command(0xfe);
  EXPECT_EQ(resets, 1);
  kbc.write_command(0xff);  // pulses nothing
  EXPECT_EQ(resets, 1);
  kbc.write_command(0xd1);
  kbc.write_data(0x02);  // output port bit 0 low
  EXPECT_EQ(resets, 2);
}

TEST_F(I8042Test, ByteForAbsentKeyboardTimesOut) {
  kbc.write_data(0xf2);
  EXPECT_TRUE(kbc.read_status() & I8042::kTimeout);
  EXPECT_EQ(kbc.read_data(), 0xfe);
}

class PciHostTest : public ::testing::Test {
 protected:
  int resets = 0;
  PciHost pci{[this] { ++resets; }};
  uint32_t config(unsigned dev, unsigned reg, unsigned len = 4) {
    pci.write(0, 0x80000000u | (dev << 11) | (reg & 0xfc), 4);
    return pci.read(4 + (reg & 3), len);
  }
};

TEST_F(PciHostTest, HostBridgeAt00_0) {
  EXPECT_EQ(config(0, 0x00), 0x12378086u);
  EXPECT_EQ(config(0, 0x08) >> 8, 0x060000u);  // class: host bridge
  EXPECT_EQ(config(0, 0x02, 2), 0x1237u);
  EXPECT_EQ(config(0, 0x0b, 1), 0x06u);
}

TEST_F(PciHostTest, AbsentFunctionsReadAllOnes) {
  EXPECT_EQ(config(1, 0x00), 0xffffffffu);
  EXPECT_EQ(config(31, 0x00, 2), 0xffffu);
  pci.write(0, 0x00000000u, 4);  // enable bit clear
  EXPECT_EQ(pci.read(4, 4), 0xffffffffu);
}

TEST_F(PciHostTest, ConfigAddressReadsBackAndIdIsReadOnly) {
  pci.write(0, 0x80000000u, 4);
  EXPECT_EQ(pci.read(0, 4), 0x80000000u);
  pci.write(4, 0xdeadbeef, 4);
  EXPECT_EQ(pci.read(4, 4), 0x12378086u);
  pci.write(0, 0x80000050u, 4);  // chipset registers are writable
  pci.write(4, 0x11223344, 4);
  EXPECT_EQ(pci.read(4, 4), 0x11223344u);
}

TEST_F(PciHostTest, ResetControlCf9) {
  pci.write(1, 0x02, 1);
  EXPECT_EQ(resets, 0);
  pci.write(1, 0x06, 1);
  EXPECT_EQ(resets, 1);
}

}  // namespace
}  // namespace hvsim::platform
