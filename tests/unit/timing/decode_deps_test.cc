// Dependence masks, branch kinds and serialization taken from Zydis at decode.
#include <gtest/gtest.h>

#include <vector>

#include "sim/timing/decode_deps.h"
#include "sim/timing/latencies.h"

namespace hvsim::timing {
namespace {

using reg::gpr;
constexpr unsigned RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4;

DecodeDeps deps(std::vector<uint8_t> bytes) {
  ZydisDecoder dec;
  ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisDecodedInstruction zi;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  EXPECT_TRUE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, bytes.data(), bytes.size(), &zi, ops)));
  return decode_deps(zi, ops);
}

TEST(DecodeDeps, AluRegisterForm) {
  DecodeDeps d = deps({0x48, 0x01, 0xd8});  // ADD RAX, RBX
  EXPECT_EQ(d.src_regs, gpr(RAX) | gpr(RBX));
  EXPECT_EQ(d.dst_regs, gpr(RAX));
  EXPECT_EQ(d.addr_regs, 0u);
  EXPECT_EQ(d.src_flags, 0u);
  EXPECT_EQ(d.dst_flags, flag::kStatus);
  EXPECT_EQ(d.flags, 0u);
  EXPECT_EQ(deps({0x48, 0x11, 0xd8}).src_flags, flag::kCF);  // ADC reads CF
}

TEST(DecodeDeps, LoadAddressAndLea) {
  DecodeDeps ld = deps({0x48, 0x8b, 0x04, 0xcb});  // MOV RAX, [RBX+RCX*8]
  EXPECT_EQ(ld.addr_regs, gpr(RBX) | gpr(RCX));
  EXPECT_EQ(ld.src_regs, 0u);
  EXPECT_EQ(ld.dst_regs, gpr(RAX));
  EXPECT_TRUE(ld.flags & kMemOperand);
  DecodeDeps lea = deps({0x48, 0x8d, 0x04, 0x0b});  // LEA RAX, [RBX+RCX]
  EXPECT_EQ(lea.src_regs, gpr(RBX) | gpr(RCX));
  EXPECT_EQ(lea.addr_regs, 0u);
  EXPECT_FALSE(lea.flags & kMemOperand);
}

TEST(DecodeDeps, ImplicitOperandsAndPartialWrites) {
  DecodeDeps push = deps({0x50});  // PUSH RAX
  EXPECT_EQ(push.src_regs & gpr(RAX), gpr(RAX));
  EXPECT_TRUE(push.dst_regs & gpr(RSP));
  EXPECT_TRUE(push.addr_regs & gpr(RSP));
  EXPECT_FALSE(push.flags & kMemOperand);     // an implicit access
  DecodeDeps mul = deps({0x48, 0xf7, 0xe3});  // MUL RBX
  EXPECT_EQ(mul.src_regs, gpr(RAX) | gpr(RBX));
  EXPECT_EQ(mul.dst_regs, gpr(RAX) | gpr(RDX));
  EXPECT_EQ(deps({0xb0, 0x01}).src_regs, gpr(RAX));              // MOV AL, 1 merges
  EXPECT_EQ(deps({0xb8, 0x01, 0x00, 0x00, 0x00}).src_regs, 0u);  // MOV EAX, 1 does not
}

TEST(DecodeDeps, BranchKinds) {
  DecodeDeps jz = deps({0x74, 0x00});
  EXPECT_EQ(jz.branch, BranchKind::kCond);
  EXPECT_EQ(jz.src_flags, flag::kZF);
  EXPECT_EQ(deps({0xe8, 0, 0, 0, 0}).branch, BranchKind::kCall);
  EXPECT_EQ(deps({0xff, 0xd0}).branch, BranchKind::kIndirectCall);  // CALL RAX
  DecodeDeps jmpm = deps({0xff, 0x20});                             // JMP [RAX]
  EXPECT_EQ(jmpm.branch, BranchKind::kIndirectJump);
  EXPECT_EQ(jmpm.addr_regs, gpr(RAX));
  EXPECT_EQ(deps({0xeb, 0x00}).branch, BranchKind::kJump);
  EXPECT_EQ(deps({0xc3}).branch, BranchKind::kReturn);
  EXPECT_EQ(deps({0x48, 0xcf}).branch, BranchKind::kFar);  // IRETQ
  EXPECT_EQ(deps({0x0f, 0x05}).branch, BranchKind::kFar);  // SYSCALL
  EXPECT_EQ(deps({0xcb}).branch, BranchKind::kFar);        // RETF
  EXPECT_EQ(deps({0xff, 0x28}).branch, BranchKind::kFar);  // JMP FAR [RAX]
  EXPECT_EQ(deps({0xcd, 0x80}).branch, BranchKind::kFar);  // INT 0x80
  EXPECT_EQ(deps({0x48, 0x01, 0xd8}).branch, BranchKind::kNone);
}

TEST(DecodeDeps, SerializingAndFences) {
  DecodeDeps cpuid = deps({0x0f, 0xa2});
  EXPECT_TRUE(cpuid.flags & kSerializing);
  EXPECT_EQ(cpuid.dst_regs, gpr(RAX) | gpr(RBX) | gpr(RCX) | gpr(RDX));
  EXPECT_TRUE(deps({0x0f, 0x22, 0xd8}).flags & kSerializing);         // MOV CR3, RAX
  EXPECT_FALSE(deps({0x44, 0x0f, 0x22, 0xc0}).flags & kSerializing);  // MOV CR8, RAX
  EXPECT_TRUE(deps({0x0f, 0x30}).flags & kSerializing);               // WRMSR
  EXPECT_TRUE(deps({0x0f, 0xae, 0xe8}).flags & kSerializing);         // LFENCE
  EXPECT_TRUE(deps({0x48, 0xcf}).flags & kSerializing);               // IRETQ
  EXPECT_FALSE(deps({0x0f, 0x31}).flags & kSerializing);              // RDTSC
  DecodeDeps lock = deps({0xf0, 0x01, 0x18});                         // LOCK ADD [RAX], EBX
  EXPECT_TRUE(lock.flags & kFence);
  EXPECT_TRUE(lock.flags & kMemOperand);
  EXPECT_TRUE(deps({0x48, 0x87, 0x18}).flags & kFence);   // XCHG [RAX], RBX
  EXPECT_FALSE(deps({0x48, 0x87, 0xd8}).flags & kFence);  // XCHG RAX, RBX
  EXPECT_TRUE(deps({0x0f, 0xae, 0xf0}).flags & kFence);   // MFENCE
}

TEST(DecodeDeps, RetireInfoStartsFromThem) {
  RetireInfo r;
  r.add_access(0x1000, 8, MemKind::kLoad, 200);
  r.start(deps({0x74, 0x00}), 0x4000, 2, k_branch);  // JZ
  EXPECT_EQ(r.nmem, 0u);
  EXPECT_EQ(r.branch, BranchKind::kCond);
  EXPECT_EQ(r.src_flags, flag::kZF);
  EXPECT_FALSE(r.taken());
  r.taken_to(0x4100);
  EXPECT_TRUE(r.taken());
  EXPECT_EQ(r.target, 0x4100u);
}

}  // namespace
}  // namespace hvsim::timing
