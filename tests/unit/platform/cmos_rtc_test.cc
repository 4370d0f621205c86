// The CMOS RTC (MC146818A): simulated time from platform.rtc_start, BCD and
// binary, 12/24-hour, SET, UIP, writes moving the clock, CMOS RAM.
#include "sim/platform/devices/cmos_rtc.h"

#include <gtest/gtest.h>

namespace hvsim::platform {
namespace {

constexpr uint64_t kHz = 1000;  // a 1 kHz "CPU": 1000 cycles a second
// 2024-02-29 23:59:58 UTC, a Thursday.
constexpr uint64_t kStart = 1709251198;

struct Rtc : ::testing::Test {
  uint64_t cycles = 0;
  CmosRtc rtc{[this] { return cycles; }, kHz, kStart, 128ull << 20};
  uint8_t rd(uint8_t reg) {
    rtc.write(0, reg, 1);
    return uint8_t(rtc.read(1, 1));
  }
  void wr(uint8_t reg, uint8_t v) {
    rtc.write(0, reg, 1);
    rtc.write(1, v, 1);
  }
};

TEST(RtcDates, CivilConversionRoundTrips) {
  EXPECT_EQ(CmosRtc::days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(CmosRtc::days_from_civil(2000, 3, 1), 11017);
  const CmosRtc::Date d = CmosRtc::civil_from_days(19782);  // 2024-02-29
  EXPECT_EQ(d.year, 2024);
  EXPECT_EQ(d.month, 2u);
  EXPECT_EQ(d.day, 29u);
  for (int64_t days = -1000; days < 200000; days += 37) {
    const CmosRtc::Date x = CmosRtc::civil_from_days(days);
    EXPECT_EQ(CmosRtc::days_from_civil(x.year, x.month, x.day), days);
  }
}

TEST_F(Rtc, BcdTimeAndDateFollowSimulatedTime) {
  EXPECT_EQ(rd(0x00), 0x58);  // seconds, BCD
  EXPECT_EQ(rd(0x02), 0x59);
  EXPECT_EQ(rd(0x04), 0x23);
  EXPECT_EQ(rd(0x06), 5);  // Thursday (Sunday = 1)
  EXPECT_EQ(rd(0x07), 0x29);
  EXPECT_EQ(rd(0x08), 0x02);
  EXPECT_EQ(rd(0x09), 0x24);
  EXPECT_EQ(rd(0x32), 0x20);  // century
  cycles = 2 * kHz;           // two seconds later: March 1st
  EXPECT_EQ(rd(0x00), 0x00);
  EXPECT_EQ(rd(0x04), 0x00);
  EXPECT_EQ(rd(0x07), 0x01);
  EXPECT_EQ(rd(0x08), 0x03);
  EXPECT_EQ(rd(0x0d), 0x80) << "VRT";
  EXPECT_EQ(rd(0x0c), 0x00) << "no interrupt flags";
}

TEST_F(Rtc, BinaryAnd12HourFormats) {
  wr(0x0b, CmosRtc::kDmBinary);  // binary, 12-hour
  EXPECT_EQ(rd(0x00), 58);
  EXPECT_EQ(rd(0x04), 0x80 | 11) << "11 PM";
  wr(0x0b, CmosRtc::kDmBinary | CmosRtc::k24Hour);
  EXPECT_EQ(rd(0x04), 23);
}

TEST_F(Rtc, UipDuringTheLast244MicrosecondsOfASecond) {
  cycles = 999;  // 999 ms into a second: inside the update window? 1 ms at 1 kHz
  EXPECT_EQ(rd(0x0a) & 0x80, 0) << "999 ms: 1000 us before the update";
  CmosRtc fast{[this] { return cycles; }, 1'000'000, kStart, 0};
  cycles = 999'800;
  fast.write(0, 0x0a, 1);
  EXPECT_EQ(fast.read(1, 1), 0x26u | 0x80u) << "200 us before the update: UIP";
  cycles = 999'700;
  EXPECT_EQ(fast.read(1, 1), 0x26u);
}

TEST_F(Rtc, SetFreezesAndWritesMoveTheClock) {
  wr(0x0b, CmosRtc::kSet | CmosRtc::k24Hour);
  wr(0x04, 0x08);  // 08:59:58
  wr(0x09, 0x30);  // 2030
  cycles = 5 * kHz;
  EXPECT_EQ(rd(0x00), 0x58) << "stands still while SET";
  wr(0x0b, CmosRtc::k24Hour);
  cycles = 8 * kHz;  // three seconds after SET was cleared
  EXPECT_EQ(rd(0x00), 0x01);
  EXPECT_EQ(rd(0x02), 0x00);
  EXPECT_EQ(rd(0x04), 0x09);
  EXPECT_EQ(rd(0x09), 0x30);
  EXPECT_EQ(rd(0x08), 0x03) << "2030 has no Feb 29: the date rolls to March 1";
  wr(0x02, 0x30);  // without SET, a write moves the running clock
  EXPECT_EQ(rd(0x02), 0x30);
  EXPECT_EQ(rd(0x00), 0x01);
}

TEST_F(Rtc, CmosRamAndQemuMemorySizes) {
  wr(0x40, 0xab);
  EXPECT_EQ(rd(0x40), 0xab);
  EXPECT_EQ(rd(0x15) | rd(0x16) << 8, 640);
  EXPECT_EQ(rd(0x30) | rd(0x31) << 8, 65535) << "KiB above 1 MiB, capped at 16 bits";
  EXPECT_EQ(rd(0x34) | rd(0x35) << 8, (128 - 16) * 16) << "64 KiB units above 16 MiB";
  rtc.write(0, 0x80 | 0x40, 1);
  EXPECT_EQ(rtc.index(), 0x40);
  EXPECT_EQ(rtc.nmi_disabled(), 0x80);
}

}  // namespace
}  // namespace hvsim::platform
