#include "sim/platform/firmware/mp_table.h"

#include <cstring>
#include <stdexcept>
#include <vector>

namespace hvsim::platform {

namespace {

class Bytes {
 public:
  void u8(uint8_t v) { b_.push_back(v); }
  void u16(uint16_t v) { u8(uint8_t(v)), u8(uint8_t(v >> 8)); }
  void u32(uint32_t v) { u16(uint16_t(v)), u16(uint16_t(v >> 16)); }
  void str(const char* s, size_t n) {  // space-padded, no terminator (4.2)
    for (size_t i = 0; i < n; ++i) u8(i < std::strlen(s) ? uint8_t(s[i]) : ' ');
  }
  void zeros(size_t n) { b_.insert(b_.end(), n, 0); }
  std::vector<uint8_t>& data() { return b_; }

 private:
  std::vector<uint8_t> b_;
};

// The byte that makes the sum of [begin, end) zero.
uint8_t checksum(const std::vector<uint8_t>& b, size_t begin, size_t end) {
  uint8_t sum = 0;
  for (size_t i = begin; i < end; ++i) sum = uint8_t(sum + b[i]);
  return uint8_t(-sum);
}

constexpr uint8_t kSpecRev = 4;  // MP spec 1.4

// Table 4-3 entry types; Table 4-10/4-11 interrupt types.
enum : uint8_t { kProcessor = 0, kBus = 1, kIoApic = 2, kIoIntr = 3, kLocalIntr = 4 };
enum : uint8_t { kInt = 0, kNmi = 1, kExtInt = 3 };

}  // namespace

size_t write_mp_table(std::span<uint8_t> ram, const MpTableParams& p) {
  Bytes t;
  // 4.1 Figure 4-2: the floating pointer structure (16 bytes).
  const uint32_t config = uint32_t(kMpFloating + 16);
  t.str("_MP_", 4);
  t.u32(config);
  t.u8(1);  // length in 16-byte paragraphs
  t.u8(kSpecRev);
  t.u8(0);  // checksum, below
  t.zeros(5);  // feature bytes: 0 = a configuration table is present
  t.data()[10] = checksum(t.data(), 0, 16);

  // 4.2 Figure 4-3: the configuration table header (44 bytes).
  const size_t h = t.data().size();
  t.str("PCMP", 4);
  t.u16(0);  // base table length, below
  t.u8(kSpecRev);
  t.u8(0);  // checksum, below
  t.str("HVSIM", 8);
  t.str("HVSIM PC", 12);
  t.u32(0);  // no OEM table
  t.u16(0);
  t.u16(0);  // entry count, below
  t.u32(p.lapic_base);
  t.u16(0);  // extended table length
  t.u8(0);   // extended table checksum
  t.u8(0);
  uint16_t entries = 0;
  // 4.3.1 Figure 4-4: processors (20 bytes each); flags bit 0 EN, bit 1 BP.
  for (unsigned i = 0; i < p.cpus; ++i, ++entries) {
    t.u8(kProcessor);
    t.u8(uint8_t(i));
    t.u8(0x14);  // local APIC version (LocalApic::kVersion)
    t.u8(uint8_t(1 | (i == 0 ? 2 : 0)));
    t.u32(p.cpu_signature);
    t.u32(p.cpu_features);
    t.zeros(8);
  }
  // 4.3.2: the ISA bus, ID 0.
  t.u8(kBus), t.u8(0), t.str("ISA", 6), ++entries;
  // 4.3.3: the I/O APIC (flags bit 0 EN).
  t.u8(kIoApic), t.u8(p.ioapic_id), t.u8(0x11), t.u8(1), t.u32(p.ioapic_base), ++entries;
  // 4.3.4: I/O interrupt assignments; flags 0 = conforms to the bus (ISA:
  // edge, active high).
  auto io = [&](uint8_t type, uint8_t irq, uint8_t pin) {
    t.u8(kIoIntr), t.u8(type), t.u16(0), t.u8(0), t.u8(irq), t.u8(p.ioapic_id), t.u8(pin);
    ++entries;
  };
  io(kExtInt, 0, 0);
  for (uint8_t irq = 0; irq < 16; ++irq) {
    if (irq == 2) continue;  // the cascade
    io(kInt, irq, irq == 0 ? 2 : irq);
  }
  // 4.3.5: local interrupt assignments to every local APIC (ID 0xff).
  auto local = [&](uint8_t type, uint8_t lint) {
    t.u8(kLocalIntr), t.u8(type), t.u16(0), t.u8(0), t.u8(0), t.u8(0xff), t.u8(lint);
    ++entries;
  };
  local(kExtInt, 0);
  local(kNmi, 1);

  std::vector<uint8_t>& b = t.data();
  const uint16_t length = uint16_t(b.size() - h);
  b[h + 4] = uint8_t(length), b[h + 5] = uint8_t(length >> 8);
  b[h + 34] = uint8_t(entries), b[h + 35] = uint8_t(entries >> 8);
  b[h + 7] = checksum(b, h, b.size());
  if (kMpFloating + b.size() > ram.size() || kMpFloating + b.size() > 0x100000)
    throw std::length_error("MP table does not fit below 1 MiB");
  std::memcpy(ram.data() + kMpFloating, b.data(), b.size());
  return b.size();
}

}  // namespace hvsim::platform
