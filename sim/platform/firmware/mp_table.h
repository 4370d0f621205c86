// The Intel MultiProcessor Specification 1.4 tables (chapter 4, "MP
// Configuration Table"): the MP floating pointer structure at kMpFloating
// in the BIOS ROM area (4.1: "in the BIOS ROM address space between
// 0F0000h and 0FFFFFh") and the MP configuration table after it: one
// processor entry per CPU (APIC ID = index, CPU 0 the BSP), the ISA bus,
// the I/O APIC, the ISA interrupt assignments as the board wires them (IRQ
// 0 to INTIN2, IRQ n to INTIN n, the 8259 as ExtINT on INTIN0) and the
// local interrupt assignments (ExtINT on LINT0, NMI on LINT1). ACPI tables
// live below (0xe0000-0xf0000, firmware/acpi*).
#pragma once

#include <cstdint>
#include <span>

namespace hvsim::platform {

constexpr uint64_t kMpFloating = 0xf0000;  // 16-byte aligned, reserved in the memory map

struct MpTableParams {
  unsigned cpus = 1;
  uint32_t cpu_signature = 0;  // CPUID.1 EAX (stepping, model, family)
  uint32_t cpu_features = 0;   // CPUID.1 EDX
  uint8_t ioapic_id = 0;
  uint32_t lapic_base = 0xfee00000, ioapic_base = 0xfec00000;
};

// Writes both structures into guest RAM (`ram` starts at physical 0);
// returns the number of bytes used from kMpFloating.
size_t write_mp_table(std::span<uint8_t> ram, const MpTableParams& p);

}  // namespace hvsim::platform
