// Enable rules, exceptions and state instructions of the vector families on
// an Engine in 64-bit mode (SDM Vol. 3 2.5, 6.15; Vol. 1 10.5, 11.5, 13.x).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sim/core/cpuid.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

constexpr uint64_t kBuf = 0x300000;  // 64-byte aligned scratch memory

class SimdExc : public ::testing::Test {
 protected:
  void SetUp() override {
    m.enter_long64();
    m.s().cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
    m.s().xcr0 = 7;
    m.s().gpr[R14] = 0xff;
  }
  // Runs `code` then HLT; returns the vector taken (0xff: none).
  unsigned run(std::vector<uint8_t> code) {
    code.push_back(0xf4);
    m.e->phys_write(kCode, code.data(), static_cast<unsigned>(code.size()));  // drops stale blocks
    m.s().gpr[R14] = 0xff;
    m.s().rip = kCode;
    m.run(100);
    return static_cast<unsigned>(m.s().gpr[R14]);
  }
  Machine m;
};

TEST_F(SimdExc, CR0TsGivesNmAndEmGivesUd) {
  m.s().cr0 |= CR0_TS;
  EXPECT_EQ(run({0x0f, 0x58, 0xc1}), kNM);  // addps xmm0, xmm1
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xc5, 0xf4, 0x58, 0xc2}), kNM);  // vaddps ymm0, ymm1, ymm2
  m.s().cr0 = (m.s().cr0 & ~CR0_TS) | CR0_EM;
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0x0f, 0x58, 0xc1}), kUD);
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xc5, 0xf4, 0x58, 0xc2}), 0xffu);  // VEX ignores CR0.EM
}

TEST_F(SimdExc, OsfxsrAndXcr0Gate) {
  m.s().cr4 &= ~CR4_OSFXSR;
  EXPECT_EQ(run({0x0f, 0x58, 0xc1}), kUD);
  m.s().cr4 |= CR4_OSFXSR;
  m.s().xcr0 = 3;  // no AVX state
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xc5, 0xf4, 0x58, 0xc2}), kUD);
  m.s().xcr0 = 7;
  m.s().cr4 &= ~CR4_OSXSAVE;
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xc5, 0xf4, 0x58, 0xc2}), kUD);
}

TEST_F(SimdExc, UnmaskedDivideByZeroRaisesXmAndKeepsDestination) {
  m.s().vec.ymm[0][0] = 0x3f800000;  // 1.0f
  m.s().vec.ymm[1][0] = 0;           // 0.0f
  m.s().vec.mxcsr = 0x1f80 & ~0x200;  // ZM clear
  EXPECT_EQ(run({0xf3, 0x0f, 0x5e, 0xc1}), kXM);  // divss xmm0, xmm1
  EXPECT_EQ(m.s().vec.ymm[0][0], 0x3f800000u);
  EXPECT_EQ(m.s().vec.mxcsr & 0x3f, 0x4u);  // ZE
  // Without CR4.OSXMMEXCPT the same is #UD.
  m.s().cr4 &= ~CR4_OSXMMEXCPT;
  m.s().vec.mxcsr = 0x1f80 & ~0x200;
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xf3, 0x0f, 0x5e, 0xc1}), kUD);
  // Masked: the result is +inf and only the flag is set.
  m.s().vec.mxcsr = 0x1f80;
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xf3, 0x0f, 0x5e, 0xc1}), 0xffu);
  EXPECT_EQ(m.s().vec.ymm[0][0] & 0xffffffff, 0x7f800000u);
  EXPECT_EQ(m.s().vec.mxcsr, 0x1f84u);
}

TEST_F(SimdExc, LdmxcsrReservedBitsGiveGp) {
  m.s().gpr[RAX] = kBuf;
  m.poke<uint32_t>(kBuf, 0x10000 | 0x1f80);
  EXPECT_EQ(run({0x0f, 0xae, 0x10}), kGP);  // ldmxcsr [rax]
  EXPECT_EQ(m.s().vec.mxcsr, 0x1f80u);
  m.poke<uint32_t>(kBuf, 0x7fc0);  // RC = 11b, FZ, DAZ
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0x0f, 0xae, 0x10}), 0xffu);
  EXPECT_EQ(m.s().vec.mxcsr, 0x7fc0u);
}

TEST_F(SimdExc, MisalignedMovapsGivesGpMovupsDoesNot) {
  m.s().gpr[RAX] = kBuf + 8;
  EXPECT_EQ(run({0x0f, 0x28, 0x00}), kGP);  // movaps xmm0, [rax]
  m.s().gpr[R14] = 0xff;
  m.poke<uint64_t>(kBuf + 8, 0x1122334455667788);
  EXPECT_EQ(run({0x0f, 0x10, 0x00}), 0xffu);  // movups xmm0, [rax]
  EXPECT_EQ(m.s().vec.ymm[0][0], 0x1122334455667788u);
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xc5, 0xfc, 0x28, 0x00}), kGP);  // vmovaps ymm0, [rax]
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0xc5, 0xf8, 0x58, 0x00}), 0xffu);  // vaddps xmm0, xmm0, [rax]: no alignment
}

TEST_F(SimdExc, LegacySseKeepsUpperVex128ZeroesIt) {
  m.s().vec.ymm[0][2] = 0x1234;
  EXPECT_EQ(run({0x0f, 0x58, 0xc1}), 0xffu);  // addps xmm0, xmm1
  EXPECT_EQ(m.s().vec.ymm[0][2], 0x1234u);
  EXPECT_EQ(run({0xc5, 0xf0, 0x58, 0xc2}), 0xffu);  // vaddps xmm0, xmm1, xmm2
  EXPECT_EQ(m.s().vec.ymm[0][2], 0u);
  m.s().vec.ymm[5][3] = 7;
  EXPECT_EQ(run({0xc5, 0xf8, 0x77}), 0xffu);  // vzeroupper
  EXPECT_EQ(m.s().vec.ymm[5][3], 0u);
}

TEST_F(SimdExc, XsetbvChecksAndXgetbv) {
  auto xsetbv = [&](uint64_t v) {
    m.s().gpr[RCX] = 0;
    m.s().gpr[RAX] = v & 0xffffffff;
    m.s().gpr[RDX] = v >> 32;
    m.s().gpr[R14] = 0xff;
    return run({0x0f, 0x01, 0xd1});
  };
  EXPECT_EQ(xsetbv(2), kGP);  // x87 bit clear
  EXPECT_EQ(xsetbv(5), kGP);  // AVX without SSE
  EXPECT_EQ(xsetbv(0xf), kGP);  // unsupported bit
  EXPECT_EQ(xsetbv(3), 0xffu);
  EXPECT_EQ(m.s().xcr0, 3u);
  m.s().gpr[RCX] = 0;
  EXPECT_EQ(run({0x0f, 0x01, 0xd0}), 0xffu);  // xgetbv
  EXPECT_EQ(m.s().gpr[RAX], 3u);
  m.e->set_cpl(3);
  EXPECT_EQ(xsetbv(7), kGP);
}

TEST_F(SimdExc, FxsaveFxrstorRoundTrip) {
  m.s().vec.ymm[3][0] = 0xdeadbeef;
  m.s().vec.ymm[15][1] = 0x55;
  m.s().vec.mxcsr = 0x3f80;
  m.s().x87.ftw = 0xfffc;  // R0 valid
  m.s().x87.r[0] = Float80{0x8000000000000000, 0x3fff};
  m.s().gpr[RAX] = kBuf;
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x00}), 0xffu);  // fxsave64 [rax]
  EXPECT_EQ(m.peek<uint32_t>(kBuf + 24), 0x3f80u);
  EXPECT_EQ(m.peek<uint32_t>(kBuf + 28), 0xffffu);  // MXCSR_MASK
  EXPECT_EQ(m.peek<uint8_t>(kBuf + 4), 1u);         // abridged tag
  EXPECT_EQ(m.peek<uint64_t>(kBuf + 160 + 16 * 3), 0xdeadbeefu);
  m.s().vec.ymm[3][0] = 0;
  m.s().vec.mxcsr = 0x1f80;
  m.s().x87.ftw = 0xffff;
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x08}), 0xffu);  // fxrstor64 [rax]
  EXPECT_EQ(m.s().vec.ymm[3][0], 0xdeadbeefu);
  EXPECT_EQ(m.s().vec.mxcsr, 0x3f80u);
  EXPECT_EQ(m.s().x87.ftw, 0xfffcu);  // R0 valid (00), the rest empty
  m.poke<uint32_t>(kBuf + 24, 0x40000);
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x08}), kGP);
  m.s().gpr[RAX] = kBuf + 8;
  m.s().gpr[R14] = 0xff;
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x00}), kGP);  // misaligned
}

TEST_F(SimdExc, XsaveXrstorStandardLayout) {
  m.s().x87.fcw = 0x037f;  // x87 in its initial configuration (as after FNINIT)
  m.s().x87.ftw = 0xffff;
  for (Float80& r : m.s().x87.r) r = Float80{};
  m.s().vec.ymm[2][2] = 0xabcdef;
  m.s().vec.ymm[2][0] = 0x42;
  m.s().gpr[RAX] = 7;
  m.s().gpr[RDX] = 0;
  m.s().gpr[RBX] = kBuf;
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x23}), 0xffu);  // xsave64 [rbx]
  EXPECT_EQ(m.peek<uint64_t>(kBuf + 576 + 16 * 2), 0xabcdefu);
  EXPECT_EQ(m.peek<uint64_t>(kBuf + 512) & 7, 6u);  // x87 in init state: XSTATE_BV = SSE|AVX
  m.s().vec.ymm[2][2] = 0;
  m.s().vec.ymm[2][0] = 0;
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x2b}), 0xffu);  // xrstor64 [rbx]
  EXPECT_EQ(m.s().vec.ymm[2][2], 0xabcdefu);
  EXPECT_EQ(m.s().vec.ymm[2][0], 0x42u);
  // XSTATE_BV[2] = 0 initializes the AVX state.
  m.poke<uint64_t>(kBuf + 512, 2);
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x2b}), 0xffu);
  EXPECT_EQ(m.s().vec.ymm[2][2], 0u);
  // Reserved header bytes give #GP.
  m.poke<uint64_t>(kBuf + 512 + 16, 1);
  EXPECT_EQ(run({0x48, 0x0f, 0xae, 0x2b}), kGP);
}

TEST_F(SimdExc, GatherLoadsSelectedElementsAndClearsMask) {
  for (unsigned i = 0; i < 16; ++i) m.poke<uint32_t>(kBuf + 4 * i, 100 + i);
  m.s().gpr[RBX] = kBuf;
  for (unsigned i = 0; i < 8; ++i) {
    const uint32_t idx = (i * 3) % 16;
    std::memcpy(reinterpret_cast<uint8_t*>(m.s().vec.ymm[1]) + 4 * i, &idx, 4);
    const uint32_t mask = i % 3 ? 0x80000000u : 0;
    std::memcpy(reinterpret_cast<uint8_t*>(m.s().vec.ymm[2]) + 4 * i, &mask, 4);
    const uint32_t old = 7;
    std::memcpy(reinterpret_cast<uint8_t*>(m.s().vec.ymm[0]) + 4 * i, &old, 4);
  }
  EXPECT_EQ(run({0xc4, 0xe2, 0x6d, 0x90, 0x04, 0x8b}), 0xffu);  // vpgatherdd ymm0, [rbx+ymm1*4], ymm2
  for (unsigned i = 0; i < 8; ++i) {
    uint32_t v;
    std::memcpy(&v, reinterpret_cast<uint8_t*>(m.s().vec.ymm[0]) + 4 * i, 4);
    EXPECT_EQ(v, i % 3 ? 100 + (i * 3) % 16 : 7u) << i;
  }
  for (unsigned k = 0; k < 4; ++k) EXPECT_EQ(m.s().vec.ymm[2][k], 0u);
  // The same register as destination and mask is #UD.
  EXPECT_EQ(run({0xc4, 0xe2, 0x7d, 0x90, 0x04, 0x8b}), kUD);  // vpgatherdd ymm0, [rbx+ymm1*4], ymm0
}

TEST_F(SimdExc, MaskmovdquStoresSelectedBytes) {
  m.s().gpr[RDI] = kBuf;
  for (unsigned i = 0; i < 16; ++i) m.poke<uint8_t>(kBuf + i, 0xee);
  m.s().vec.ymm[0][0] = 0x0706050403020100;
  m.s().vec.ymm[0][1] = 0x0f0e0d0c0b0a0908;
  m.s().vec.ymm[1][0] = 0x80;                  // byte 0
  m.s().vec.ymm[1][1] = 0x8000000000000000;    // byte 15
  EXPECT_EQ(run({0x66, 0x0f, 0xf7, 0xc1}), 0xffu);  // maskmovdqu xmm0, xmm1
  EXPECT_EQ(m.peek<uint8_t>(kBuf), 0u);
  EXPECT_EQ(m.peek<uint8_t>(kBuf + 1), 0xeeu);
  EXPECT_EQ(m.peek<uint8_t>(kBuf + 15), 0x0fu);
}

// An SSE-heavy loop of a million iterations: checks the result (the rate it
// prints is for the eye; speed is measured in bench/).
TEST_F(SimdExc, SseLoopThroughput) {
  constexpr uint32_t kIter = 1000000;
  m.s().vec.ymm[1][0] = 0x0000000300000001;
  m.s().vec.ymm[1][1] = 0x0000000700000005;
  std::vector<uint8_t> code = {0xb9, 0x40, 0x42, 0x0f, 0x00,  // mov ecx, 1000000
                               0x66, 0x0f, 0xfe, 0xc1,        // paddd xmm0, xmm1
                               0x0f, 0x58, 0xd3,              // addps xmm2, xmm3
                               0x66, 0x0f, 0x59, 0xe5,        // mulpd xmm4, xmm5
                               0x0f, 0x28, 0xf0,              // movaps xmm6, xmm0
                               0x66, 0x0f, 0xef, 0xfe,        // pxor xmm7, xmm6
                               0xff, 0xc9,                    // dec ecx
                               0x75, 0xea};                   // jnz loop
  code.push_back(0xf4);
  m.e->phys_write(kCode, code.data(), static_cast<unsigned>(code.size()));
  m.s().rip = kCode;
  const uint64_t i0 = m.e->instructions();
  const auto t0 = std::chrono::steady_clock::now();
  m.run(10 * kIter);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t n = m.e->instructions() - i0;
  EXPECT_EQ(m.s().vec.ymm[0][0], 0x0000000300000001ull * kIter);
  EXPECT_EQ(m.s().vec.ymm[0][1], 0x0000000700000005ull * kIter);
  std::printf("SSE loop: %llu instructions in %.3f s (%.1f MIPS)\n",
              static_cast<unsigned long long>(n), secs, n / secs / 1e6);
}

TEST_F(SimdExc, CpuidReportsXsaveLayout) {
  m.s().gpr[RAX] = 0xd;
  m.s().gpr[RCX] = 0;
  EXPECT_EQ(run({0x0f, 0xa2}), 0xffu);
  if (m.s().gpr[RAX] & 4) {
    EXPECT_EQ(m.s().gpr[RBX], 832u);  // XCR0 = 7
    EXPECT_EQ(m.s().gpr[RCX], 832u);
    m.s().gpr[RAX] = 0xd;
    m.s().gpr[RCX] = 2;
    EXPECT_EQ(run({0x0f, 0xa2}), 0xffu);
    EXPECT_EQ(m.s().gpr[RAX], 256u);
    EXPECT_EQ(m.s().gpr[RBX], 576u);
  }
  m.s().gpr[RAX] = 1;
  EXPECT_EQ(run({0x0f, 0xa2}), 0xffu);
  EXPECT_TRUE(m.s().gpr[RCX] & (1u << 27));  // OSXSAVE mirrors CR4
  EXPECT_TRUE(m.s().gpr[RDX] & (1u << 26));  // SSE2
}

}  // namespace
}  // namespace hvsim::core::testing
