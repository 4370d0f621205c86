#include "sim/core/hostexec/host_code.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace hvsim::core::hostexec {
namespace {

// mov eax, imm32; ret
void mov_eax_ret(uint32_t v, uint8_t out[6]) {
  out[0] = 0xb8;
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<uint8_t>(v >> (8 * i));
  out[5] = 0xc3;
}

TEST(HostCode, RunsTheBytesItWasGiven) {
  uint8_t code[6];
  mov_eax_ret(0x1234abcd, code);
  auto fn = reinterpret_cast<uint32_t (*)()>(const_cast<void*>(HostCode::instance().get(code, 6)));
  EXPECT_EQ(fn(), 0x1234abcdu);
}

TEST(HostCode, IdenticalBytesShareOneStub) {
  uint8_t a[6], b[6];
  mov_eax_ret(7, a);
  mov_eax_ret(8, b);
  HostCode& hc = HostCode::instance();
  const void* pa = hc.get(a, 6);
  const size_t n = hc.stubs();
  EXPECT_EQ(hc.get(a, 6), pa);
  EXPECT_EQ(hc.stubs(), n);
  const void* pb = hc.get(b, 6);
  EXPECT_NE(pb, pa);
  EXPECT_EQ(hc.stubs(), n + 1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(pb) % 16, 0u);
}

TEST(HostCode, RefusesEmptyOrHugeStubs) {
  uint8_t c[1] = {0xc3};
  EXPECT_THROW(HostCode::instance().get(c, 0), std::runtime_error);
  EXPECT_THROW(HostCode::instance().get(c, 5000), std::runtime_error);
}

}  // namespace
}  // namespace hvsim::core::hostexec
