#include "sim/platform/devices/acpi_pm.h"

#include "sim/platform/firmware/acpi.h"

namespace hvsim::platform {

AcpiPm::AcpiPm(std::function<uint64_t()> now_cycles, uint64_t hz,
               std::function<void(unsigned)> on_soft_off)
    : now_cycles_(std::move(now_cycles)), hz_(hz), on_soft_off_(std::move(on_soft_off)) {}

// Ticks since cycle 0, exact in integers (cycles * 3579545 / hz), mod 2^32.
uint32_t AcpiPm::timer() const {
  const unsigned __int128 t = (unsigned __int128)now_cycles_() * firmware::kPmTimerHz / hz_;
  return uint32_t(t);
}

uint8_t AcpiPm::read8(uint64_t offset) const {
  switch (offset) {
    case 0: return uint8_t(sts_);
    case 1: return uint8_t(sts_ >> 8);
    case 2: return uint8_t(en_);
    case 3: return uint8_t(en_ >> 8);
    case 4: return uint8_t(cnt_);
    case 5: return uint8_t((cnt_ & ~kSlpEn) >> 8);  // SLP_EN is write-only
    default: return 0;
  }
}

uint32_t AcpiPm::read(uint64_t offset, unsigned len) {
  if (offset >= 8 && offset < 12) {
    ++timer_reads;
    const uint64_t v = uint64_t(timer()) >> (8 * (offset - 8));
    return uint32_t(len >= 4 ? v : v & ((1ull << (8 * len)) - 1));
  }
  uint32_t v = 0;
  for (unsigned i = 0; i < len; ++i) v |= uint32_t(read8(offset + i)) << (8 * i);
  return v;
}

void AcpiPm::write8(uint64_t offset, uint8_t value) {
  switch (offset) {
    case 0: sts_ &= uint16_t(~value); break;  // write 1 to clear
    case 1: sts_ &= uint16_t(~(value << 8)); break;
    case 2: en_ = uint16_t((en_ & 0xff00) | value); break;
    case 3: en_ = uint16_t((en_ & 0x00ff) | value << 8); break;
    case 4: cnt_ = uint16_t((cnt_ & 0xff00) | value | kSciEn); break;
    case 5: cnt_ = uint16_t((cnt_ & 0x00ff) | value << 8); break;
    default: break;  // PM_TMR is read-only
  }
}

void AcpiPm::write(uint64_t offset, uint32_t value, unsigned len) {
  for (unsigned i = 0; i < len; ++i) write8(offset + i, uint8_t(value >> (8 * i)));
  if (cnt_ & kSlpEn) {  // 4.8.3.2.1: SLP_EN starts the transition to SLP_TYP
    cnt_ &= uint16_t(~kSlpEn);
    const unsigned typ = (cnt_ >> kSlpTypShift) & 7;
    if (typ == firmware::kS5SlpTyp) on_soft_off_(typ);
  }
}

}  // namespace hvsim::platform
