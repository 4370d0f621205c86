// The model holder of fast-forwarded and sampled runs, fed synthetic retire
// streams the way the engine's run loop feeds it: the clock runs on across
// phases, the core model (timing.*) sees only the detailed phases, warming
// trains the predictor without charging or counting, and an ooo window
// starts with an empty pipeline.
#include <gtest/gtest.h>

#include <vector>

#include "sim/timing/phased_model.h"
#include "tests/unit/timing/stream.h"

namespace hvsim::timing {
namespace {

using namespace testing;

Latencies table() {
  Latencies l;
  for (unsigned c = 0; c < kNumInsnClasses; ++c) l.cls[c] = ooo::OooParams{}.cls[c].latency;
  l.mem_operand = 0;
  l.taken_branch = 1;
  return l;
}

// The engine's side: a phase switch at the boundary, then the retire.
struct Driver {
  PhasedModel pm;
  uint64_t count = 0, clock = 0;
  bool monotone = true;
  void retire(const RetireInfo& r) {
    if (count >= pm.phase_end()) pm.advance(count);
    pm.visit([&](auto& m) {
      m.retire(r);
      monotone = monotone && m.cycles() >= clock;
      clock = m.cycles();
    });
    ++count;
  }
  void close() { pm.advance(count); }  // the next instruction would switch
};

SampleSchedule ff(uint64_t n) {
  SampleSchedule s;
  s.fast_forward = n;
  return s;
}

SampleSchedule sample(uint64_t period, uint64_t window, uint64_t warmup) {
  SampleSchedule s;
  s.period = period;
  s.window = window;
  s.warmup = warmup;
  return s;
}

const SimpleCore& simple_of(const PhasedModel& pm) {
  return std::get<SimpleCore>(pm.detailed());
}
const ooo::OooCore& ooo_of(const PhasedModel& pm) {
  return std::get<ooo::OooCore>(pm.detailed());
}

TEST(PhasedModel, DetailedStatisticsStartAtTheSwitch) {
  Driver d{PhasedModel(CoreModel(SimpleCore(table(), 4)), ff(100))};
  EXPECT_EQ(d.pm.phase(), Phase::kFunctional);
  EXPECT_FALSE(d.pm.data_timed());
  for (int i = 0; i < 100; ++i) d.retire(op2(k_mul, 0, 1));  // 3 cycles each when detailed
  EXPECT_EQ(d.clock, 100u);                                  // 1 per instruction
  EXPECT_EQ(simple_of(d.pm).instructions(), 0u);
  for (int i = 0; i < 50; ++i) d.retire(op2(k_mul, 0, 1));
  EXPECT_EQ(d.pm.phase(), Phase::kDetailed);
  EXPECT_TRUE(d.pm.data_timed());
  EXPECT_EQ(simple_of(d.pm).instructions(), 50u);
  EXPECT_EQ(simple_of(d.pm).cycles(), 150u);
  EXPECT_EQ(d.clock, 100u + 150u);  // the engine's clock runs on
  EXPECT_TRUE(d.monotone);
  EXPECT_EQ(d.pm.phase_instructions(Phase::kFunctional, d.count), 100u);
  EXPECT_EQ(d.pm.phase_instructions(Phase::kDetailed, d.count), 50u);
}

TEST(PhasedModel, FunctionalClockIsOnePerInstructionPlusFlatCosts) {
  Driver d{PhasedModel(CoreModel(SimpleCore(table(), 4)), ff(1000))};
  RetireInfo r = load(0, 1, 0x1000, 200);  // the access latency is not charged
  r.extra_cycles = 7;                      // a device stall is
  r.fetch_latency = 30;                    // and an ITLB walk
  d.retire(r);
  EXPECT_EQ(d.clock, 1u + 7 + 30);
  d.pm.visit([](auto& m) { m.stall(100); });  // HLT: time passes
  d.pm.visit([&](auto& m) { d.clock = m.cycles(); });
  EXPECT_EQ(d.clock, 138u);
}

TEST(PhasedModel, WindowsMeasureOnlyTheirOwnCycles) {
  // period 100: 60 functional, 30 warming, 10 detailed; MULs cost 3.
  Driver d{PhasedModel(CoreModel(SimpleCore(table(), 4)), sample(100, 10, 30))};
  for (int i = 0; i < 1000; ++i) d.retire(op2(k_mul, 0, 1));
  d.close();
  EXPECT_EQ(d.pm.windows().windows(), 10u);
  EXPECT_EQ(d.pm.windows().instructions(), 100u);
  EXPECT_DOUBLE_EQ(d.pm.windows().mean_cpi(), 3.0);
  EXPECT_DOUBLE_EQ(d.pm.extrapolated_cycles(1000), 3000.0);
  EXPECT_DOUBLE_EQ(d.pm.cpi(1000, 1000), 3.0);
  EXPECT_EQ(simple_of(d.pm).instructions(), 100u);
  EXPECT_EQ(d.clock, 900u + 300u);  // 1 each outside the windows, 3 inside
  EXPECT_TRUE(d.monotone);
}

TEST(PhasedModel, PartialWindowAtTheEndIsNotCounted) {
  Driver d{PhasedModel(CoreModel(SimpleCore(table(), 4)), sample(100, 10, 0))};
  for (int i = 0; i < 195; ++i) d.retire(op2(k_alu, 0, 1));  // window 2 half done
  EXPECT_EQ(d.pm.windows().windows(), 1u);
}

// A loop branch taken 7 times then not taken, repeated: the predictor learns
// it while warming (no mispredict counted then), so the window sees fewer
// mispredicts than a cold predictor would.
std::vector<RetireInfo> loop_branches(int n) {
  std::vector<RetireInfo> v;
  for (int i = 0; i < n; ++i) v.push_back(jcc(0x4000, i % 8 != 7, 0x3ff0));
  return v;
}

TEST(PhasedModel, WarmingTrainsThePredictorWithoutCountingOrCharging) {
  const std::vector<RetireInfo> br = loop_branches(2000);
  Driver warm{PhasedModel(CoreModel(ooo::OooCore(ooo::OooParams{})), sample(2000, 400, 1600))};
  for (const RetireInfo& r : br) warm.retire(r);
  EXPECT_EQ(warm.pm.phase(), Phase::kDetailed);
  const ooo::PredictorStats& s = ooo_of(warm.pm).branch_stats();
  EXPECT_EQ(s.cond, 400u);  // only the window's branches are counted
  EXPECT_EQ(ooo_of(warm.pm).instructions(), 400u);
  // No cycle was charged while warming: the CPI stack still sums to the
  // model's cycles, all of them the window's.
  uint64_t stack = 0;
  for (uint64_t c : ooo_of(warm.pm).stats().cpi) stack += c;
  EXPECT_EQ(stack, ooo_of(warm.pm).cycles());
  EXPECT_LT(ooo_of(warm.pm).cycles(), 400u * 20);
  // Cold: the same 400 branches with no warming before them.
  Driver cold{PhasedModel(CoreModel(ooo::OooCore(ooo::OooParams{})), sample(2000, 400, 0))};
  for (const RetireInfo& r : br) cold.retire(r);
  const ooo::PredictorStats& c = ooo_of(cold.pm).branch_stats();
  EXPECT_EQ(c.cond, 400u);
  EXPECT_LT(s.cond_mispredicts, c.cond_mispredicts);
  // Warmed, the loop exit is the only miss: one in eight at most.
  EXPECT_LE(s.cond_mispredicts, 400u / 8 + 1);
}

TEST(PhasedModel, OooWindowStartsWithAnEmptyPipeline) {
  // Window 1 ends with stores that miss (200 cycles, committed after they
  // retire); window 2 is independent ADDs. Drained between the two, window 2
  // costs what it costs a fresh model.
  std::vector<RetireInfo> w1, w2;
  for (int i = 0; i < 990; ++i) w1.push_back(op2(k_alu, i % 4, 4 + i % 4));
  for (int i = 0; i < 10; ++i) w1.push_back(store(5, 6, 0x100000 + 4096 * i, 200));
  for (int i = 0; i < 1000; ++i) w2.push_back(op2(k_alu, i % 4, 4 + i % 4));

  Driver first{PhasedModel(CoreModel(ooo::OooCore(ooo::OooParams{})), sample(1000, 1000, 0))};
  for (const RetireInfo& r : w1) first.retire(r);
  first.close();
  const uint64_t w1_cycles = first.pm.windows().cycles();

  Driver both{PhasedModel(CoreModel(ooo::OooCore(ooo::OooParams{})), sample(1000, 1000, 0))};
  for (const RetireInfo& r : w1) both.retire(r);
  for (const RetireInfo& r : w2) both.retire(r);
  both.close();
  ASSERT_EQ(both.pm.windows().windows(), 2u);
  const uint64_t w2_cycles = both.pm.windows().cycles() - w1_cycles;

  ooo::OooCore fresh{ooo::OooParams{}};
  for (const RetireInfo& r : w2) fresh.retire(r);
  EXPECT_EQ(w2_cycles, fresh.cycles());
  // The stores' commit was waited for outside both windows (idle).
  EXPECT_GT(ooo_of(both.pm).stats().cpi[static_cast<unsigned>(ooo::Cpi::kIdle)], 0u);
  EXPECT_TRUE(both.monotone);
}

}  // namespace
}  // namespace hvsim::timing
