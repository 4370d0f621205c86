// Two cores over one RAM with a shared Coherence (sim/core/coherence.h):
// cross-modifying code (SDM Vol. 3A 8.1.3) and MONITOR/MWAIT woken by the
// other core's store (SDM Vol. 2B MWAIT), at the engine level. The stores
// are executed instructions, so the host-TLB write shortcuts are in play.
#include <utility>

#include "sim/core/coherence.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kOtherCode = kCode + 0x2000;  // core 1's code: another page
// Core 1's code, loaded once (so its own decoded block never goes stale):
// mov [rbx], al; hlt.
const Bytes kStoreAlAtRbx = {0x88, 0x03, 0xf4};

struct TwoCores {
  Machine m;  // m.e is the core being set up or run
  std::unique_ptr<Engine> other = std::make_unique<Engine>(m.bus, *m.cfg);
  Coherence c;
  bool woken[2] = {false, false};
  TwoCores() {
    m.e->set_coherence(&c);
    other->set_coherence(&c);
    c.add(m.e.get(), [this] { woken[0] = true; });
    c.add(other.get(), [this] { woken[1] = true; });
    m.load(kOtherCode, kStoreAlAtRbx);
    swap();  // core 1 in long mode, parked at its code
    m.enter_long64(kOtherCode);
    swap();
  }
  void swap() { std::swap(m.e, other); }
  // Core 1 stores the byte v at addr (then HLT).
  void core1_store(uint64_t addr, uint8_t v) {
    swap();
    m.s().rip = kOtherCode;
    m.s().gpr[RAX] = v;
    m.s().gpr[RBX] = addr;
    EXPECT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
    swap();
  }
};

TEST(Coherence, AnotherCoresStoreDropsDecodedCode) {
  TwoCores t;
  t.core1_store(kCode + 1, 0x11);  // core 1 now has a write shortcut to the page
  t.m.load(kCode, {0xb8, 0x11, 0x00, 0x00, 0x00, 0xf4});  // mov eax, 0x11; hlt
  t.m.enter_long64(kCode);
  ASSERT_EQ(t.m.run(), RunExit::kHaltedForever) << t.m.e->last_error();
  EXPECT_EQ(t.m.s().gpr[RAX], 0x11u);  // decoded and cached on core 0
  t.core1_store(kCode + 1, 0x22);  // patches core 0's imm32
  t.m.s().rip = kCode;
  ASSERT_EQ(t.m.run(), RunExit::kHaltedForever);
  EXPECT_EQ(t.m.s().gpr[RAX], 0x22u) << "core 0 ran its stale decoded block";
  EXPECT_GE(t.m.e->stat_smc_invalidations, 1u);
}

TEST(Coherence, MwaitSleepsUntilAStoreIntoTheMonitoredLine) {
  TwoCores t;
  // mov eax, 0x5000; xor ecx, ecx; xor edx, edx; monitor; mwait; hlt
  t.m.load(kCode, {0xb8, 0x00, 0x50, 0x00, 0x00, 0x31, 0xc9, 0x31, 0xd2, 0x0f, 0x01, 0xc8, 0x0f,
                   0x01, 0xc9, 0xf4});
  t.m.enter_long64(kCode);
  ASSERT_EQ(t.m.run(), RunExit::kHalted) << "IF = 0, ECX = 0: only a store can wake it";
  EXPECT_TRUE(t.m.e->halted());
  const uint64_t retired = t.m.e->instructions();
  t.core1_store(0x5040, 1);  // the next line: no wake
  EXPECT_FALSE(t.woken[0]);
  ASSERT_EQ(t.m.run(), RunExit::kHalted);
  EXPECT_EQ(t.m.e->instructions(), retired) << "no instruction retires while it sleeps";
  t.core1_store(0x503f, 1);  // the monitored line's last byte
  EXPECT_TRUE(t.woken[0]);
  ASSERT_EQ(t.m.run(), RunExit::kHaltedForever);
  EXPECT_EQ(t.m.s().rip, kCode + 16);  // past the HLT after MWAIT
  EXPECT_FALSE(t.m.e->monitor.armed);
}

}  // namespace
}  // namespace hvsim::core::testing
