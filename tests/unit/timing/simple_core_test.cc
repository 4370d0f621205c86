// timing.model = simple: the serial sum, IPC <= 1, no double charge for
// instructions with their own cost.
#include <gtest/gtest.h>

#include "tests/unit/timing/stream.h"

namespace hvsim::timing {
namespace {

using namespace testing;

Latencies table() {
  Latencies l;
  for (unsigned c = 0; c < kNumInsnClasses; ++c) l.cls[c] = ooo::OooParams{}.cls[c].latency;
  l.mem_operand = 0;
  l.taken_branch = 1;
  l.exception = 100;
  return l;
}

TEST(SimpleCore, SerialSumOfClassAndAccessLatencies) {
  SimpleCore c{table(), 4};
  c.retire(op2(k_alu, 0, 1));            // 1
  c.retire(op2(k_mul, 0, 1));            // 3
  c.retire(load(0, 1, 0x1000, 200));     // 1 (move) + 200
  c.retire(store(1, 0, 0x2000, 200));    // 1 + 4 (a store costs at most an L1 hit)
  RetireInfo taken = jcc(0x1010, true, 0x1000);
  taken.mem_cost += c.taken_cost();  // what Engine::taken_branch sums
  c.retire(taken);                        // 1 + 1 taken
  c.retire(jcc(0x1010, false, 0x1000));  // 1
  EXPECT_EQ(c.cycles(), 1u + 3 + 201 + 5 + 2 + 1);
  EXPECT_EQ(c.instructions(), 6u);
}

TEST(SimpleCore, IpcNeverAboveOne) {
  SimpleCore c{table(), 4};
  for (int i = 0; i < 10000; ++i) c.retire(op2(k_alu, i % 8, i % 8));
  EXPECT_EQ(c.cycles(), 10000u);  // the ooo model does the same stream at IPC 4
}

TEST(SimpleCore, OwnCostIsNotChargedTwice) {
  SimpleCore c{table(), 4};
  RetireInfo vmread = insn(k_system);
  vmread.flags = kOwnCost;
  vmread.extra_cycles = 50;  // vmx.vmread_cycles
  c.retire(vmread);
  EXPECT_EQ(c.cycles(), 50u);  // not 50 + timing.system_cycles
  RetireInfo lgdt = insn(k_system);
  c.retire(lgdt);
  EXPECT_EQ(c.cycles(), 50u + table().cls[k_system]);
}

TEST(SimpleCore, MemOperandCyclesOnlyForExplicitOperands) {
  Latencies l = table();
  l.mem_operand = 2;
  SimpleCore c{l, 4};
  RetireInfo add_mem = load(0, 1, 0x1000, 4);  // ADD RAX, [RCX]
  add_mem.tclass = k_alu;
  add_mem.flags |= kMemOperand;
  c.retire(add_mem);
  EXPECT_EQ(c.cycles(), 1u + 2 + 4);
  RetireInfo push = store(4, 0, 0x2000, 4);  // PUSH RAX: an implicit access
  push.tclass = k_stack;
  c.retire(push);
  EXPECT_EQ(c.cycles(), 7u + 1 + 4);
}

TEST(SimpleCore, StallAndFetchLatency) {
  SimpleCore c{table(), UINT32_MAX};
  RetireInfo a = op2(k_alu, 0, 1);
  a.fetch_latency = 30;  // an L1I miss and ITLB walk
  c.retire(a);
  c.stall(1000);
  c.retire(store(1, 0, 0x2000, 200));  // stores block: the full latency
  EXPECT_EQ(c.cycles(), 31u + 1000 + 1 + 200);
}

}  // namespace
}  // namespace hvsim::timing
