// ExitTracker: cycle accounting, per-reason aggregation, filter, statistics.
#include "sim/virt/exit_tracker.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace hvsim::virt {
namespace {

struct Captured {
  std::vector<ExitRecord> records;
  std::vector<std::string> names;  // copied: reason_name points into the tracker
  std::vector<std::vector<uint64_t>> guest;  // {vcpu, begin, end}
  int finished = 0;
};

class CaptureSink : public ExitSink {
 public:
  explicit CaptureSink(Captured& c) : c_(c) {}
  void record(const ExitRecord& r) override {
    c_.records.push_back(r);
    c_.names.emplace_back(r.reason_name);
  }
  void finish() override { ++c_.finished; }
  void guest_phase(uint32_t vcpu, uint64_t b, uint64_t e) override {
    c_.guest.push_back({vcpu, b, e});
  }

 private:
  Captured& c_;
};

ExitRecord exit_at(uint64_t cycle, uint32_t reason, const char* name, uint64_t exit_cost = 100) {
  ExitRecord r;
  r.cycle = cycle;
  r.reason = reason;
  r.reason_name = name;
  r.exit_cost = exit_cost;
  return r;
}

// VMLAUNCH began at 1000 (entry_cost 50, guest from 1050); every exit costs
// 100, every entry 50; the run ends at 5600 in the host, one exit pending.
void run_sequence(ExitTracker& t) {
  t.on_entry(1050, 50);
  t.on_exit(exit_at(2000, 10, "CPUID"));
  t.on_entry(2400, 50);
  ExitRecord ept = exit_at(3000, 48, "EPT_VIOLATION");
  ept.qualification = 0x181;
  ept.has_linear = true;
  ept.guest_linear = 0x7000;
  ept.has_physical = true;
  ept.guest_physical = 0x1234000;
  t.on_exit(ept);
  t.on_entry(4000, 50);
  t.on_exit(exit_at(4500, 10, "CPUID"));
  t.on_entry(4700, 50);
  t.on_exit(exit_at(5000, 10, "CPUID"));
  t.finish(5600);
}

TEST(ExitTracker, GuestHostAndWorldSwitchAccounting) {
  ExitTracker t;
  Captured c;
  t.add_sink(std::make_unique<CaptureSink>(c));
  run_sequence(t);
  EXPECT_EQ(t.exits(), 4u);
  EXPECT_EQ(t.entries(), 4u);
  EXPECT_EQ(t.cycles_in_guest(), 950u + 600 + 500 + 300);
  EXPECT_EQ(t.cycles_in_host(), (400u - 150) + (1000 - 150) + (200 - 150) + (600 - 100));
  EXPECT_EQ(t.world_switch_cycles(), 4u * 100 + 4 * 50);
  // Everything from the start of VMLAUNCH to the end is one of the three.
  EXPECT_EQ(t.cycles_in_guest() + t.cycles_in_host() + t.world_switch_cycles(), 5600u - 1000);

  ASSERT_EQ(c.records.size(), 4u);
  EXPECT_EQ(c.records[0].host_cycles, 400u);
  EXPECT_EQ(c.records[0].entry_cost, 50u);
  EXPECT_EQ(c.records[1].host_cycles, 1000u);
  EXPECT_EQ(c.records[1].guest_physical, 0x1234000u);
  EXPECT_EQ(c.names[1], "EPT_VIOLATION");
  EXPECT_EQ(c.records[3].host_cycles, 600u);  // completed by finish()
  EXPECT_EQ(c.records[3].entry_cost, 0u);
  EXPECT_EQ(c.guest, (std::vector<std::vector<uint64_t>>{
                         {0, 1050, 2000}, {0, 2400, 3000}, {0, 4000, 4500}, {0, 4700, 5000}}));
  EXPECT_EQ(c.finished, 1);
}

TEST(ExitTracker, RunEndingInTheGuestCountsTheTail) {
  ExitTracker t;
  Captured c;
  t.add_sink(std::make_unique<CaptureSink>(c));
  ExitRecord r = exit_at(500, 10, "CPUID");
  r.vcpu = 2;
  t.on_entry(100, 40);
  t.on_exit(r);
  t.on_entry(800, 40);
  t.finish(1000);
  t.finish(5000);  // a second finish changes nothing
  EXPECT_EQ(t.cycles_in_guest(), 400u + 200);
  EXPECT_EQ(t.cycles_in_host(), 300u - 140);
  EXPECT_EQ(t.world_switch_cycles(), 180u);
  EXPECT_EQ(c.guest, (std::vector<std::vector<uint64_t>>{{2, 100, 500}, {2, 800, 1000}}));
  EXPECT_EQ(c.finished, 1);
  EXPECT_THROW(t.on_exit(r), std::logic_error);
  EXPECT_THROW(t.on_entry(2000, 0), std::logic_error);
}

TEST(ExitTracker, FinishWithPendingExitAndNoEntryAtAll) {
  ExitTracker t;
  t.on_exit(exit_at(100, 10, "CPUID", 30));
  t.finish(90);  // an end before the exit reads as no time, never a wrap-around
  EXPECT_EQ(t.cycles_in_host(), 0u);
  EXPECT_EQ(t.cycles_in_guest(), 0u);
  const std::string s = t.summary_text();
  EXPECT_NE(s.find("Total Samples:1, Total events handled time:0cycles."), std::string::npos) << s;
}

TEST(ExitTracker, ExitAfterExitCompletesTheFirst) {
  ExitTracker t;
  Captured c;
  t.add_sink(std::make_unique<CaptureSink>(c));
  t.on_entry(0, 0);
  t.on_exit(exit_at(100, 10, "CPUID", 10));
  t.on_exit(exit_at(250, 48, "EPT_VIOLATION", 10));
  t.on_entry(400, 20);
  t.finish(400);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[0].host_cycles, 150u);
  EXPECT_EQ(c.records[0].entry_cost, 0u);
  EXPECT_EQ(c.records[1].host_cycles, 150u);
  EXPECT_EQ(t.cycles_in_host(), 140u + 120);
}

TEST(ExitTracker, FilterIsCaseInsensitiveAndLeavesTheSummaryWhole) {
  ExitTracker t;
  Captured c;
  t.add_sink(std::make_unique<CaptureSink>(c));
  t.set_filter({"ept_violation", "Hlt"});
  run_sequence(t);
  ASSERT_EQ(c.names, (std::vector<std::string>{"EPT_VIOLATION"}));
  EXPECT_EQ(c.guest.size(), 4u) << "guest phases are not exits: never filtered";
  EXPECT_NE(t.summary_text().find("Total Samples:4,"), std::string::npos);
  t.set_filter({});
}

TEST(ExitTracker, EmptyFilterPassesEverything) {
  ExitTracker t;
  Captured c;
  t.add_sink(std::make_unique<CaptureSink>(c));
  t.set_filter({"CPUID"});
  t.set_filter({});
  run_sequence(t);
  EXPECT_EQ(c.records.size(), 4u);
}

TEST(ExitTracker, SummaryOfTheSequence) {
  ExitTracker t;
  run_sequence(t);
  EXPECT_EQ(t.summary_text(),
            "Analyze events for all VMs, all VCPUs (whole run; times in cycles, from each exit "
            "to the next entry):\n"
            "\n"
            "             VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time               "
            " Avg time   Exit cost\n"
            "\n"
            "               CPUID          3    75.00%    54.55%         200         600    400.00 "
            "( +- 28.87% )      100.00\n"
            "       EPT_VIOLATION          1    25.00%    45.45%        1000        1000   1000.00 "
            "( +-  0.00% )      100.00\n"
            "\n"
            "Total Samples:4, Total events handled time:2200cycles.\n");
}

TEST(ExitTracker, NoExitsGivesHeaderAndZeroTotal) {
  ExitTracker t;
  t.finish(100);
  const std::string s = t.summary_text();
  EXPECT_EQ(s.rfind("Analyze events for all VMs, all VCPUs (whole run; times in cycles", 0), 0u);
  EXPECT_NE(s.find("Total Samples:0, Total events handled time:0cycles.\n"), std::string::npos);
}

TEST(ExitTracker, ReasonsAreKeyedByArchAndNumber) {
  ExitTracker t;
  base::StatRegistry stats;
  t.register_stats(stats);
  ExitRecord svm = exit_at(10, 0x72, "VMEXIT_CPUID");
  svm.arch = Arch::kSvm;
  t.on_exit(svm);
  t.on_entry(20, 0);
  t.on_exit(exit_at(30, 10, "CPUID"));
  t.on_entry(40, 0);
  t.on_exit(exit_at(50, 10, "CPUID"));
  t.on_entry(60, 0);
  ExitRecord unnamed = exit_at(70, 0x400, nullptr);
  unnamed.arch = Arch::kSvm;
  t.on_exit(unnamed);
  t.on_exit(exit_at(80, 77, ""));
  t.on_exit(exit_at(90, 78, "CPUID"));  // same name, another number: its own row
  t.finish(100);
  EXPECT_EQ(stats.value("virt.exits"), 6u);
  EXPECT_EQ(stats.value("virt.exits.CPUID"), 2u);
  EXPECT_EQ(stats.value("virt.exit_time.CPUID"), 20u);
  EXPECT_EQ(stats.value("virt.exits.VMEXIT_CPUID"), 1u);
  EXPECT_EQ(stats.value("virt.exits.svm_0x400"), 1u);
  EXPECT_EQ(stats.value("virt.exits.vmx_77"), 1u);
  EXPECT_EQ(stats.value("virt.exits.CPUID_2"), 1u);
  EXPECT_EQ(stats.value("virt.entries"), 3u);
  const std::string s = t.summary_text();
  EXPECT_NE(s.find("svm_0x400"), std::string::npos) << s;
  // Rows: CPUID (2) first; then the single-sample rows by time descending.
  EXPECT_LT(s.find("               CPUID          2"), s.find("VMEXIT_CPUID")) << s;
}

TEST(ExitTracker, StatsRegisteredAfterExitsStillSeeThem) {
  ExitTracker t;
  t.on_entry(0, 5);
  t.on_exit(exit_at(100, 12, "HLT", 7));
  base::StatRegistry stats;
  t.register_stats(stats);
  t.on_entry(200, 5);
  t.finish(300);
  EXPECT_EQ(stats.value("virt.exits.HLT"), 1u);
  EXPECT_EQ(stats.value("virt.exit_time.HLT"), 100u);
  EXPECT_EQ(stats.value("virt.cycles_in_guest"), 200u);
  EXPECT_EQ(stats.value("virt.cycles_in_host"), 88u);
  EXPECT_EQ(stats.value("virt.world_switch_cycles"), 17u);
  const std::string json = stats.to_json();
  EXPECT_NE(json.find("\"virt.exits.HLT\": 1"), std::string::npos) << json;
}

TEST(ExitTracker, ReasonNamesWithOddCharactersMakeValidStatNames) {
  ExitTracker t;
  base::StatRegistry stats;
  t.register_stats(stats);
  t.on_exit(exit_at(1, 60, "EXT.fast ept-switch"));
  t.finish(2);
  EXPECT_EQ(stats.value("virt.exits.EXT_fast_ept_switch"), 1u);
}

TEST(ExitTracker, RegionOfInterestBaseStartsLateReasonsAtZero) {
  ExitTracker t;
  base::StatRegistry stats;
  t.register_stats(stats);
  t.on_exit(exit_at(1, 10, "CPUID"));
  t.on_entry(5, 0);
  stats.set_base(stats.snapshot());
  t.on_exit(exit_at(10, 12, "HLT"));
  t.on_entry(15, 0);
  t.finish(20);
  EXPECT_EQ(stats.value("virt.exits"), 1u);
  EXPECT_EQ(stats.value("virt.exits.CPUID"), 0u);
  EXPECT_EQ(stats.value("virt.exits.HLT"), 1u);
}

}  // namespace
}  // namespace hvsim::virt

namespace hvsim::virt {
namespace {

TEST(ExitTracker, IoExitsByPortAndMsrExitsByMsr) {
  ExitTracker t;
  ExitRecord out = exit_at(100, 30, "IO_INSTRUCTION", 0);
  out.qualification = 0x3f8u << 16;  // OUT DX, AL to 3F8h
  ExitRecord in = exit_at(300, 30, "IO_INSTRUCTION", 0);
  in.qualification = (0x3fdu << 16) | 8;  // bit 3: IN
  ExitRecord wrmsr = exit_at(600, 32, "MSR_WRITE", 0);
  wrmsr.has_msr = true;
  wrmsr.msr = 0xc0000080;
  ExitRecord svm_in = exit_at(900, 0x7b, "VMEXIT_IOIO", 0);
  svm_in.arch = Arch::kSvm;
  svm_in.qualification = (0x3fdu << 16) | 1;  // EXITINFO1 bit 0: IN
  t.on_exit(out);
  t.on_entry(150, 0);
  t.on_exit(in);
  t.on_entry(400, 0);
  t.on_exit(wrmsr);
  t.on_entry(640, 0);
  t.on_exit(svm_in);
  t.on_entry(1000, 0);
  t.finish(1000);
  const std::string s = t.summary_text();
  EXPECT_NE(s.find("      0x03fd      IN          2    66.67%      100.00\n"), std::string::npos)
      << s;
  EXPECT_NE(s.find("      0x03f8     OUT          1    33.33%       50.00\n"), std::string::npos)
      << s;
  EXPECT_NE(s.find("  0xc0000080   WRMSR          1   100.00%       40.00\n"), std::string::npos)
      << s;
}

}  // namespace
}  // namespace hvsim::virt
