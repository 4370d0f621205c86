// virt::WorldSwitch: the world-switch accounting VMX and SVM share (cycle
// stamps before/after the cost, exit_tracker.h "Cycle accounting"), and the
// table-driven cost parameters and counters (cost_table.h).
#include "sim/virt/world_switch.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "machine.h"
#include "sim/virt/cost_table.h"
#include "sim/virt/exit_tracker.h"

namespace hvsim::virt {
namespace {

class KeepSink : public ExitSink {
 public:
  explicit KeepSink(std::vector<ExitRecord>& out) : out_(out) {}
  void record(const ExitRecord& r) override { out_.push_back(r); }
  void finish() override {}

 private:
  std::vector<ExitRecord>& out_;
};

struct Switching : core::testing::Machine {
  ExitTracker tracker;
  std::vector<ExitRecord> records;
  Switching() {
    tracker.add_sink(std::make_unique<KeepSink>(records));
    e->set_exit_tracker(&tracker);
  }
};

TEST(WorldSwitch, EntryChargesThenReportsTheGuestsFirstCycle) {
  Switching m;
  WorldSwitch ws(*m.e, Arch::kSvm);
  const uint64_t c0 = m.e->cycles();
  ws.entry(600);
  EXPECT_EQ(m.e->cycles(), c0 + 600);
  EXPECT_EQ(m.tracker.entries(), 1u);
  EXPECT_EQ(m.tracker.world_switch_cycles(), 600u);
  m.e->add_cycles(40);  // the guest runs
  ExitRecord r;
  r.reason = 0x7b;
  ws.exit(r, 700);
  m.tracker.finish(m.e->cycles());
  // Guest time: from the entry's end (c0 + 600) to the exit's stamp.
  EXPECT_EQ(m.tracker.cycles_in_guest(), 40u);
}

TEST(WorldSwitch, ExitIsStampedBeforeItsCostAndCarriesArchAndCost) {
  Switching m;
  WorldSwitch ws(*m.e, Arch::kSvm);
  ws.entry(10);
  m.e->add_cycles(5);
  const uint64_t at_exit = m.e->cycles();
  ExitRecord r;
  r.reason = 0x400;
  r.reason_name = "VMEXIT_NPF";
  ws.exit(r, 700);
  EXPECT_EQ(m.e->cycles(), at_exit + 700);
  m.e->add_cycles(100);  // the hypervisor's own work
  ws.entry(10);
  ASSERT_EQ(m.records.size(), 1u);
  EXPECT_EQ(m.records[0].cycle, at_exit);
  EXPECT_EQ(m.records[0].arch, Arch::kSvm);
  EXPECT_EQ(m.records[0].exit_cost, 700u);
  EXPECT_EQ(m.records[0].entry_cost, 10u);
  EXPECT_EQ(m.records[0].host_cycles, 700u + 100u + 10u);
  EXPECT_EQ(m.tracker.cycles_in_host(), 100u);
}

TEST(WorldSwitch, WithoutATrackerOnlyCharges) {
  core::testing::Machine m;
  WorldSwitch ws(*m.e, Arch::kVmx);
  const uint64_t c0 = m.e->cycles();
  ws.entry(800);
  ws.exit(ExitRecord{}, 1200);
  EXPECT_EQ(m.e->cycles(), c0 + 2000);
}

TEST(WorldSwitch, RecordTakesTheExitsAddresses) {
  GuestExit x;
  x.reason = 48 | (1u << 31);
  x.qualification = 0x182;
  x.has_linear = true;
  x.guest_linear = 0x7000;
  x.has_physical = true;
  x.guest_physical = 0x150000;
  const ExitRecord r = WorldSwitch::record(x, 48, "EPT_VIOLATION", 0x130007);
  EXPECT_EQ(r.reason, 48u);
  EXPECT_STREQ(r.reason_name, "EPT_VIOLATION");
  EXPECT_EQ(r.qualification, 0x182u);
  EXPECT_EQ(r.guest_rip, 0x130007u);
  EXPECT_TRUE(r.has_linear);
  EXPECT_EQ(r.guest_linear, 0x7000u);
  EXPECT_TRUE(r.has_physical);
  EXPECT_EQ(r.guest_physical, 0x150000u);
}

// ---- cost_table.h ------------------------------------------------------------------
struct Costs {
  uint64_t run = 0, exit = 0;
};
struct Counters {
  uint64_t runs = 0, exits = 0;
};
const CostParam<Costs> kCosts[] = {
    {"t.run_cycles", 600, "a run", &Costs::run},
    {"t.exit_cycles", 700, "an exit", &Costs::exit},
};
const CounterStat<Counters> kCounters[] = {
    {"t.runs", "runs", &Counters::runs},
    {"t.exits", "exits", &Counters::exits},
};

TEST(CostTable, DeclaresEveryKeyInCyclesAndReadsItBack) {
  base::ParamRegistry reg;
  declare_costs(reg, kCosts);
  ASSERT_NE(reg.find("t.run_cycles"), nullptr);
  EXPECT_EQ(reg.find("t.exit_cycles")->unit, "cycles");
  base::Config cfg(reg);
  Costs c = costs_from_config(cfg, kCosts);
  EXPECT_EQ(c.run, 600u);
  EXPECT_EQ(c.exit, 700u);
  cfg.set_override("t.exit_cycles=250");
  c = costs_from_config(cfg, kCosts);
  EXPECT_EQ(c.run, 600u);
  EXPECT_EQ(c.exit, 250u);
}

TEST(CostTable, RegistersCountersThatFollowTheirOwner) {
  base::StatRegistry stats;
  Counters n;
  register_counters(stats, n, kCounters);
  n.exits = 3;
  const base::StatSnapshot s = stats.snapshot();
  EXPECT_EQ(s.at("t.runs"), 0u);
  EXPECT_EQ(s.at("t.exits"), 3u);
}

}  // namespace
}  // namespace hvsim::virt
