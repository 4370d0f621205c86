// isa-debug-exit ends the run with the written value; port 0x80 costs cycles.
#include <gtest/gtest.h>

#include "sim/platform/devices/debug_exit.h"
#include "sim/platform/devices/port80.h"

namespace hvsim::platform {
namespace {

TEST(DebugExit, WriteCallsBackWithLowByteAndPort) {
  int calls = 0;
  uint8_t status = 0;
  uint16_t port = 0;
  DebugExit dev([&](uint8_t s, uint16_t p) { ++calls, status = s, port = p; });
  RegisterDevice& d = dev;
  d.write(0, 0x1234, 4);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(status, 0x34);
  EXPECT_EQ(port, 0xf4);
  d.write(0, 7, 1);
  EXPECT_EQ(calls, 1) << "only the first write ends the run";
  EXPECT_TRUE(dev.fired());
}

TEST(DebugExit, ZeroIsAnExitToo) {
  int calls = 0;
  DebugExit dev([&](uint8_t s, uint16_t) { calls += (s == 0); });
  static_cast<RegisterDevice&>(dev).write(0, 0, 1);
  EXPECT_EQ(calls, 1);
}

TEST(Port80, AcceptsWritesAndChargesItsCycles) {
  Port80 dev(3000);
  RegisterDevice& d = dev;
  d.write(0, 0x55, 1);
  EXPECT_EQ(dev.last_value, 0x55);
  EXPECT_EQ(dev.writes, 1u);
  EXPECT_EQ(d.access_cycles(), 3000u);
  EXPECT_EQ(d.read(0, 1), 0xffu);
}

}  // namespace
}  // namespace hvsim::platform
