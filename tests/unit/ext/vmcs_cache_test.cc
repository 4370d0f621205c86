// ext.vmcs_cache: hits on a VMCS/VMCB held on chip make VMREAD/VMWRITE,
// VMPTRLD and world switches cheaper; misses fill, LRU evicts, VMCLEAR drops.
#include <gtest/gtest.h>

#include "machine.h"
#include "sim/ext/registry.h"

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

}  // namespace
}  // namespace hvsim::ext
