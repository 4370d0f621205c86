// Debug facilities (SDM Vol. 3 ch. 17, 6.8.3, 6.15): single-step, DR0-DR3
// instruction/data/I/O breakpoints, DR6/DR7 rules, general detect, RF,
// ICEBP, and alignment checking, on an Engine over RAM.
#include "tests/unit/core/code.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

// Assembled with GNU as (Intel syntax), source above each array.
// mov rax, [rsp]; mov [r15*8 + 0x6000], rax; mov rax, dr6; mov [r15*8 + 0x6800], rax; mov rax, [rsp+16]; mov [r15*8 + 0x7000], rax; inc r15; iretq
const std::vector<uint8_t> k_db_handler = {0x48, 0x8b, 0x04, 0x24, 0x4a, 0x89, 0x04, 0xfd, 0x00, 0x60, 0x00, 0x00, 0x0f, 0x21, 0xf0, 0x4a, 0x89, 0x04, 0xfd, 0x00, 0x68, 0x00, 0x00, 0x48, 0x8b, 0x44, 0x24, 0x10, 0x4a, 0x89, 0x04, 0xfd, 0x00, 0x70, 0x00, 0x00, 0x49, 0xff, 0xc7, 0x48, 0xcf};
// mov rax, [rsp]; mov [r15*8 + 0x6000], rax; mov rax, dr6; mov [r15*8 + 0x6800], rax; inc r15; or qword ptr [rsp+16], 0x10000; iretq
const std::vector<uint8_t> k_db_handler_rf = {0x48, 0x8b, 0x04, 0x24, 0x4a, 0x89, 0x04, 0xfd, 0x00, 0x60, 0x00, 0x00, 0x0f, 0x21, 0xf0, 0x4a, 0x89, 0x04, 0xfd, 0x00, 0x68, 0x00, 0x00, 0x49, 0xff, 0xc7, 0x48, 0x81, 0x4c, 0x24, 0x10, 0x00, 0x00, 0x01, 0x00, 0x48, 0xcf};
// pushfq; or qword ptr [rsp], 0x100; popfq; mov ecx, 5; 1: dec ecx; jnz 1b; pushfq; and qword ptr [rsp], -0x101; popfq; hlt
const std::vector<uint8_t> k_ss_loop = {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0xb9, 0x05, 0x00, 0x00, 0x00, 0xff, 0xc9, 0x75, 0xfc, 0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d, 0xf4};
// mov ax, ss; pushfq; or qword ptr [rsp], 0x100; popfq; mov ss, ax; nop; nop; pushfq; and qword ptr [rsp], -0x101; popfq; hlt
const std::vector<uint8_t> k_ss_movss = {0x66, 0x8c, 0xd0, 0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x8e, 0xd0, 0x90, 0x90, 0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d, 0xf4};
// pushfq; or qword ptr [rsp], 0x100; popfq; sti; nop; cli; pushfq; and qword ptr [rsp], -0x101; popfq; hlt
const std::vector<uint8_t> k_ss_sti = {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0xfb, 0x90, 0xfa, 0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d, 0xf4};
// pushfq; or qword ptr [rsp], 0x100; popfq; int 0x80
const std::vector<uint8_t> k_ss_int = {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0xcd, 0x80};
// nop; nop; mov r12, 1; hlt
const std::vector<uint8_t> k_bp_insn = {0x90, 0x90, 0x49, 0xc7, 0xc4, 0x01, 0x00, 0x00, 0x00, 0xf4};
// mov word ptr [0x5006], ax; mov dword ptr [0x5008], eax; mov eax, [0x5004]; hlt
const std::vector<uint8_t> k_data_w = {0x66, 0x89, 0x04, 0x25, 0x06, 0x50, 0x00, 0x00, 0x89, 0x04, 0x25, 0x08, 0x50, 0x00, 0x00, 0x8b, 0x04, 0x25, 0x04, 0x50, 0x00, 0x00, 0xf4};
// mov al, [0x5017]; mov al, [0x5018]; mov [0x500f], ax; hlt
const std::vector<uint8_t> k_data_rw8 = {0x8a, 0x04, 0x25, 0x17, 0x50, 0x00, 0x00, 0x8a, 0x04, 0x25, 0x18, 0x50, 0x00, 0x00, 0x66, 0x89, 0x04, 0x25, 0x0f, 0x50, 0x00, 0x00, 0xf4};
// out 0x80, al; out 0x81, al; hlt
const std::vector<uint8_t> k_io_bp = {0xe6, 0x80, 0xe6, 0x81, 0xf4};
// mov rax, dr0; mov r12, 1; hlt
const std::vector<uint8_t> k_gd = {0x0f, 0x21, 0xc0, 0x49, 0xc7, 0xc4, 0x01, 0x00, 0x00, 0x00, 0xf4};
// mov rax, dr4; hlt
const std::vector<uint8_t> k_dr4 = {0x0f, 0x21, 0xe0, 0xf4};
// mov rax, 0x100000400; mov dr7, rax; hlt
const std::vector<uint8_t> k_dr7_hi = {0x48, 0xb8, 0x00, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x23, 0xf8, 0xf4};
// mov rax, 0x1ffff0ff0; mov dr6, rax; hlt
const std::vector<uint8_t> k_dr6_hi = {0x48, 0xb8, 0xf0, 0x0f, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x23, 0xf0, 0xf4};
// ud2
const std::vector<uint8_t> k_ud2 = {0x0f, 0x0b};
// .byte 0xf1; hlt
const std::vector<uint8_t> k_icebp = {0xf1, 0xf4};
// mov ax, [0x5001]; hlt
const std::vector<uint8_t> k_ac_word_odd = {0x66, 0x8b, 0x04, 0x25, 0x01, 0x50, 0x00, 0x00, 0xf4};
// mov eax, [0x5002]; hlt
const std::vector<uint8_t> k_ac_dword = {0x8b, 0x04, 0x25, 0x02, 0x50, 0x00, 0x00, 0xf4};
// mov rax, [0x5004]; hlt
const std::vector<uint8_t> k_ac_qword = {0x48, 0x8b, 0x04, 0x25, 0x04, 0x50, 0x00, 0x00, 0xf4};
// mov al, [0x5001]; mov ax, [0x5002]; mov eax, [0x5004]; mov rax, [0x5008]; mov [0x5010], rax; hlt
const std::vector<uint8_t> k_ac_ok = {0x8a, 0x04, 0x25, 0x01, 0x50, 0x00, 0x00, 0x66, 0x8b, 0x04, 0x25, 0x02, 0x50, 0x00, 0x00, 0x8b, 0x04, 0x25, 0x04, 0x50, 0x00, 0x00, 0x48, 0x8b, 0x04, 0x25, 0x08, 0x50, 0x00, 0x00, 0x48, 0x89, 0x04, 0x25, 0x10, 0x50, 0x00, 0x00, 0xf4};
// push rax; hlt
const std::vector<uint8_t> k_ac_push = {0x50, 0xf4};
// mov ecx, 3; mov edi, 0x5000; pushfq; or qword ptr [rsp], 0x100; popfq; rep stosb; pushfq; and qword ptr [rsp], -0x101; popfq; hlt
const std::vector<uint8_t> k_ss_rep = {0xb9, 0x03, 0x00, 0x00, 0x00, 0xbf, 0x00, 0x50, 0x00, 0x00, 0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0xf3, 0xaa, 0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d, 0xf4};
// pushfq; or qword ptr [rsp], 0x100; popfq; syscall
const std::vector<uint8_t> k_ss_syscall = {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x0f, 0x05};

constexpr uint64_t kDbHandler = 0x20000;
constexpr uint64_t kRips = 0x6000, kDr6s = 0x6800, kFlags = 0x7000;
constexpr uint64_t kDr6Init = 0xffff0ff0;

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

// 64-bit mode at CPL 0 with a #DB handler that records, per #DB, the saved
// RIP, DR6 and RFLAGS (R15 counts them).
struct DbMachine : Machine {
  explicit DbMachine(const std::vector<uint8_t>& code, bool handler_sets_rf = false) {
    enter_long64();
    load(kDbHandler, handler_sets_rf ? k_db_handler_rf : k_db_handler);
    set_gate64(kDB, kDbHandler);
    load(kCode, code);
  }
  uint64_t count() { return e->s.gpr[R15]; }
  uint64_t rip(unsigned i) const { return peek<uint64_t>(kRips + 8 * i); }
  uint64_t dr6(unsigned i) const { return peek<uint64_t>(kDr6s + 8 * i); }
  uint64_t flags(unsigned i) const { return peek<uint64_t>(kFlags + 8 * i); }
  std::vector<uint64_t> rips() {
    std::vector<uint64_t> v;
    for (unsigned i = 0; i < count(); ++i) v.push_back(rip(i) - kCode);
    return v;
  }
  void arm(unsigned i, uint64_t addr, uint64_t dr7) {
    e->s.dr[i] = addr;
    e->s.dr[7] = dr7 | 0x400;
    e->debug_sync();
  }
};

// ---- single-step (SDM Vol. 3 17.3.1.4) ------------------------------------

TEST(SingleStep, TrapsAfterEachInstructionOfALoopButNotAfterThePopfThatSetsTf) {
  DbMachine m(k_ss_loop);
  RUN_TO_HLT(m);
  // mov ecx (ends at 15), 5 x (dec: 17, jnz: 15 or 19), pushfq 20, and 28, popfq 29.
  const std::vector<uint64_t> want = {15, 17, 15, 17, 15, 17, 15, 17, 15, 17, 19, 20, 28, 29};
  EXPECT_EQ(m.rips(), want);
  for (unsigned i = 0; i < m.count(); ++i) {
    EXPECT_EQ(m.dr6(i), kDr6Init | kDr6Bs) << i;
    EXPECT_EQ((m.flags(i) & TF) != 0, i + 1 < m.count()) << i;  // the last POPF cleared TF
    EXPECT_FALSE(m.flags(i) & RF) << i;  // traps do not set RF
  }
  EXPECT_FALSE(m.s().rflags & TF);
}

TEST(SingleStep, MovSsHoldsTheTrapForOneInstruction) {
  DbMachine m(k_ss_movss);
  RUN_TO_HLT(m);
  // MOV SS ends at 15: its trap is held and merged with the NOP's (16).
  const std::vector<uint64_t> want = {16, 17, 18, 26, 27};
  EXPECT_EQ(m.rips(), want);
}

TEST(SingleStep, StiShadowDoesNotHoldTheTrap) {
  DbMachine m(k_ss_sti);
  RUN_TO_HLT(m);
  const std::vector<uint64_t> want = {11, 12, 13, 14, 22, 23};
  EXPECT_EQ(m.rips(), want);
}

TEST(SingleStep, IntNClearsTfAndIsNotFollowedByATrap) {
  DbMachine m(k_ss_int);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.count(), 0u);
  EXPECT_EQ(m.s().gpr[R14], 0x80u);  // the INT 0x80 handler ran with TF = 0
  EXPECT_EQ(m.stack64(0), kCode + 12);
  EXPECT_TRUE(m.stack64(2) & TF);  // the pushed image keeps TF
}

TEST(SingleStep, RepStringTrapsAfterEachIteration) {
  DbMachine m(k_ss_rep);
  RUN_TO_HLT(m);
  ASSERT_GE(m.count(), 3u);
  EXPECT_EQ(m.rip(0), kCode + 20);  // RIP stays on the REP while RCX != 0
  EXPECT_EQ(m.rip(1), kCode + 20);
  EXPECT_EQ(m.rip(2), kCode + 22);
  EXPECT_EQ(m.s().gpr[RCX], 0u);
  EXPECT_EQ(m.s().gpr[RDI], 0x5003u);
}

// SYSCALL's single-step trap follows TF as SYSCALL leaves it (SDM Vol. 2B
// SYSCALL/SYSRET; Linux masks TF through IA32_FMASK so that a user's
// single-step never traps on the kernel's entry instruction).
TEST(SingleStep, SyscallMaskingTfTakesNoTrap) {
  DbMachine m(k_ss_syscall);
  m.load(0x120000, k_sys_handler);
  m.s().star = 0x0018000800000000ull;
  m.s().lstar = 0x120000;
  m.s().sfmask = TF;
  RUN_TO_HLT(m);
  EXPECT_EQ(m.count(), 0u);          // TF was 1 at its start, 0 at its end
  EXPECT_TRUE(m.s().gpr[R11] & TF);  // R11 keeps it for SYSRET
  EXPECT_EQ(m.s().gpr[R13], kCode + 12);
}

TEST(SingleStep, SyscallKeepingTfTrapsAtTheHandlerEntry) {
  DbMachine m(k_ss_syscall);
  // mov r13, rcx; pushfq; and qword ptr [rsp], -0x101; popfq; hlt
  m.load(0x120000, {0x49, 0x89, 0xcd, 0x9c, 0x48, 0x81, 0x24, 0x24, 0xff, 0xfe, 0xff, 0xff, 0x9d, 0xf4});
  m.s().star = 0x0018000800000000ull;
  m.s().lstar = 0x120000;
  m.s().sfmask = 0;
  RUN_TO_HLT(m);
  ASSERT_EQ(m.count(), 5u);  // after SYSCALL, then each handler instruction up to POPF
  EXPECT_EQ(m.rip(0), 0x120000u);  // the trap follows SYSCALL, whose end has TF = 1
  EXPECT_TRUE(m.dr6(0) & (1u << 14));  // DR6.BS
  EXPECT_EQ(m.s().gpr[R13], kCode + 12);
}

// ---- breakpoints (SDM Vol. 3 17.2) -----------------------------------------

TEST(Breakpoints, InstructionBreakpointFaultsAndRfSuppressesItOnce) {
  DbMachine m(k_bp_insn, /*handler_sets_rf=*/true);
  m.arm(0, kCode + 1, 0x1);  // L0, R/W0 = 00, LEN0 = 00
  RUN_TO_HLT(m);
  ASSERT_EQ(m.count(), 1u);  // the NOP ran once, with RF = 1, without a second #DB
  EXPECT_EQ(m.rip(0), kCode + 1);  // a fault: before the instruction
  EXPECT_EQ(m.dr6(0), kDr6Init | 1);
  EXPECT_EQ(m.s().gpr[R12], 1u);
  EXPECT_FALSE(m.s().rflags & RF);  // cleared once the instruction completed
}

// SDM Vol. 3 6.8.3: on Intel an instruction breakpoint on the instruction
// after MOV SS is inhibited (kvm-unit-tests emulator.flat); AMD reports it.
// mov ax, ss; mov ss, ax; nop; hlt
TEST(Breakpoints, InstructionBreakpointAfterMovSsInhibitedOnIntel) {
  const std::vector<uint8_t> code = {0x66, 0x8c, 0xd0, 0x8e, 0xd0, 0x90, 0xf4};
  DbMachine m(code, /*handler_sets_rf=*/true);
  m.arm(0, kCode + 5, 0x1);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.count(), 0u);
}

TEST(Breakpoints, DataWriteBreakpointTrapsOnWritesOnly) {
  DbMachine m(k_data_w);
  m.s().dr[0] = 0x5006;                    // a matching address but not enabled
  m.arm(1, 0x5004, 0x4 | 1u << 20 | 3u << 22);  // L1, R/W1 = 01, LEN1 = 11 (4 bytes)
  RUN_TO_HLT(m);
  ASSERT_EQ(m.count(), 1u);  // the write at 0x5008 and the read at 0x5004 do not match
  EXPECT_EQ(m.rip(0), kCode + 8);  // a trap: after the instruction
  EXPECT_EQ(m.dr6(0), kDr6Init | 2);  // B1 only: B0 is reported for enabled breakpoints only
}

TEST(Breakpoints, EightByteReadWriteBreakpointIgnoresTheLowAddressBits) {
  DbMachine m(k_data_rw8);
  m.arm(2, 0x5013, 0x20 | 3u << 24 | 2u << 26);  // G2, R/W2 = 11, LEN2 = 10: 0x5010-0x5017
  RUN_TO_HLT(m);
  const std::vector<uint64_t> want = {7, 22};  // the read of 0x5017; the write of 0x500f-0x5010
  EXPECT_EQ(m.rips(), want);
  EXPECT_EQ(m.dr6(0), kDr6Init | 4);
  EXPECT_EQ(m.dr6(1), kDr6Init | 4);
}

TEST(Breakpoints, IoBreakpointNeedsCr4De) {
  for (bool de : {true, false}) {
    DbMachine m(k_io_bp);
    if (de) m.s().cr4 |= CR4_DE;
    m.arm(3, 0x80, 0x40 | 2u << 28);  // L3, R/W3 = 10, LEN3 = 00
    RUN_TO_HLT(m);
    if (de) {
      ASSERT_EQ(m.count(), 1u);
      EXPECT_EQ(m.rip(0), kCode + 2);
      EXPECT_EQ(m.dr6(0), kDr6Init | 8);
    } else {
      EXPECT_EQ(m.count(), 0u);
    }
  }
}

TEST(Breakpoints, DisarmedBreakpointsLetTheFastPathRun) {
  DbMachine m(k_data_w);
  m.arm(1, 0x5004, 0x4 | 1u << 20 | 3u << 22);
  m.arm(1, 0x5004, 0);  // disabled again
  RUN_TO_HLT(m);
  EXPECT_EQ(m.count(), 0u);
}

TEST(Breakpoints, GeneralDetectFaultsOnMovDrAndClearsGd) {
  DbMachine m(k_gd);
  m.s().dr[7] = 0x400 | kDr7Gd;
  RUN_TO_HLT(m);
  ASSERT_EQ(m.count(), 1u);
  EXPECT_EQ(m.rip(0), kCode);  // a fault: MOV DR ran again after the handler
  EXPECT_EQ(m.dr6(0), kDr6Init | kDr6Bd);
  EXPECT_FALSE(m.flags(0) & RF);  // #DB never sets RF in its image
  EXPECT_FALSE(m.s().dr[7] & kDr7Gd);
  EXPECT_EQ(m.s().gpr[R12], 1u);
}

TEST(Breakpoints, Dr4AliasesDr6WithoutCr4DeAndIsUdWithIt) {
  DbMachine m(k_dr4);
  m.s().dr[6] = kDr6Init | kDr6Bs;
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RAX], kDr6Init | kDr6Bs);
  DbMachine u(k_dr4);
  u.s().cr4 |= CR4_DE;
  RUN_TO_HLT(u);
  EXPECT_EQ(u.s().gpr[R14], uint64_t{kUD});
}

TEST(Breakpoints, UpperHalfOfDr6AndDr7IsGp) {
  for (const auto* code : {&k_dr7_hi, &k_dr6_hi}) {
    DbMachine m(*code);
    RUN_TO_HLT(m);
    EXPECT_EQ(m.s().gpr[R14], uint64_t{kGP});
    EXPECT_EQ(m.stack64(0), 0u);
    EXPECT_TRUE(m.stack64(3) & RF);  // a fault's image has RF set
    EXPECT_EQ(m.s().dr[7], 0x400u);
  }
}

TEST(Breakpoints, IcebpIsATrapAndLeavesDr6Alone) {
  DbMachine m(k_icebp);
  RUN_TO_HLT(m);
  ASSERT_EQ(m.count(), 1u);
  EXPECT_EQ(m.rip(0), kCode + 1);
  EXPECT_EQ(m.dr6(0), kDr6Init);
}

// ---- RF (SDM Vol. 3 17.3.1.1) -----------------------------------------------

TEST(ResumeFlag, FaultImageHasRfAndDeliveryClearsIt) {
  DbMachine m(k_ud2);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], uint64_t{kUD});
  EXPECT_EQ(m.stack64(0), kCode);
  EXPECT_TRUE(m.stack64(2) & RF);
  EXPECT_FALSE(m.s().rflags & RF);
}

TEST(ResumeFlag, TrapsAndInterruptsDoNotSetIt) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_int3_64);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], uint64_t{kBP});
  EXPECT_FALSE(m.stack64(2) & RF);
}

// ---- alignment check (SDM Vol. 3 6.15 "Interrupt 17") --------------------------

struct AcCase {
  const char* name;
  const std::vector<uint8_t>* code;
  bool am, ac;
  unsigned cpl;
  uint64_t rsp;
  uint64_t vector;  // 17: #AC; 13: the HLT at CPL 3 (no #AC); 0: halted at CPL 0
};

class AlignmentCheck : public ::testing::TestWithParam<AcCase> {};

TEST_P(AlignmentCheck, Raises17OnlyWhenAmAcAndCpl3) {
  const AcCase& c = GetParam();
  Machine m;
  m.enter_long64();
  m.load(kUserCode, *c.code);
  ArchState& s = m.s();
  if (c.am) s.cr0 |= CR0_AM;
  if (c.ac) s.rflags |= AC;
  if (c.cpl == 3) {
    s.seg[CS] = m.seg(kSelUCode64 | 3, kCode64 | dpl(3));
    s.seg[SS] = m.seg(kSelUData | 3, kData32 | dpl(3));
  }
  s.gpr[RSP] = c.rsp;
  s.gpr[R14] = 0;
  s.rip = kUserCode;
  m.e->set_cpl(c.cpl);
  m.e->update_mode();
  RUN_TO_HLT(m);
  EXPECT_EQ(s.gpr[R14], c.vector);
  if (c.vector == kAC) {
    EXPECT_EQ(m.stack64(0), 0u);  // error code 0
    EXPECT_EQ(m.stack64(1), kUserCode);
    EXPECT_TRUE(m.stack64(3) & RF);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Core, AlignmentCheck,
    ::testing::Values(AcCase{"WordAtOdd", &k_ac_word_odd, true, true, 3, kUserStack, kAC},
                      AcCase{"DwordNot4", &k_ac_dword, true, true, 3, kUserStack, kAC},
                      AcCase{"QwordNot8", &k_ac_qword, true, true, 3, kUserStack, kAC},
                      AcCase{"MisalignedPush", &k_ac_push, true, true, 3, kUserStack - 4, kAC},
                      AcCase{"AlignedAndBytes", &k_ac_ok, true, true, 3, kUserStack, kGP},
                      AcCase{"NoAm", &k_ac_qword, false, true, 3, kUserStack, kGP},
                      AcCase{"NoAc", &k_ac_qword, true, false, 3, kUserStack, kGP},
                      AcCase{"Cpl0", &k_ac_qword, true, true, 0, kUserStack, 0}),
    [](const ::testing::TestParamInfo<AcCase>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace hvsim::core::testing
