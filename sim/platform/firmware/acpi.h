// ACPI tables for the `pc` machine, built into the BIOS area the way a
// firmware leaves them for the OS (ACPI Specification 6.4): the RSDP at
// 0xE0000 where the OS scans for it (5.2.5.1), RSDT and XSDT, a FADT with
// the PM1a event/control blocks and the PM timer at the ports of the ACPI
// PM device (devices/acpi_pm.h), a FACS, a MADT with a local APIC per CPU,
// the I/O APIC and QEMU pc's interrupt source overrides, and a DSDT whose
// only object is \_S5 (soft off). Plain C++: writes into a RAM image.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace hvsim::platform::firmware {

// Where the tables live: the first 64 KiB of the BIOS area, reserved in the
// e820 map the Linux loader builds.
constexpr uint64_t kAcpiBase = 0xe0000, kAcpiEnd = 0xf0000;

// The fixed hardware the FADT describes (PIIX4-style port numbers, as QEMU's pc).
constexpr uint16_t kPmBase = 0x600;             // PM1a_EVT_BLK: PM1_STS, PM1_EN
constexpr uint16_t kPm1aCnt = kPmBase + 4;      // PM1a_CNT_BLK: PM1_CNT
constexpr uint16_t kPmTimer = kPmBase + 8;      // PM_TMR_BLK: 32-bit (TMR_VAL_EXT)
constexpr uint16_t kPmSize = 12;
constexpr uint8_t kSciIrq = 9;
constexpr uint8_t kS5SlpTyp = 5;  // the SLP_TYP value \_S5 gives for PM1a_CNT
constexpr uint32_t kPmTimerHz = 3579545;        // ACPI 4.8.3.3: 3.579545 MHz
constexpr uint32_t kLocalApicAddress = 0xfee00000, kIoApicAddress = 0xfec00000;
constexpr uint8_t kIoApicId = 0;  // QEMU pc's I/O APIC ID

// Writes every table into ram (the RAM image from physical address 0) and
// returns the RSDP's address. cpus: 1..255 local APICs with IDs 0..cpus-1.
uint64_t build_acpi_tables(std::span<uint8_t> ram, unsigned cpus);

// The DSDT's AML definition block body (acpi_dsdt.cc).
std::vector<uint8_t> dsdt_aml();

}  // namespace hvsim::platform::firmware
