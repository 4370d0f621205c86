// Exception and interrupt delivery in real, protected and IA-32e mode,
// double and triple faults (SDM Vol. 3 6.12-6.15, 20.1.4).
#include "tests/unit/core/code.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

TEST(Exceptions, PageFaultIn64BitModeSetsCr2AndPushesFrame) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_pf_read64);
  RUN_TO_HLT(m);
  const ArchState& s = m.s();
  EXPECT_EQ(s.gpr[R14], 14u);
  EXPECT_EQ(s.cr2, 0x40000000u);
  EXPECT_EQ(s.gpr[RSP], kStack0 - 48);  // 16-byte aligned, SS:RSP always pushed
  EXPECT_EQ(m.stack64(0), 0u);          // error code: not present, read, supervisor
  EXPECT_EQ(m.stack64(1), kCode);       // RIP of the faulting instruction
  EXPECT_EQ(m.stack64(2), kSelCode64);
  EXPECT_EQ(m.stack64(3), 2u | RF);  // a fault: RF set in the image (SDM 17.3.1.1)
  EXPECT_EQ(m.stack64(4), kStack0);
  EXPECT_EQ(m.stack64(5), kSelData0);
  EXPECT_EQ(m.e->stat_exceptions, 1u);
}

TEST(Exceptions, PageFaultWriteErrorCode) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_pf_write64);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 14u);
  EXPECT_EQ(m.s().cr2, 0x40000008u);
  EXPECT_EQ(m.stack64(0), 2u);  // W/R = 1
}

TEST(Exceptions, StackIsAlignedTo16Bytes) {
  Machine m;
  m.enter_long64();
  m.s().gpr[RSP] = kStack0 - 8;
  m.load(kCode, k_pf_read64);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSP], kStack0 - 16 - 48);
  EXPECT_EQ(m.stack64(4), kStack0 - 8);
}

TEST(Exceptions, SegmentFaultErrorCodeIsTheSelector) {
  Machine m;
  m.enter_long64();
  m.load(kCode, k_bad_ds64);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 13u);
  EXPECT_EQ(m.stack64(0), 0x1234u);  // TI = 1 kept: an LDT selector with no LDT
  EXPECT_EQ(m.stack64(1), kCode + 4);
  EXPECT_EQ(m.s().seg[DS].selector, kSelData0);  // unchanged
}

TEST(Exceptions, DoubleFaultWhenGpHandlerIsNotPresent) {
  Machine m;
  m.enter_long64();
  m.set_gate64(13, Machine::stub(13), 0xe, 0, 0, /*present=*/false);
  m.load(kCode, k_bad_ds64);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 8u);
  EXPECT_EQ(m.stack64(0), 0u);  // #DF error code
  EXPECT_EQ(m.stack64(1), kCode + 4);
}

TEST(Exceptions, PageFaultDuringPageFaultDeliveryIsDoubleFault) {
  Machine m;
  m.enter_long64();
  m.s().gpr[RSP] = 0x40001000;  // unmapped stack: pushing the #PF frame faults
  m.set_gate64(8, Machine::stub(8), 0xe, 0, /*ist=*/1);
  m.load(kCode, k_pf_read64);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 8u);
  EXPECT_EQ(m.s().gpr[RSP], kIst1 - 48);
}

TEST(Exceptions, TripleFault) {
  Machine m;
  m.enter_long64();
  m.set_gate64(13, Machine::stub(13), 0xe, 0, 0, false);
  m.set_gate64(8, Machine::stub(8), 0xe, 0, 0, false);
  m.load(kCode, k_bad_ds64);
  EXPECT_EQ(m.run(), RunExit::kTripleFault);
  EXPECT_NE(m.e->last_error().find("triple fault"), std::string::npos);
  EXPECT_EQ(m.s().rip, kCode + 4);
}

TEST(Exceptions, IntNAndIretqRoundTrip) {
  Machine m;
  m.enter_long64();
  m.set_gate64(0x80, 0x120000);
  m.load(kCode, k_int80_64);
  m.load(0x120000, k_h80_64);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R13], 0x55u);
  EXPECT_EQ(m.s().gpr[R12], 1u);
  EXPECT_EQ(m.s().gpr[RSP], kStack0);
  EXPECT_EQ(m.s().seg[SS].selector, kSelData0);
}

TEST(Exceptions, IstStack) {
  Machine m;
  m.enter_long64();
  m.set_gate64(3, Machine::stub(3), 0xf, 0, 1);
  m.load(kCode, k_ist_int3);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 3u);
  EXPECT_EQ(m.s().gpr[RSP], kIst1 - 40);
  EXPECT_EQ(m.stack64(0), kCode + 1);  // INT3 is a trap: RIP after it
}

TEST(Exceptions, RealModeIntAndIret) {
  Machine m;
  m.poke<uint32_t>(0x21 * 4, 0x00000600);
  m.load(0x600, k_real_h21);
  m.load(0x7c00, k_real_int);
  m.enter_real(0x7c00);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX] & 0xffff, 0x77u);
  EXPECT_EQ(m.s().gpr[RCX] & 0xffff, 2u);
  EXPECT_EQ(m.s().gpr[RSP] & 0xffff, 0x7000u);
}

TEST(Exceptions, RealModeUdPushesFaultingIp) {
  Machine m;
  m.poke<uint32_t>(6 * 4, 0x00000700);
  m.load(0x700, k_real_stub);
  m.load(0x7c00, k_real_ud);
  m.enter_real(0x7c00);
  m.s().rflags = 0x202;
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RDX] & 0xffff, 0x66u);
  EXPECT_EQ(m.s().gpr[RSP] & 0xffff, 0x7000u - 6);
  EXPECT_EQ(m.peek<uint16_t>(0x7000 - 6), 0x7c01u);  // IP
  EXPECT_EQ(m.peek<uint16_t>(0x7000 - 4), 0u);       // CS
  EXPECT_EQ(m.peek<uint16_t>(0x7000 - 2), 0x202u);   // FLAGS
  EXPECT_EQ(m.s().rflags & IF, 0u);
}

TEST(Exceptions, Protected32GpFrame) {
  Machine m;
  m.enter_prot32();
  m.load(kCode, k_p32_bad_ds);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSI], 13u);
  const uint64_t sp = m.s().gpr[RSP];
  EXPECT_EQ(sp, kStack0 - 16);
  EXPECT_EQ(m.peek<uint32_t>(sp), 0x1234u);
  EXPECT_EQ(m.peek<uint32_t>(sp + 4), kCode + 4);
  EXPECT_EQ(m.peek<uint32_t>(sp + 8), kSelCode32);
  EXPECT_EQ(m.peek<uint32_t>(sp + 12), 2u | RF);  // RF: a fault (SDM 17.3.1.1)
}

TEST(Exceptions, Protected32IntAndIretd) {
  Machine m;
  m.enter_prot32();
  m.set_gate32(0x40, 0x120000, 0xf);
  m.load(0x120000, k_p32_h40);
  m.load(kCode, k_p32_int);
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], 0x44u);
  EXPECT_EQ(m.s().gpr[RDI], 9u);
  EXPECT_EQ(m.s().gpr[RSP], kStack0);
  EXPECT_EQ(m.e->stat_exceptions, 1u);
}

TEST(Exceptions, IdtLimitViolationNamesTheEntry) {
  Machine m;
  m.enter_prot32();
  m.s().idtr.limit = 14 * 8 - 1;  // #GP's gate is the last one
  m.set_gate32(13, static_cast<uint32_t>(Machine::stub(13)));
  m.load(kCode, k_p32_int);  // INT 0x40 beyond the limit -> #GP(0x40*8+2)
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSI], 13u);
  EXPECT_EQ(m.peek<uint32_t>(m.s().gpr[RSP]), 0x40u * 8 + 2);
}


// A non-canonical reference through SS (base RBP or RSP) is #SS(0); through
// any other segment #GP(0) (SDM Vol. 3 6.15, interrupts 12 and 13).
TEST(Exceptions, NonCanonicalStackReferenceIsSs) {
  Machine m;
  m.enter_long64();
  m.load(kCode, {0x48, 0xbd, 0, 0, 0, 0, 0, 0, 0, 0x80,  // mov rbp, 0x8000000000000000
                 0x48, 0x8b, 0x45, 0x00,                 // mov rax, [rbp]
                 0xf4});
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 12u);
  EXPECT_EQ(m.stack64(0), 0u);
  EXPECT_EQ(m.stack64(1), kCode + 10);
}

TEST(Exceptions, NonCanonicalDataReferenceIsGp) {
  Machine m;
  m.enter_long64();
  m.load(kCode, {0x48, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0x80,  // mov rbx, 0x8000000000000000
                 0x48, 0x8b, 0x03,                       // mov rax, [rbx]
                 0xf4});
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 13u);
  EXPECT_EQ(m.stack64(1), kCode + 10);
}

}  // namespace
}  // namespace hvsim::core::testing
