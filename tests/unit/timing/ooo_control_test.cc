// The ooo model's control side: the mispredict penalty of a random branch
// pattern, serializing instructions draining the pipeline, world switches,
// the return address stack, the CPI stack adding up.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/unit/timing/stream.h"

namespace hvsim::timing {
namespace {

using namespace testing;

// A loop body: five independent adds and a conditional branch, repeated;
// outcome(i) says whether the branch of iteration i is taken.
template <typename F>
ooo::OooCore run_loop(int iters, F outcome, ooo::OooParams p = {}) {
  ooo::OooCore c{p};
  for (int i = 0; i < iters; ++i) {
    for (unsigned k = 0; k < 5; ++k) c.retire(op2(k_alu, k, k, 0x1000 + 3 * k));
    c.retire(jcc(0x1010, outcome(i), 0x1000));
  }
  return c;
}

uint32_t lcg(uint32_t& s) {
  s = s * 1664525u + 1013904223u;
  return s >> 16;
}

TEST(OooControl, RandomBranchesCostTheMispredictPenalty) {
  const int n = 20000;
  uint32_t seed = 12345;
  bool pattern[n];
  for (bool& b : pattern) b = lcg(seed) & 1;
  ooo::OooCore rnd = run_loop(n, [&](int i) { return pattern[i]; });
  ooo::OooCore easy = run_loop(n, [](int) { return true; });
  const uint64_t mis = rnd.branch_stats().cond_mispredicts;
  const double penalty =
      static_cast<double>(rnd.cycles() - easy.cycles()) / static_cast<double>(mis);
  std::printf(
      "random branches: %llu mispredicts of %d (%.1f%%), %.2f cycles each; "
      "predictable: %llu mispredicts\n",
      (unsigned long long)mis, n, 100.0 * mis / n, penalty,
      (unsigned long long)easy.branch_stats().cond_mispredicts);
  EXPECT_GT(mis, n * 4u / 10);                           // a random pattern cannot be learned
  EXPECT_LT(easy.branch_stats().cond_mispredicts, 40u);  // gshare warm-up only
  EXPECT_GE(penalty, 15.0);
  EXPECT_LE(penalty, 20.0);
}

TEST(OooControl, PipelineDepthSetsThePenalty) {
  uint32_t seed = 7;
  auto rnd = [&](int) { return (lcg(seed) & 1) != 0; };
  ooo::OooParams shallow;
  shallow.frontend_stages = 6;
  const uint64_t deep_cycles = run_loop(5000, rnd).cycles();
  seed = 7;
  const uint64_t shallow_cycles = run_loop(5000, rnd, shallow).cycles();
  EXPECT_LT(shallow_cycles + 5000u, deep_cycles);
}

TEST(OooControl, SerializingInstructionDrainsTheRob) {
  auto run = [](bool serializing) {
    ooo::OooCore c{ooo::OooParams{}};
    c.retire(load(1, 15, 0x100000, 200));  // a DRAM miss heads the ROB
    for (int i = 0; i < 50; ++i) c.retire(op2(k_alu, 2 + i % 4, 2 + i % 4));
    RetireInfo cpuid = insn(k_cpuid);
    cpuid.dst_regs = gpr(0) | gpr(1) | gpr(2) | gpr(3);
    if (serializing) cpuid.flags |= kSerializing;
    c.retire(cpuid);
    const uint64_t at_cpuid = c.cycles();
    for (int i = 0; i < 40; ++i) c.retire(op2(k_alu, 4 + i % 4, 4 + i % 4));
    return std::pair<uint64_t, uint64_t>(at_cpuid, c.cycles());
  };
  auto [plain_cpuid, plain_end] = run(false);
  auto [ser_cpuid, ser_end] = run(true);
  const uint32_t cpuid_lat = ooo::OooParams{}.cls[k_cpuid].latency;
  std::printf("CPUID after a miss: retires at %llu serializing, %llu not\n",
              (unsigned long long)ser_cpuid, (unsigned long long)plain_cpuid);
  // Serializing: it starts only when the miss (and everything older) retired.
  EXPECT_GE(ser_cpuid, 200u + cpuid_lat);
  EXPECT_LT(plain_cpuid, 200u + cpuid_lat);
  // And the younger adds are fetched again after it: a pipeline refill.
  EXPECT_GE(ser_end - ser_cpuid, ooo::OooParams{}.frontend_stages);
}

TEST(OooControl, WorldSwitchCostsDrainPlusConfiguredCost) {
  ooo::OooCore c{ooo::OooParams{}};
  c.retire(load(1, 15, 0x100000, 200));
  RetireInfo vmexit = insn(k_system);
  vmexit.flags |= kWorldSwitch | kOwnCost;
  vmexit.extra_cycles = 1200;  // vmx.vmexit_cycles
  c.retire(vmexit);
  EXPECT_GE(c.cycles(), 200u + 1200u);
  EXPECT_LT(c.cycles(), 200u + 1200u + 40u);  // not also the class latency
}

TEST(OooControl, ReturnsPredictedByTheRas) {
  ooo::OooCore c{ooo::OooParams{}};
  for (int i = 0; i < 1000; ++i) {
    const uint64_t site = 0x4000 + (i % 7) * 0x40;  // calls from seven places
    RetireInfo call = insn(k_call_ret, site);
    call.branch = BranchKind::kCall;
    call.target = 0x9000;
    call.len = 5;
    c.retire(call);
    RetireInfo ret = insn(k_call_ret, 0x9000);
    ret.branch = BranchKind::kReturn;
    ret.target = site + 5;
    c.retire(ret);
  }
  EXPECT_EQ(c.branch_stats().returns, 1000u);
  EXPECT_EQ(c.branch_stats().return_mispredicts, 0u);
}

TEST(OooControl, RobFullBehindAMissIsChargedToMemory) {
  ooo::OooCore c{ooo::OooParams{}};
  for (int m = 0; m < 10; ++m) {
    c.retire(load(0, 0, 0x100000 + uint64_t(m) * 4096, 200));  // a chase: one miss at a time
    for (int i = 0; i < 400; ++i) c.retire(op2(k_alu, 1 + i % 4, 1 + i % 4));
  }
  const auto& cpi = c.stats().cpi;
  const uint64_t mem = cpi[static_cast<unsigned>(ooo::Cpi::kMemory)];
  const uint64_t structural = cpi[static_cast<unsigned>(ooo::Cpi::kStructural)];
  std::printf("ROB behind misses: %llu cycles, memory %llu, structural %llu\n",
              (unsigned long long)c.cycles(), (unsigned long long)mem,
              (unsigned long long)structural);
  EXPECT_GT(mem, c.cycles() / 2);
  EXPECT_LT(structural, c.cycles() / 10);
}

TEST(OooControl, CpiStackSumsToCycles) {
  uint32_t seed = 99;
  ooo::OooCore c = run_loop(3000, [&](int) { return (lcg(seed) & 3) != 0; });
  for (int i = 0; i < 50; ++i) c.retire(load(0, 0, 0x100000 + uint64_t(i) * 4096, 200));
  c.stall(1000);
  uint64_t sum = 0;
  for (uint64_t v : c.stats().cpi) sum += v;
  EXPECT_EQ(sum, c.cycles());
  EXPECT_GT(c.stats().cpi[static_cast<unsigned>(ooo::Cpi::kBranch)], 0u);
  EXPECT_GE(c.stats().cpi[static_cast<unsigned>(ooo::Cpi::kMemory)], 49u * 200u);
  EXPECT_EQ(c.stats().cpi[static_cast<unsigned>(ooo::Cpi::kIdle)], 1000u);
}

}  // namespace
}  // namespace hvsim::timing
