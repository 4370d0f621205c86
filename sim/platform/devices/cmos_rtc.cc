#include "sim/platform/devices/cmos_rtc.h"

#include <algorithm>

namespace hvsim::platform {

namespace {
enum Reg : uint8_t {
  kSeconds = 0x00,
  kMinutes = 0x02,
  kHours = 0x04,
  kWeekday = 0x06,
  kDay = 0x07,
  kMonth = 0x08,
  kYear = 0x09,
  kStatusA = 0x0a,
  kStatusB = 0x0b,
  kStatusC = 0x0c,
  kStatusD = 0x0d,
  kCentury = 0x32,
};
constexpr uint8_t kUip = 0x80, kVrt = 0x80;
constexpr uint64_t kUpdateUs = 244;  // MC146818A update cycle (UIP high before it)
constexpr int64_t kSecondsPerDay = 86400;

bool is_time_reg(uint8_t r) {
  return r == kSeconds || r == kMinutes || r == kHours || r == kWeekday || r == kDay ||
         r == kMonth || r == kYear || r == kCentury;
}
}  // namespace

CmosRtc::CmosRtc(std::function<uint64_t()> now_cycles, uint64_t hz, uint64_t start,
                 uint64_t ram_bytes)
    : now_cycles_(std::move(now_cycles)), hz_(hz ? hz : 1), offset_(int64_t(start)) {
  // QEMU pc (hw/i386/pc.c): base memory 640 KiB, extended memory in KiB
  // above 1 MiB (capped), memory above 16 MiB and above 4 GiB in 64 KiB units.
  auto put16 = [this](unsigned at, uint64_t v) {
    ram_[at] = uint8_t(v);
    ram_[at + 1] = uint8_t(v >> 8);
  };
  put16(0x15, 640);
  const uint64_t below_4g = std::min<uint64_t>(ram_bytes, 0xe0000000ull);
  const uint64_t ext_kib =
      below_4g > (1u << 20) ? std::min<uint64_t>((below_4g >> 10) - 1024, 65535) : 0;
  put16(0x17, ext_kib);
  put16(0x30, ext_kib);
  put16(0x34,
        below_4g > (16u << 20) ? std::min<uint64_t>((below_4g - (16u << 20)) >> 16, 0xffff) : 0);
  const uint64_t above = ram_bytes > below_4g ? (ram_bytes - below_4g) >> 16 : 0;
  ram_[0x5b] = uint8_t(above);
  ram_[0x5c] = uint8_t(above >> 8);
  ram_[0x5d] = uint8_t(above >> 16);
}

// Days since 1970-01-01 <-> proleptic Gregorian date, by 400-year eras
// (146097 days each, starting on March 1 so the leap day ends a year).
CmosRtc::Date CmosRtc::civil_from_days(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // March = 0
  const unsigned day = unsigned(doy - (153 * mp + 2) / 5 + 1);
  const unsigned month = unsigned(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

int64_t CmosRtc::days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;
  const int64_t mp = month > 2 ? month - 3 : month + 9;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

uint64_t CmosRtc::now_seconds(uint64_t* fraction_us) const {
  const uint64_t c = now_cycles_ ? now_cycles_() : 0;
  if (fraction_us) *fraction_us = (c % hz_) * 1'000'000 / hz_;
  if (reg_b_ & kSet) return frozen_;
  return uint64_t(offset_ + int64_t(c / hz_));
}

uint8_t CmosRtc::encode(unsigned v) const {
  return (reg_b_ & kDmBinary) ? uint8_t(v) : uint8_t((v / 10) << 4 | (v % 10));
}
unsigned CmosRtc::decode(uint8_t v) const {
  return (reg_b_ & kDmBinary) ? v : (v >> 4) * 10 + (v & 0xf);
}

uint8_t CmosRtc::time_field(uint8_t reg, uint64_t t) const {
  const int64_t days = int64_t(t) / kSecondsPerDay, secs = int64_t(t) % kSecondsPerDay;
  const Date d = civil_from_days(days);
  switch (reg) {
    case kSeconds:
      return encode(unsigned(secs % 60));
    case kMinutes:
      return encode(unsigned(secs / 60 % 60));
    case kHours: {
      const unsigned h = unsigned(secs / 3600);
      if (reg_b_ & k24Hour) return encode(h);
      const unsigned h12 = h % 12 == 0 ? 12 : h % 12;
      return uint8_t(encode(h12) | (h >= 12 ? 0x80 : 0));  // bit 7: PM
    }
    case kWeekday:
      return encode(unsigned((days % 7 + 7 + 4) % 7 + 1));  // 1970-01-01: Thursday
    case kDay:
      return encode(d.day);
    case kMonth:
      return encode(d.month);
    case kYear:
      return encode(unsigned(d.year % 100));
    default:
      return encode(unsigned(d.year / 100));  // kCentury
  }
}

// A write to a time register sets that field of the current date and time.
void CmosRtc::set_time_field(uint8_t reg, uint8_t value) {
  const uint64_t t = now_seconds(nullptr);
  const int64_t days = int64_t(t) / kSecondsPerDay;
  int64_t secs = int64_t(t) % kSecondsPerDay;
  Date d = civil_from_days(days);
  unsigned s = unsigned(secs % 60), m = unsigned(secs / 60 % 60), h = unsigned(secs / 3600);
  switch (reg) {
    case kSeconds:
      s = decode(value) % 60;
      break;
    case kMinutes:
      m = decode(value) % 60;
      break;
    case kHours:
      if (reg_b_ & k24Hour) {
        h = decode(value) % 24;
      } else {
        h = decode(value & 0x7f) % 12 + ((value & 0x80) ? 12 : 0);
      }
      break;
    case kDay:
      d.day = std::clamp(decode(value), 1u, 31u);
      break;
    case kMonth:
      d.month = std::clamp(decode(value), 1u, 12u);
      break;
    case kYear:
      d.year = d.year / 100 * 100 + decode(value) % 100;
      break;
    case kCentury:
      d.year = int64_t(decode(value)) * 100 + d.year % 100;
      break;
    default:
      return;  // the day of week follows the date
  }
  secs = int64_t(h) * 3600 + m * 60 + s;
  const uint64_t nt = uint64_t(days_from_civil(d.year, d.month, d.day) * kSecondsPerDay + secs);
  if (reg_b_ & kSet) {
    frozen_ = nt;
  } else {
    offset_ += int64_t(nt) - int64_t(t);
  }
}

uint8_t CmosRtc::read8(uint64_t offset) {
  if (offset == 0) return 0xff;  // the index port is write-only
  const uint8_t r = index_;
  uint64_t us = 0;
  const uint64_t t = now_seconds(&us);
  if (is_time_reg(r)) return time_field(r, t);
  switch (r) {
    case kStatusA:
      return uint8_t(reg_a_ | ((!(reg_b_ & kSet) && us >= 1'000'000 - kUpdateUs) ? kUip : 0));
    case kStatusB:
      return reg_b_;
    case kStatusC:
      return 0;  // no interrupt flags: the RTC raises no interrupts
    case kStatusD:
      return kVrt;
    default:
      return ram_[r & 0x7f];
  }
}

void CmosRtc::write8(uint64_t offset, uint8_t value) {
  if (offset == 0) {
    index_ = value & 0x7f;
    nmi_mask_ = value & 0x80;
    return;
  }
  const uint8_t r = index_;
  if (is_time_reg(r)) {
    set_time_field(r, value);
    return;
  }
  switch (r) {
    case kStatusA:
      reg_a_ = value & 0x7f;
      break;  // UIP is read-only
    case kStatusB:
      if ((value & kSet) && !(reg_b_ & kSet)) frozen_ = now_seconds(nullptr);
      if (!(value & kSet) && (reg_b_ & kSet)) {
        reg_b_ = value;  // resume from what was written while SET
        offset_ = int64_t(frozen_) - int64_t(now_seconds(nullptr)) + offset_;
        return;
      }
      reg_b_ = value;
      break;
    case kStatusC:
    case kStatusD:
      break;  // read-only
    default:
      ram_[r & 0x7f] = value;
      break;
  }
}

}  // namespace hvsim::platform
