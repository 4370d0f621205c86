// Per-exit-reason world-switch costs (vmx.exit_cycles.<REASON>) and
// extensions' costs of world switches (ext.vmcs_cache), on the VMX machine:
// a guest CPUID exits (reason 10) to a host HLT.
#include <gtest/gtest.h>

#include "sim/virt/exit_tracker.h"
#include "vmx_machine.h"

namespace hvsim::ext {
namespace {

using namespace core;
using namespace core::testing;

struct Vm : vmx::test::VmxMachine {
  explicit Vm(const std::vector<std::string>& sets) {
    auto c = std::make_unique<base::Config>(reg);
    for (const std::string& s : sets) c->set_override(s);
    e = std::make_unique<Engine>(bus, *c);
    cfg = std::move(c);
    v = vmx::attach(*e, *cfg);
    enter_long64();
    e->s.cr4 |= CR4_VMXE;
    v->feature_control = 5;
    v->do_vmxon(vmx::test::kVmxon);
    v->do_vmclear(vmx::test::kVmcs);
    v->do_vmptrld(vmx::test::kVmcs);
    setup_vmcs();
  }
};

// Cycles from before VMLAUNCH to the host's HLT after the CPUID exit.
uint64_t cpuid_round_trip(const std::vector<std::string>& sets) {
  Vm m(sets);
  m.load(vmx::test::kGuestCode, {0x0f, 0xa2, 0xf4});
  const uint64_t c0 = m.e->cycles();
  EXPECT_TRUE(m.launch());
  m.run(10);
  EXPECT_EQ(m.exit_reason(), 10u);  // CPUID
  return m.e->cycles() - c0;
}

TEST(ExitCycles, PerReasonCostReplacesTheGlobalOneForThatReasonOnly) {
  const uint64_t base = cpuid_round_trip({});
  EXPECT_EQ(base - cpuid_round_trip({"vmx.exit_cycles.CPUID=200"}), 1200u - 200u);
  EXPECT_EQ(cpuid_round_trip({"vmx.exit_cycles.CPUID=5000"}) - base, 5000u - 1200u);
  EXPECT_EQ(cpuid_round_trip({"vmx.exit_cycles.HLT=5"}), base);      // another reason
  EXPECT_EQ(cpuid_round_trip({"vmx.vmexit_cycles=1300"}) - base, 100u);  // the global
}

TEST(ExitCycles, TheRecordCarriesTheCostPaid) {
  Vm m({"vmx.exit_cycles.CPUID=321"});
  virt::ExitTracker t;
  m.e->set_exit_tracker(&t);
  uint64_t cost = 0;
  struct Sink : virt::ExitSink {
    uint64_t* out;
    explicit Sink(uint64_t* o) : out(o) {}
    void record(const virt::ExitRecord& r) override { *out = r.exit_cost; }
    void finish() override {}
  };
  t.add_sink(std::make_unique<Sink>(&cost));
  m.load(vmx::test::kGuestCode, {0x0f, 0xa2, 0xf4});
  ASSERT_TRUE(m.launch());
  m.run(10);
  t.finish(m.e->cycles());
  EXPECT_EQ(cost, 321u);
}

TEST(ExtVmcsCache, WorldSwitchOnTheCachedVmcsIsCheaper) {
  // The entry misses (fills the VMCS), the exit hits: 60 % of 1200.
  EXPECT_EQ(cpuid_round_trip({}) - cpuid_round_trip({"ext.vmcs_cache.enabled=true"}),
            1200u - 720u);
}

}  // namespace
}  // namespace hvsim::ext
