// Segment-register loads and their faults (SDM Vol. 2A MOV/POP Sreg; Vol. 3 5.5-5.7),
// LTR/STR, LAR/LSL.
#include "tests/unit/core/code.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

constexpr uint16_t kSelExtra = 0x50, kSelExecOnly = 0x58;

struct SegCase {
  const char* name;
  const std::vector<uint8_t>* code;
  uint64_t extra_desc;  // descriptor at kSelExtra
  unsigned vector;
  uint32_t error;
};

class SegLoadFault : public ::testing::TestWithParam<SegCase> {};

TEST_P(SegLoadFault, ErrorCodeNamesTheSelector) {
  Machine m;
  m.enter_prot32();
  m.poke<uint64_t>(kGdt + kSelExtra, GetParam().extra_desc);
  m.poke<uint64_t>(kGdt + kSelExecOnly, seg_desc(0, 0xfffff, 0x9 | 0x10 | 0x80 | (1u << 14)));
  m.s().gdtr.limit = 0x5f;
  m.load(kCode, *GetParam().code);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSI], GetParam().vector);
  EXPECT_EQ(m.peek<uint32_t>(m.s().gpr[RSP]), GetParam().error);
}

const uint64_t kNotPresentData = seg_desc(0, 0xfffff, kData32 & ~0x80u);

INSTANTIATE_TEST_SUITE_P(
    Prot32, SegLoadFault,
    ::testing::Values(SegCase{"ss_not_present", &k_ss_np, kNotPresentData, 12, kSelExtra},
                      SegCase{"ds_not_present", &k_ds_np, kNotPresentData, 11, kSelExtra},
                      SegCase{"ss_rpl_mismatch", &k_ss_rpl, 0, 13, kSelData0},
                      SegCase{"ds_exec_only_code", &k_ds_code_exec_only, 0, 13, kSelExecOnly},
                      SegCase{"ds_beyond_gdt", &k_p32_bad_ds, 0, 13, 0x1234}),
    [](const ::testing::TestParamInfo<SegCase>& i) { return std::string(i.param.name); });

TEST(Segments, NullSsAllowedInLongModeAtCpl0) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_movss_null);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().seg[SS].selector, 0u);
  EXPECT_EQ(m.s().seg[DS].selector, 0u);
  EXPECT_EQ(m.e->stat_exceptions, 0u);
}

TEST(Segments, PushPopFsGsIn64BitMode) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_push_pop_fs);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX] & 0xffff, kSelData0);
  EXPECT_EQ(m.s().seg[GS].selector, kSelData0);
  EXPECT_EQ(m.s().gpr[RSP], kStack0);
}

TEST(Segments, LtrMarksTssBusyAndStrReadsIt) {
  Machine m;
  m.enter_long64();
  m.s().tr = Segment{};
  m.load(kCode, k_lgdt_ltr);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], kSelTss);
  EXPECT_EQ(m.s().tr.type(), 0xbu);
  EXPECT_EQ((m.peek<uint64_t>(kGdt + kSelTss) >> 40) & 0xf, 0xbu);
  EXPECT_EQ(m.s().tr.base, kTss);
}

TEST(Segments, LarLsl) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_lar_lsl);
  m.s().gpr[RDX] = 0xdead;
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], 0x00cff300u);  // user data: G, B, P, DPL 3, S, type 3
  EXPECT_EQ(m.s().gpr[RCX], 0xffffffffu);
  EXPECT_EQ(m.s().gpr[RDX], 0xdeadu);  // the LDT selector fails: unchanged, ZF = 0
  EXPECT_EQ(m.s().rflags & ZF, 0u);
}

}  // namespace
}  // namespace hvsim::core::testing
