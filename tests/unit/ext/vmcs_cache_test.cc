// ext.vmcs_cache: hits on a VMCS/VMCB held on chip make VMREAD/VMWRITE,
// VMPTRLD and world switches cheaper; misses fill, LRU evicts, VMCLEAR drops.
#include <gtest/gtest.h>

#include "machine.h"
#include "sim/ext/registry.h"
#include "vmx_machine.h"

namespace hvsim::ext {
namespace {

using namespace core;
using namespace core::testing;

struct CacheMachine : Machine {
  explicit CacheMachine(std::vector<std::string> sets) {
    auto c = std::make_unique<base::Config>(reg);
    for (const std::string& s : sets) c->set_override(s);
    e = std::make_unique<Engine>(bus, *c);
    cfg = std::move(c);
  }
  Extension& cache() { return *e->extensions().get("vmcs_cache"); }
};

constexpr uint64_t kA = 0x201000, kB = 0x202000, kC = 0x203000;

TEST(ExtVmcsCache, OffByDefault) {
  CacheMachine m({});
  EXPECT_EQ(m.e->extensions().get("vmcs_cache"), nullptr);
}

TEST(ExtVmcsCache, MissFillsThenHitsAreCheaper) {
  CacheMachine m({"ext.vmcs_cache.enabled=true"});
  Extension& c = m.cache();
  EXPECT_EQ(c.cost({CostEvent::kVmptrld, 0, kA}, 200), 200u);  // miss: fills
  EXPECT_EQ(c.cost({CostEvent::kVmptrld, 0, kA}, 200), 20u);   // vmptrld_hit_cycles
  EXPECT_EQ(c.cost({CostEvent::kVmread, 0, kA}, 50), 4u);      // access_hit_cycles
  EXPECT_EQ(c.cost({CostEvent::kVmwrite, 0, kA}, 45), 4u);
  EXPECT_EQ(c.cost({CostEvent::kVmxExit, 28, kA}, 1200), 720u);  // 60 %
  EXPECT_EQ(c.cost({CostEvent::kSvmEntry, 0, kA}, 600), 360u);
  EXPECT_EQ(c.cost({CostEvent::kVmread, 0, 0}, 50), 50u);  // unknown state: unchanged
}

TEST(ExtVmcsCache, VmclearDropsAndLruEvicts) {
  CacheMachine m({"ext.vmcs_cache.enabled=true", "ext.vmcs_cache.entries=2"});
  Extension& c = m.cache();
  c.cost({CostEvent::kVmptrld, 0, kA}, 200);
  c.cost({CostEvent::kVmclear, 0, kA}, 200);
  EXPECT_EQ(c.cost({CostEvent::kVmread, 0, kA}, 50), 50u);  // dropped by VMCLEAR: miss
  c.cost({CostEvent::kVmptrld, 0, kB}, 200);                // holds A, B
  c.cost({CostEvent::kVmread, 0, kA}, 50);                  // A most recent
  c.cost({CostEvent::kVmptrld, 0, kC}, 200);                // evicts B
  EXPECT_EQ(c.cost({CostEvent::kVmread, 0, kA}, 50), 4u);
  EXPECT_EQ(c.cost({CostEvent::kVmread, 0, kB}, 50), 50u);
}

// VMREAD on the VMX machine: the second of two VMREADs of the current VMCS
// hits (the machine's VMPTRLD bypassed the instruction, so the first misses).
uint64_t two_vmreads(std::vector<std::string> sets) {
  struct M : vmx::test::VmxMachine {
    explicit M(const std::vector<std::string>& sets) {
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
  } m(sets);
  m.e->s.gpr[RBX] = 0x681e;  // GUEST_RIP
  m.load(kCode, {0x0f, 0x78, 0xd8, 0x0f, 0x78, 0xd8, 0xf4});  // vmread rax, rbx (x2); hlt
  m.e->s.rip = kCode;
  const uint64_t c0 = m.e->cycles();
  m.run(10);
  EXPECT_EQ(m.s().gpr[RAX], vmx::test::kGuestCode);
  return m.e->cycles() - c0;
}

TEST(ExtVmcsCache, VmreadOnTheVmxMachineHits) {
  const uint64_t off = two_vmreads({});
  const uint64_t on = two_vmreads({"ext.vmcs_cache.enabled=true"});
  EXPECT_EQ(off - on, 50u - 4u);  // vmx.vmread_cycles - access_hit_cycles, once
}

}  // namespace
}  // namespace hvsim::ext
