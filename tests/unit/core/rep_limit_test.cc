// An instruction limit bounds REP string instructions: each iteration counts
// toward it, and a REP stopped at the limit resumes architecturally (RCX,
// RSI and RDI hold the progress, RIP stays on the instruction: SDM Vol. 1
// 7.3.9.2, as when an interrupt stops it). Without a limit a REP yields
// every Engine::kRepChunk iterations so the run loop can look at events.
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

constexpr uint64_t kSrc = 100ull << 21, kDst = 101ull << 21;  // 200 MiB: beyond the 16 MiB RAM
constexpr uint64_t kHuge = 1ull << 40;

// 64-bit mode with two 2 MiB pages mapped over unbacked physical memory,
// running `rep movsb; hlt` with RCX = 2^40.
void setup(Machine& m) {
  m.enter_long64();
  m.poke<uint64_t>(kPml4 + 0x2000 + 8 * 100, kSrc | 0x87);
  m.poke<uint64_t>(kPml4 + 0x2000 + 8 * 101, kDst | 0x87);
  m.load(kCode, {0xf3, 0xa4, 0xf4});  // rep movsb; hlt
  m.s().gpr[RCX] = kHuge;
  m.s().gpr[RSI] = kSrc;
  m.s().gpr[RDI] = kDst;
}

TEST(RepLimit, HugeRepMovsbOverUnbackedMemoryStopsAtTheInstructionLimit) {
  Machine m;
  setup(m);
  ASSERT_EQ(m.run(1000), RunExit::kInsnLimit) << m.e->dump_registers();
  // The instruction itself is the first of the 1000: 1000 iterations ran.
  EXPECT_EQ(m.s().rip, kCode);
  EXPECT_EQ(m.s().gpr[RCX], kHuge - 1000);
  EXPECT_EQ(m.s().gpr[RSI], kSrc + 1000);
  EXPECT_EQ(m.s().gpr[RDI], kDst + 1000);
  EXPECT_EQ(m.e->instructions(), 1u);  // not retired yet: one pass that yielded
}

TEST(RepLimit, StoppedRepResumesWhereItStopped) {
  Machine m;
  setup(m);
  ASSERT_EQ(m.run(1000), RunExit::kInsnLimit);
  // Another 5000: one full chunk of 4096 and the rest, then the limit again.
  ASSERT_EQ(m.run(5000), RunExit::kInsnLimit);
  EXPECT_EQ(m.s().rip, kCode);
  EXPECT_EQ(m.s().gpr[RCX], kHuge - 6000);
  EXPECT_EQ(m.s().gpr[RDI], kDst + 6000);
}

TEST(RepLimit, RepThatEndsWithinTheLimitRetiresAndCountsItsIterations) {
  Machine m;
  setup(m);
  m.s().gpr[RCX] = 10;
  // 10 iterations (the REP counts as 10) and the HLT: the limit of 11 holds both.
  EXPECT_EQ(m.run(11), RunExit::kHaltedForever) << m.e->dump_registers();
  EXPECT_EQ(m.s().gpr[RCX], 0u);
  Machine tight;
  setup(tight);
  tight.s().gpr[RCX] = 10;
  // With 10 the REP completes and the limit stops the run before the HLT.
  EXPECT_EQ(tight.run(10), RunExit::kInsnLimit);
  EXPECT_EQ(tight.s().gpr[RCX], 0u);
  EXPECT_EQ(tight.s().rip, kCode + 2);
}

TEST(RepLimit, WithoutALimitARepYieldsEveryChunkAndFinishes) {
  Machine m;
  setup(m);
  const uint64_t n = 3 * Engine::kRepChunk + 5;
  m.s().gpr[RCX] = n;
  m.e->set_insn_limit(0);
  EXPECT_EQ(m.e->run(~0ull), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(m.s().gpr[RCX], 0u);
  EXPECT_EQ(m.s().gpr[RDI], kDst + n);
  EXPECT_EQ(m.e->instructions(), 4u + 1u);  // four passes of the REP, then HLT
}

}  // namespace
}  // namespace hvsim::core::testing
