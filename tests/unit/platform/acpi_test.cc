// The ACPI tables of firmware/acpi.h, read back the way an OS finds them:
// the RSDP in the BIOS area, then the RSDT/XSDT, FADT, MADT, FACS, DSDT.
#include "sim/platform/firmware/acpi.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace hvsim::platform::firmware {
namespace {

template <typename T>
T get(const std::vector<uint8_t>& ram, uint64_t addr) {
  T v;
  std::memcpy(&v, &ram[addr], sizeof v);
  return v;
}

uint8_t sum(const std::vector<uint8_t>& ram, uint64_t addr, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = uint8_t(s + ram[addr + i]);
  return s;
}

std::string sig(const std::vector<uint8_t>& ram, uint64_t addr) {
  return std::string(reinterpret_cast<const char*>(&ram[addr]), 4);
}

class AcpiTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> ram = std::vector<uint8_t>(2 << 20);
  uint64_t rsdp = 0;
  void build(unsigned cpus) { rsdp = build_acpi_tables(ram, cpus); }
  // The table the XSDT lists with this signature (0 if none), checksum checked.
  uint64_t find(const std::string& want) {
    const uint64_t xsdt = get<uint64_t>(ram, rsdp + 24);
    const uint32_t len = get<uint32_t>(ram, xsdt + 4);
    for (uint64_t e = xsdt + 36; e < xsdt + len; e += 8) {
      const uint64_t t = get<uint64_t>(ram, e);
      if (sig(ram, t) == want) {
        EXPECT_EQ(sum(ram, t, get<uint32_t>(ram, t + 4)), 0) << want;
        return t;
      }
    }
    return 0;
  }
};

TEST_F(AcpiTest, RsdpInBiosAreaWithBothChecksums) {
  build(1);
  EXPECT_EQ(rsdp, kAcpiBase);
  EXPECT_EQ(rsdp % 16, 0u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&ram[rsdp]), 8), "RSD PTR ");
  EXPECT_EQ(ram[rsdp + 15], 2);  // revision 2: XSDT present
  EXPECT_EQ(sum(ram, rsdp, 20), 0);
  EXPECT_EQ(sum(ram, rsdp, 36), 0);
}

TEST_F(AcpiTest, RsdtAndXsdtListTheSameTables) {
  build(1);
  const uint32_t rsdt = get<uint32_t>(ram, rsdp + 16);
  EXPECT_EQ(sig(ram, rsdt), "RSDT");
  EXPECT_EQ(sum(ram, rsdt, get<uint32_t>(ram, rsdt + 4)), 0);
  EXPECT_EQ(get<uint32_t>(ram, rsdt + 36), find("FACP"));
  EXPECT_EQ(get<uint32_t>(ram, rsdt + 40), find("APIC"));
}

TEST_F(AcpiTest, FadtPointsAtPmBlocksFacsAndDsdt) {
  build(1);
  const uint64_t f = find("FACP");
  ASSERT_NE(f, 0u);
  EXPECT_EQ(get<uint32_t>(ram, f + 4), 244u);
  EXPECT_EQ(get<uint16_t>(ram, f + 46), kSciIrq);
  EXPECT_EQ(get<uint32_t>(ram, f + 48), 0u);  // no SMI_CMD: always in ACPI mode
  EXPECT_EQ(get<uint32_t>(ram, f + 56), kPmBase);
  EXPECT_EQ(get<uint32_t>(ram, f + 64), kPm1aCnt);
  EXPECT_EQ(get<uint32_t>(ram, f + 76), kPmTimer);
  EXPECT_EQ(ram[f + 91], 4);                             // PM_TMR_LEN
  EXPECT_TRUE(get<uint32_t>(ram, f + 112) & (1u << 8));  // TMR_VAL_EXT
  EXPECT_EQ(get<uint64_t>(ram, f + 208 + 4), kPmTimer);  // X_PM_TMR_BLK address
  const uint64_t facs = get<uint64_t>(ram, f + 132);
  EXPECT_EQ(sig(ram, facs), "FACS");
  EXPECT_EQ(facs % 64, 0u);
  EXPECT_EQ(sig(ram, get<uint64_t>(ram, f + 140)), "DSDT");
  EXPECT_EQ(get<uint32_t>(ram, f + 40), get<uint64_t>(ram, f + 140));
}

TEST_F(AcpiTest, DsdtHoldsS5PackageAndPciRootBridge) {
  build(1);
  const uint64_t d = get<uint64_t>(ram, find("FACP") + 140);
  const uint32_t len = get<uint32_t>(ram, d + 4);
  EXPECT_EQ(sum(ram, d, len), 0);
  const std::vector<uint8_t> aml(ram.begin() + long(d + 36), ram.begin() + long(d + len));
  const std::vector<uint8_t> s5 = {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                   0x0a, kS5SlpTyp, 0x0a, kS5SlpTyp, 0x00, 0x00};
  ASSERT_GE(aml.size(), s5.size());
  EXPECT_EQ(std::vector<uint8_t>(aml.begin(), aml.begin() + long(s5.size())), s5);
  // Scope (\_SB) { Device (PCI0) { _HID EisaId ("PNP0A03"), _ADR 0, _UID 0,
  //                                 _CRS { WordBusNumber (0-0xff) } } }
  const std::vector<uint8_t> sb = {
      0x10, 0x3e, '\\', '_', 'S', 'B', '_',                       // Scope, PkgLength 62
      0x5b, 0x82, 0x36, 'P', 'C', 'I', '0',                        // Device, PkgLength 54
      0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03,      // EisaId ("PNP0A03")
      0x08, '_', 'A', 'D', 'R', 0x00, 0x08, '_', 'U', 'I', 'D', 0x00,
      0x08, '_', 'C', 'R', 'S', 0x11, 0x15, 0x0a, 0x12,            // Buffer (18)
      0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00,        // WordBusNumber
      0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01, 0x79, 0x00};       // 0-0xff, End Tag
  EXPECT_EQ(std::vector<uint8_t>(aml.begin() + long(s5.size()), aml.end()), sb);
}

TEST_F(AcpiTest, MadtHasOneLocalApicPerCpuAndQemuOverrides) {
  build(4);
  const uint64_t m = find("APIC");
  ASSERT_NE(m, 0u);
  EXPECT_EQ(get<uint32_t>(ram, m + 36), kLocalApicAddress);
  unsigned lapics = 0, ioapics = 0, overrides = 0;
  const uint32_t len = get<uint32_t>(ram, m + 4);
  for (uint64_t e = m + 44; e < m + len; e += ram[e + 1]) {
    ASSERT_GT(ram[e + 1], 0);
    if (ram[e] == 0) {
      EXPECT_EQ(ram[e + 3], lapics);  // APIC IDs 0..cpus-1
      EXPECT_EQ(get<uint32_t>(ram, e + 4), 1u);
      ++lapics;
    } else if (ram[e] == 1) {
      EXPECT_EQ(get<uint32_t>(ram, e + 4), kIoApicAddress);
      ++ioapics;
    } else if (ram[e] == 2) {
      if (ram[e + 3] == 0) {
        EXPECT_EQ(get<uint32_t>(ram, e + 4), 2u);  // IRQ 0 -> GSI 2
      }
      if (ram[e + 3] == kSciIrq) {
        EXPECT_EQ(get<uint16_t>(ram, e + 8), 0xdu);
      }
      ++overrides;
    }
  }
  EXPECT_EQ(lapics, 4u);
  EXPECT_EQ(ioapics, 1u);
  EXPECT_EQ(overrides, 5u);
}

TEST_F(AcpiTest, RejectsCpuCountOutOfRange) {
  EXPECT_THROW(build_acpi_tables(ram, 0), std::invalid_argument);
  EXPECT_THROW(build_acpi_tables(ram, 256), std::invalid_argument);
  EXPECT_NO_THROW(build_acpi_tables(ram, 255));
}

}  // namespace
}  // namespace hvsim::platform::firmware
