// build_acpi_tables (acpi.h). Field offsets are those of the ACPI 6.4
// tables named at each function; every table carries the common header of
// 5.2.6 and a checksum that makes its bytes sum to zero.
#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string>

#include "sim/platform/firmware/acpi.h"

namespace hvsim::platform::firmware {

namespace {

// One table's bytes; the largest (a MADT for 255 CPUs) is about 2 KiB.
class Table {
 public:
  template <typename T>
  void put(size_t off, T v) {
    grow(off + sizeof v);
    std::memcpy(&bytes_[off], &v, sizeof v);
  }
  void put_chars(size_t off, const char* s, size_t n) {
    grow(off + n);
    std::memcpy(&bytes_[off], s, n);
  }
  void append(const std::vector<uint8_t>& b) {
    const size_t at = size_;
    grow(size_ + b.size());
    std::memcpy(&bytes_[at], b.data(), b.size());
  }
  size_t size() const { return size_; }
  uint8_t* data() { return bytes_.data(); }

 private:
  void grow(size_t end) {
    if (end > bytes_.size()) throw std::length_error("ACPI table larger than 4 KiB");
    size_ = std::max(size_, end);
  }
  std::array<uint8_t, 4096> bytes_{};
  size_t size_ = 0;
};

uint8_t checksum(const uint8_t* p, size_t n) {
  uint8_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum = uint8_t(sum + p[i]);
  return uint8_t(-sum);
}

// 5.2.6 System Description Table Header (36 bytes); length and checksum
// are filled by place().
void header(Table& t, const char* sig, uint8_t revision) {
  t.put_chars(0, sig, 4);
  t.put<uint8_t>(8, revision);
  t.put_chars(10, "HVSIM ", 6);
  t.put_chars(16, "HVSIMPC ", 8);
  t.put<uint32_t>(24, 1);
  t.put_chars(28, "HVSM", 4);
  t.put<uint32_t>(32, 1);
}

// 5.2.3.2 Generic Address Structure for a System I/O register.
void gas_io(Table& t, size_t off, uint8_t bits, uint16_t port) {
  if (port == 0) return;  // an absent block stays all zero
  t.put<uint8_t>(off, 1);  // address space: System I/O
  t.put<uint8_t>(off + 1, bits);
  t.put<uint8_t>(off + 2, 0);
  t.put<uint8_t>(off + 3, bits == 32 ? 3 : bits == 16 ? 2 : 1);  // access size
  t.put<uint64_t>(off + 4, port);
}

// Copies tables into ram one after another, aligned.
class Placer {
 public:
  explicit Placer(std::span<uint8_t> ram) : ram_(ram) {}
  uint64_t place(Table& t, uint64_t align, bool sdt = true) {
    next_ = (next_ + align - 1) & ~(align - 1);
    const uint64_t at = next_;
    if (at + t.size() > kAcpiEnd || at + t.size() > ram_.size())
      throw std::length_error("ACPI tables do not fit in [0xe0000, 0xf0000)");
    if (sdt) {
      t.put<uint32_t>(4, uint32_t(t.size()));
      t.put<uint8_t>(9, 0);
      t.put<uint8_t>(9, checksum(t.data(), t.size()));
    }
    std::memcpy(ram_.data() + at, t.data(), t.size());
    next_ = at + t.size();
    return at;
  }

 private:
  std::span<uint8_t> ram_;
  uint64_t next_ = kAcpiBase + 64;  // the RSDP takes the first 36 bytes
};

// 5.2.10 Firmware ACPI Control Structure (64 bytes, 64-byte aligned, no checksum).
Table facs() {
  Table t;
  t.put_chars(0, "FACS", 4);
  t.put<uint32_t>(4, 64);
  t.put<uint8_t>(32, 2);  // version
  t.put<uint8_t>(63, 0);
  return t;
}

// 5.2.9 Fixed ACPI Description Table, revision 3 (244 bytes: the 32-bit
// block addresses and their 64-bit X_ forms agree).
Table fadt(uint64_t facs_addr, uint64_t dsdt_addr) {
  Table t;
  header(t, "FACP", 3);
  t.put<uint32_t>(36, uint32_t(facs_addr));  // FIRMWARE_CTRL
  t.put<uint32_t>(40, uint32_t(dsdt_addr));  // DSDT
  t.put<uint16_t>(46, kSciIrq);              // SCI_INT
  // SMI_CMD (48) = 0: no SMI mode transition; the hardware is always in
  // ACPI mode and PM1_CNT.SCI_EN reads 1 (4.8.2.1, 5.2.9).
  t.put<uint32_t>(56, kPmBase);   // PM1a_EVT_BLK
  t.put<uint32_t>(64, kPm1aCnt);  // PM1a_CNT_BLK
  t.put<uint32_t>(76, kPmTimer);  // PM_TMR_BLK
  t.put<uint8_t>(88, 4);          // PM1_EVT_LEN: status and enable, 2 bytes each
  t.put<uint8_t>(89, 2);          // PM1_CNT_LEN
  t.put<uint8_t>(91, 4);          // PM_TMR_LEN
  t.put<uint16_t>(96, 0x0fff);    // P_LVL2_LAT > 100: no C2
  t.put<uint16_t>(98, 0x0fff);    // P_LVL3_LAT > 1000: no C3
  t.put<uint8_t>(108, 0x32);      // CENTURY: the CMOS index of the century byte
  // IAPC_BOOT_ARCH: LEGACY_DEVICES (bit 0). The 8042 bit (1) stays clear:
  // the i8042 model has only the reset line, no keyboard or mouse.
  t.put<uint16_t>(109, 0x0001);
  // Flags: WBINVD (0), PROC_C1 (2), PWR_BUTTON (4) and SLP_BUTTON (5)
  // (no fixed-feature buttons), TMR_VAL_EXT (8: the PM timer is 32 bits).
  t.put<uint32_t>(112, (1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 8));
  t.put<uint64_t>(132, facs_addr);  // X_FIRMWARE_CTRL
  t.put<uint64_t>(140, dsdt_addr);  // X_DSDT
  gas_io(t, 148, 32, kPmBase);      // X_PM1a_EVT_BLK
  gas_io(t, 172, 16, kPm1aCnt);     // X_PM1a_CNT_BLK
  gas_io(t, 208, 32, kPmTimer);     // X_PM_TMR_BLK
  t.put<uint8_t>(243, 0);           // 244 bytes
  return t;
}

// 5.2.12 Multiple APIC Description Table with its interrupt controller
// structures (5.2.12.2 local APIC, 5.2.12.3 I/O APIC, 5.2.12.5 interrupt
// source override, 5.2.12.7 local APIC NMI).
Table madt(unsigned cpus) {
  Table t;
  header(t, "APIC", 1);
  t.put<uint32_t>(36, kLocalApicAddress);
  t.put<uint32_t>(40, 1);  // PCAT_COMPAT: the 8259 pair is present
  size_t at = 44;
  for (unsigned i = 0; i < cpus; ++i, at += 8) {
    t.put<uint8_t>(at, 0);
    t.put<uint8_t>(at + 1, 8);
    t.put<uint8_t>(at + 2, uint8_t(i));  // ACPI processor UID
    t.put<uint8_t>(at + 3, uint8_t(i));  // APIC ID
    t.put<uint32_t>(at + 4, 1);          // Enabled
  }
  t.put<uint8_t>(at, 1);
  t.put<uint8_t>(at + 1, 12);
  t.put<uint8_t>(at + 2, kIoApicId);
  t.put<uint32_t>(at + 4, kIoApicAddress);
  t.put<uint32_t>(at + 8, 0);  // global system interrupt base
  at += 12;
  // QEMU pc: ISA IRQ 0 on GSI 2 (conforming flags), and the PCI IRQs 5, 9
  // (the SCI), 10 and 11 level-triggered, active high (flags 0x000d).
  const std::pair<uint8_t, uint16_t> overrides[] = {{0, 0}, {5, 0xd}, {9, 0xd}, {10, 0xd}, {11, 0xd}};
  for (auto [irq, flags] : overrides) {
    t.put<uint8_t>(at, 2);
    t.put<uint8_t>(at + 1, 10);
    t.put<uint8_t>(at + 2, 0);  // bus: ISA
    t.put<uint8_t>(at + 3, irq);
    t.put<uint32_t>(at + 4, irq == 0 ? 2 : irq);
    t.put<uint16_t>(at + 8, flags);
    at += 10;
  }
  t.put<uint8_t>(at, 4);  // NMI on LINT1 of every processor (UID 0xff)
  t.put<uint8_t>(at + 1, 6);
  t.put<uint8_t>(at + 2, 0xff);
  t.put<uint16_t>(at + 3, 0);
  t.put<uint8_t>(at + 5, 1);
  return t;
}

}  // namespace

uint64_t build_acpi_tables(std::span<uint8_t> ram, unsigned cpus) {
  if (cpus < 1 || cpus > 255)
    throw std::invalid_argument("ACPI: " + std::to_string(cpus) + " CPUs (1..255 supported)");
  Placer p(ram);
  Table f = facs();
  const uint64_t facs_addr = p.place(f, 64, false);
  Table d;
  header(d, "DSDT", 2);
  d.append(dsdt_aml());
  const uint64_t dsdt_addr = p.place(d, 16);
  Table fa = fadt(facs_addr, dsdt_addr);
  const uint64_t fadt_addr = p.place(fa, 16);
  Table m = madt(cpus);
  const uint64_t madt_addr = p.place(m, 16);
  Table rsdt;  // 5.2.7: 32-bit entries
  header(rsdt, "RSDT", 1);
  rsdt.put<uint32_t>(36, uint32_t(fadt_addr));
  rsdt.put<uint32_t>(40, uint32_t(madt_addr));
  const uint64_t rsdt_addr = p.place(rsdt, 16);
  Table xsdt;  // 5.2.8: 64-bit entries
  header(xsdt, "XSDT", 1);
  xsdt.put<uint64_t>(36, fadt_addr);
  xsdt.put<uint64_t>(44, madt_addr);
  const uint64_t xsdt_addr = p.place(xsdt, 16);

  // 5.2.5.3 Root System Description Pointer, revision 2 (36 bytes): the
  // checksum covers the first 20 bytes, the extended checksum all 36.
  Table r;
  r.put_chars(0, "RSD PTR ", 8);
  r.put_chars(9, "HVSIM ", 6);
  r.put<uint8_t>(15, 2);
  r.put<uint32_t>(16, uint32_t(rsdt_addr));
  r.put<uint32_t>(20, 36);
  r.put<uint64_t>(24, xsdt_addr);
  r.put<uint8_t>(35, 0);
  r.put<uint8_t>(8, checksum(r.data(), 20));
  r.put<uint8_t>(32, checksum(r.data(), 36));
  std::memcpy(ram.data() + kAcpiBase, r.data(), 36);
  return kAcpiBase;
}

}  // namespace hvsim::platform::firmware
