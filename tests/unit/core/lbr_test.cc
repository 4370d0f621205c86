// IA32_DEBUGCTL.LBR and BTF (SDM Vol. 3 17.4; AMD APM Vol. 2 13.1.1.6):
// the last-branch record in MSRs 1DBh-1DEh, its copy at an interrupt or
// exception, LBR cleared by a debug exception, and single-step on branches.
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

// mov ecx, 0x1d9; mov eax, 1; xor edx, edx; wrmsr   ; DEBUGCTL.LBR
// 0e: jmp 12; nop; nop
// 12: int3                                          ; -> stub 3
const std::vector<uint8_t> k_branch_then_int3 = {0xb9, 0xd9, 0x01, 0x00, 0x00, 0xb8, 0x01,
                                                 0x00, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x30,
                                                 0xeb, 0x02, 0x90, 0x90, 0xcc};
// mov ecx, 0x1d9; mov eax, 2; xor edx, edx; wrmsr   ; DEBUGCTL.BTF
// pushf; or qword ptr [rsp], 0x100; popf             ; TF
// 18: nop; 19: nop; 1a: jmp 1d; 1c: nop; 1d: hlt
const std::vector<uint8_t> k_btf = {0xb9, 0xd9, 0x01, 0x00, 0x00, 0xb8, 0x02, 0x00, 0x00, 0x00,
                                    0x31, 0xd2, 0x0f, 0x30, 0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00,
                                    0x01, 0x00, 0x00, 0x9d, 0x90, 0x90, 0xeb, 0x01, 0x90, 0xf4};
// mov ecx, 0x1d9; mov eax, 1; xor edx, edx; wrmsr   ; DEBUGCTL.LBR
// 0e: jmp 11; nop
// 11: mov ecx, 0x1db; rdmsr; mov ebx, eax           ; LastBranchFromIP
//     mov ecx, 0x1dc; rdmsr; mov esi, eax           ; LastBranchToIP
//     pushf; or qword ptr [rsp], 0x100; popf; nop   ; a single-step #DB
//     hlt
const std::vector<uint8_t> k_read_then_db = {
    0xb9, 0xd9, 0x01, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x30, 0xeb, 0x01,
    0x90, 0xb9, 0xdb, 0x01, 0x00, 0x00, 0x0f, 0x32, 0x89, 0xc3, 0xb9, 0xdc, 0x01, 0x00, 0x00, 0x0f,
    0x32, 0x89, 0xc6, 0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d, 0x90, 0xf4};

void run64(Machine& m, const std::vector<uint8_t>& code) {
  m.enter_long64();
  m.s().gpr[R14] = 0xff;  // the fault stubs write the vector here
  m.load(kCode, code);
  RUN_TO_HLT(m);
}

TEST(Lbr, InterruptCopiesTheLastBranchAndRecordsItself) {
  Machine m;
  run64(m, k_branch_then_int3);
  EXPECT_EQ(m.s().gpr[R14], 3u);
  EXPECT_EQ(m.s().lbr_int_from, kCode + 0x0e);  // the JMP, before the INT3
  EXPECT_EQ(m.s().lbr_int_to, kCode + 0x12);
  EXPECT_EQ(m.s().lbr_from, kCode + 0x12);  // the INT3 and its handler
  EXPECT_EQ(m.s().lbr_to, Machine::stub(3));
}

TEST(Lbr, RdmsrReadsTheRecordAndADebugExceptionClearsLbr) {
  Machine m;
  run64(m, k_read_then_db);
  EXPECT_EQ(m.s().gpr[RBX], kCode + 0x0e);
  EXPECT_EQ(m.s().gpr[RSI], kCode + 0x11);
  EXPECT_EQ(m.s().gpr[R14], 1u);  // the single-step #DB
  EXPECT_EQ(m.s().debugctl & 1, 0u);
  EXPECT_EQ(m.s().lbr_from, kCode + 0x0e);  // the #DB was not recorded
}

TEST(Lbr, NothingIsRecordedWithoutLbr) {
  Machine m;
  std::vector<uint8_t> code = k_branch_then_int3;
  code[6] = 0;  // DEBUGCTL = 0
  run64(m, code);
  EXPECT_EQ(m.s().lbr_from, 0u);
  EXPECT_EQ(m.s().lbr_int_from, 0u);
}

TEST(Btf, SingleStepTrapsOnlyAfterATakenBranch) {
  Machine m;
  run64(m, k_btf);
  EXPECT_EQ(m.s().gpr[R14], 1u);
  EXPECT_EQ(m.stack64(0), kCode + 0x1d);  // after the JMP, not after the first NOP
}

TEST(Btf, WithoutBtfTheTrapFollowsTheFirstInstruction) {
  Machine m;
  std::vector<uint8_t> code = k_btf;
  code[6] = 0;  // DEBUGCTL = 0
  run64(m, code);
  EXPECT_EQ(m.s().gpr[R14], 1u);
  EXPECT_EQ(m.stack64(0), kCode + 0x19);
}

}  // namespace
}  // namespace hvsim::core::testing
