// The PC's CMOS RTC (Motorola MC146818A, as QEMU's mc146818rtc.c places it):
// an index at port 0x70 (bit 7 is the NMI mask, kept and ignored) and the
// selected byte at 0x71. Registers (MC146818A datasheet, "Address Map"):
// seconds 00h, minutes 02h, hours 04h (alarms 01h/03h/05h), day of week
// 06h, day 07h, month 08h, year 09h, century 32h (as QEMU), status A-D
// 0Ah-0Dh, battery-backed RAM 0Eh-7Fh.
//
// The time is simulated time: platform.rtc_start (Unix seconds at cycle 0)
// plus cycles / clock rate, so two runs read the same dates. Writes to the
// time registers move the clock; with status B's SET bit the clock stands
// still and resumes from what was written when SET is cleared. BCD or
// binary (B.DM) and 12- or 24-hour (B.24/12) formats. Status A's UIP reads
// 1 during the last 244 us of each second (the update cycle). The RTC
// raises no interrupts: PIE/AIE/UIE are stored, status C reads 0 and IRQ 8
// is never asserted. RAM bytes from 0Eh are plain storage; QEMU's memory
// sizes are preset (15h-18h, 30h-31h, 34h-35h, 5Bh-5Dh).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "sim/platform/device.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class CmosRtc : public ByteRegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kBase = 0x70;
  static constexpr uint64_t kSize = 2;
  // Status register B bits.
  static constexpr uint8_t kSet = 0x80, kDmBinary = 0x04, k24Hour = 0x02;

  // `now_cycles` is the CPU's cycle clock at `hz`; `start` the Unix time at
  // cycle 0; `ram_bytes` the RAM size QEMU reports in the CMOS bytes.
  CmosRtc(std::function<uint64_t()> now_cycles, uint64_t hz, uint64_t start, uint64_t ram_bytes);

  uint8_t index() const { return index_; }
  uint8_t nmi_disabled() const { return nmi_mask_; }

  // Civil date from days since 1970-01-01 and back (proleptic Gregorian).
  struct Date {
    int64_t year;
    unsigned month, day;  // 1-12, 1-31
  };
  static Date civil_from_days(int64_t days);
  static int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

 protected:
  uint8_t read8(uint64_t offset) override;
  void write8(uint64_t offset, uint8_t value) override;

 private:
  uint64_t now_seconds(uint64_t* fraction_us) const;  // the clock, whole seconds
  uint8_t time_field(uint8_t reg, uint64_t t) const;
  void set_time_field(uint8_t reg, uint8_t value);
  uint8_t encode(unsigned v) const;  // binary or BCD per status B
  unsigned decode(uint8_t v) const;

  std::function<uint64_t()> now_cycles_;
  uint64_t hz_;
  int64_t offset_;       // Unix seconds at cycle 0 (moved by writes)
  uint64_t frozen_ = 0;  // the clock while status B.SET is 1
  uint8_t index_ = 0, nmi_mask_ = 0;
  uint8_t reg_a_ = 0x26, reg_b_ = k24Hour;
  std::array<uint8_t, 128> ram_{};
};

}  // namespace hvsim::platform
