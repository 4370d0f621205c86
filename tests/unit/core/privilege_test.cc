// SYSCALL/SYSRET, far RET to an outer level, privilege checks at CPL 3,
// control-register and MSR checks (SDM Vol. 2A/2B, Vol. 3 5.9, 6.12.1).
#include "tests/unit/core/code.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

// SYSRET to ring 3 at kUserCode running `user`.
void to_ring3(Machine& m, const std::vector<uint8_t>& user) {
  m.enter_long64();
  m.load(kCode, k_sysret);
  m.load(kUserCode, user);
  m.load(0x120000, k_sys_handler);
}

TEST(Privilege, SysretToRing3AndSyscallBack) {
  Machine m;
  to_ring3(m, k_user_syscall);
  RUN_TO_HLT(m);
  const ArchState& s = m.s();
  EXPECT_EQ(s.gpr[R12], 7u);             // ran at ring 3
  EXPECT_EQ(s.gpr[R13], kUserCode + 9);  // RCX = RIP after SYSCALL
  EXPECT_EQ(s.cpl, 0u);
  EXPECT_EQ(s.seg[CS].selector, kSelCode64);
  EXPECT_EQ(s.seg[SS].selector, kSelData0);
  EXPECT_EQ(m.e->stat_exceptions, 0u);
}

struct UserCase {
  const char* name;
  const std::vector<uint8_t>* code;
  uint64_t vector, error;
};

class UserFault : public ::testing::TestWithParam<UserCase> {};

TEST_P(UserFault, FaultsToRing0ThroughRsp0) {
  Machine m;
  to_ring3(m, *GetParam().code);
  RUN_TO_HLT(m);
  const ArchState& s = m.s();
  EXPECT_EQ(s.gpr[R14], GetParam().vector);
  EXPECT_EQ(s.cpl, 0u);
  EXPECT_EQ(s.gpr[RSP], kRsp0 - 48);
  EXPECT_EQ(m.stack64(0), GetParam().error);
  EXPECT_EQ(m.stack64(1), kUserCode);
  EXPECT_EQ(m.stack64(2), kSelUCode64 | 3u);
  EXPECT_EQ(m.stack64(4), kUserStack);
  EXPECT_EQ(m.stack64(5), kSelUData | 3u);
  EXPECT_EQ(s.seg[SS].selector, 0u);  // SS = NULL after a privilege change in IA-32e mode
  EXPECT_TRUE(m.bus.ins.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cpl3, UserFault,
    ::testing::Values(UserCase{"hlt", &k_user_hlt, 13, 0}, UserCase{"movcr", &k_user_movcr, 13, 0},
                      UserCase{"wrmsr", &k_user_wrmsr, 13, 0}, UserCase{"in", &k_user_in, 13, 0},
                      UserCase{"cli", &k_user_cli, 13, 0},
                      UserCase{"int_dpl0", &k_user_int80, 13, 0x80 * 8 + 2}),
    [](const ::testing::TestParamInfo<UserCase>& i) { return std::string(i.param.name); });

TEST(Privilege, FarReturnToRing3CompatibilityMode) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_retf_outer);
  m.load(kUserCode, k_u32_hlt);
  RUN_TO_HLT(m);
  const ArchState& s = m.s();
  EXPECT_EQ(s.gpr[R14], 13u);  // HLT at CPL 3 in compatibility mode
  EXPECT_EQ(m.stack64(1), kUserCode);
  EXPECT_EQ(m.stack64(2), kSelUCode32 | 3u);
  EXPECT_EQ(m.stack64(4), kUserStack);
  EXPECT_EQ(m.stack64(5), kSelUData | 3u);
}

TEST(Privilege, FarCallAndReturnSamePrivilege) {
  Machine m;
  m.enter_prot32();
  m.load(kCode, k_callf_retf);
  m.load(0x100100, k_far_target);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], 3u);
  EXPECT_EQ(m.s().gpr[RDI], 5u);
  EXPECT_EQ(m.s().gpr[RSP], kStack0);
}

TEST(Privilege, RdtscAfterWrmsrTsc) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_tsc);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RDX], 1u);
  EXPECT_LT(m.s().gpr[RAX], 1000u);
}

TEST(Privilege, Cr4ReservedBitFaults) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_cr4_rsvd);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 13u);
  EXPECT_EQ(m.stack64(0), 0u);
  EXPECT_EQ(m.s().cr4, CR4_PAE);
}

TEST(Privilege, Cr0UpperBitFaults) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_cr0_hi);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 13u);
  EXPECT_EQ(m.stack64(1), kCode + 8);
}

TEST(Privilege, UnknownMsrFaults) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_badmsr);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 13u);
}

TEST(Privilege, PatReservedTypeFaults) {
  Machine m;
  m.enter_long64();
  const uint64_t pat = m.s().pat;
  m.load(kCode, k_pat_bad);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 13u);
  EXPECT_EQ(m.s().pat, pat);
}

TEST(Privilege, EferLmeCannotChangeWhilePaging) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_efer_lme_pg);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 13u);
  EXPECT_TRUE(m.s().efer & EFER_LME);
}

TEST(Privilege, FsGsBaseAndSwapgs) {
  Machine m;
  m.enter_long64();
  m.s().cr4 |= CR4_FSGSBASE;
  m.load(kCode, k_wrfsbase);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], 0x12345000u);
  EXPECT_EQ(m.s().gpr[RAX], 0x12345000u);  // RDMSR IA32_FS_BASE
  Machine g;
  g.enter_long64();
  g.s().seg[GS].base = 0x7000;
  g.load(kCode, k_swapgs);
  RUN_TO_HLT(g);
  EXPECT_EQ(g.s().gpr[RAX], 0x1000u);
  EXPECT_EQ(g.s().kernel_gs_base, 0x7000u);
}

TEST(Privilege, FsGsBaseNeedsCr4Bit) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_wrfsbase);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 6u);
}

TEST(Privilege, CpuidAndPortIo) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_cpuid);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], 0x756e6547u);  // "Genu"
  Machine io;
  io.enter_long64();
  io.load(kCode, k_io_ring0);
  RUN_TO_HLT(io);
  ASSERT_EQ(io.bus.outs.size(), 1u);
  EXPECT_EQ(io.bus.outs[0].first, 0x3f8);
  EXPECT_EQ(io.bus.outs[0].second, 0x41u);
  EXPECT_EQ(io.s().gpr[RAX], 0x12345678u);
}

TEST(Privilege, SidtSgdt) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_sidt);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.peek<uint16_t>(0x5000), 0xfffu);
  EXPECT_EQ(m.peek<uint64_t>(0x5002), kIdt);
  EXPECT_EQ(m.peek<uint16_t>(0x5010), 0x57u);
  EXPECT_EQ(m.peek<uint64_t>(0x5012), kGdt);
}

}  // namespace
}  // namespace hvsim::core::testing
