// x87 and MMX instruction classes: each form is charged its own configurable
// latency (timing.x87_*_cycles, timing.mmx*_cycles).
#include <gtest/gtest.h>

#include <vector>

#include "sim/base/params.h"
#include "sim/core/decoder.h"
#include "sim/core/x87/x87.h"
#include "sim/timing/latencies.h"

namespace hvsim::core {
namespace {

TEST(X87Timing, ClassesAndConfigKeys) {
  base::ParamRegistry reg;
  timing::Latencies::declare_params(reg);
  base::Config cfg(reg);
  cfg.set_override("timing.x87_arith_cycles=7");
  cfg.set_override("timing.x87_trans_cycles=91");
  cfg.set_override("timing.mmx_mul_cycles=5");
  const timing::Latencies lat = timing::Latencies::from_config(cfg);
  Decoder dec(lat);
  struct Case {
    std::vector<uint8_t> bytes;
    timing::InsnClass cls;
    uint32_t cycles;
  } cases[] = {
      {{0xd8, 0xc1}, timing::k_x87_arith, 7},               // fadd st0, st1
      {{0xd9, 0xfe}, timing::k_x87_trans, 91},              // fsin
      {{0xde, 0xf9}, timing::k_x87_div, lat.cls[timing::k_x87_div]},  // fdivp
      {{0xd9, 0xe8}, timing::k_x87_move, lat.cls[timing::k_x87_move]},  // fld1
      {{0xdd, 0x30}, timing::k_x87_env, lat.cls[timing::k_x87_env] + lat.mem_operand},  // fnsave [rax]
      {{0x0f, 0xd5, 0xc1}, timing::k_mmx_mul, 5},           // pmullw mm0, mm1
      {{0x0f, 0xfc, 0xc1}, timing::k_mmx, lat.cls[timing::k_mmx]},  // paddb mm0, mm1
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> b = c.bytes;
    b.resize(15, 0x90);
    DecodedInsn d;
    ASSERT_EQ(dec.decode(b.data(), b.size(), kDecLong64, d), DecodeStatus::kOk);
    EXPECT_EQ(d.len, c.bytes.size());
    EXPECT_EQ(d.tclass, c.cls) << std::hex << int(c.bytes[0]) << " " << int(c.bytes[1]);
    // What the simple core model charges it (timing::SimpleCore::retire).
    const uint32_t charged =
        lat.cls[d.tclass] + ((d.deps.flags & timing::kMemOperand) ? lat.mem_operand : 0);
    EXPECT_EQ(charged, c.cycles) << std::hex << int(c.bytes[0]) << " " << int(c.bytes[1]);
  }
}

// The XMM form of a mnemonic shared with MMX is not taken by the MMX family.
TEST(X87Timing, XmmFormOfSharedMnemonicIsNotMmx) {
  base::ParamRegistry reg;
  timing::Latencies::declare_params(reg);
  base::Config cfg(reg);
  const timing::Latencies lat = timing::Latencies::from_config(cfg);  // Decoder keeps a ref
  Decoder dec(lat);
  std::vector<uint8_t> b = {0x66, 0x0f, 0xfc, 0xc1};  // paddb xmm0, xmm1
  b.resize(15, 0x90);
  DecodedInsn d;
  ASSERT_EQ(dec.decode(b.data(), b.size(), kDecLong64, d), DecodeStatus::kOk);
  std::vector<uint8_t> m = {0x0f, 0xfc, 0xc1};  // paddb mm0, mm1
  m.resize(15, 0x90);
  DecodedInsn dm;
  ASSERT_EQ(dec.decode(m.data(), m.size(), kDecLong64, dm), DecodeStatus::kOk);
  EXPECT_NE(d.exec, &x87::exec_host);  // the SSE family's (or #UD while it has none)
  EXPECT_EQ(dm.exec, &x87::exec_host);
}

}  // namespace
}  // namespace hvsim::core
