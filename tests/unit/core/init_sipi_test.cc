// INIT and STARTUP IPI at the core (SDM Vol. 3 10.1 Table 10-1 "INIT";
// 6.9 priority among simultaneous events; 25.2 INIT blocked in VMX root).
#include <memory>

#include "sim/core/interrupt_source.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

class FakeIntc : public InterruptSource {
 public:
  int pending_vector() const override { return vector; }
  int acknowledge() override {
    const int v = vector;
    vector = -1;
    return v;
  }
  bool nmi_pending() const override { return nmi; }
  void take_nmi() override { nmi = false; }
  bool init_pending() const override { return init; }
  void take_init() override {
    init = false;
    ++inits_taken;
  }
  int vector = -1;
  bool nmi = false, init = false;
  int inits_taken = 0;
};

class BlockingUnit : public virt::VirtUnit {
 public:
  bool blocks_init() const override { return true; }
};

constexpr uint64_t kSipiCode = 0x9a000;

// 0x9a000: mov word [0x500], 0x1234 ; mov ax, cs ; hlt (IF = 0 after INIT)
void load_sipi_code(Machine& m) {
  m.load(kSipiCode, {0xc7, 0x06, 0x00, 0x05, 0x34, 0x12, 0x8c, 0xc8, 0xf4});
}

TEST(InitSipi, InitResetsStateKeepsMsrsThenSipiRunsAtVector) {
  Machine m;
  FakeIntc intc;
  m.e->attach_interrupt_controller(&intc, nullptr);
  m.enter_long64();
  m.load(kCode, {0x90, 0x90, 0x90, 0xeb, 0xfe});  // nop x3; jmp $
  ArchState& s = m.e->s;
  s.star = 0x0023001000000000ull;
  s.lstar = 0xffffffff81000000ull;
  s.pat = 0x0007010600070106ull;
  s.sysenter_eip = 0x1234;
  s.mtrr_def_type = 0xc06;
  s.tsc_offset = 777;
  s.cr0 |= CR0_CD;
  s.gpr[RBX] = 0x55;
  EXPECT_EQ(m.run(10), RunExit::kInsnLimit);

  intc.init = true;
  intc.nmi = true;  // INIT wins over the simultaneous NMI (SDM Vol. 3 Table 6-2)
  m.e->notify_interrupt();
  EXPECT_EQ(m.run(10), RunExit::kWaitForSipi);
  EXPECT_TRUE(m.e->waiting_for_sipi());
  EXPECT_EQ(m.e->last_error(), "CPU waiting for SIPI after INIT");
  EXPECT_EQ(intc.inits_taken, 1);
  EXPECT_TRUE(intc.nmi);  // not taken: a core waiting for SIPI takes no NMI
  EXPECT_EQ(m.e->stat_nmis, 0u);
  // Table 10-1 INIT column: reset values...
  EXPECT_EQ(s.mode, Mode::kReal);
  EXPECT_EQ(s.rip, 0xfff0u);
  EXPECT_EQ(s.seg[CS].selector, 0xf000);
  EXPECT_EQ(s.seg[CS].base, 0xffff0000u);
  EXPECT_EQ(s.cr0, CR0_CD | 0x10u) << "ET; CD and NW as before INIT (NW was 0)";
  EXPECT_EQ(s.cr3, 0u);
  EXPECT_EQ(s.cr4, 0u);
  EXPECT_EQ(s.efer, 0u);
  EXPECT_EQ(s.rflags, 2u);
  EXPECT_EQ(s.gpr[RBX], 0u);
  EXPECT_EQ(s.gpr[RDX] & 0xf00, 0x600u);
  // ...but MSRs and CR0.CD are kept.
  EXPECT_EQ(s.star, 0x0023001000000000ull);
  EXPECT_EQ(s.lstar, 0xffffffff81000000ull);
  EXPECT_EQ(s.pat, 0x0007010600070106ull);
  EXPECT_EQ(s.sysenter_eip, 0x1234u);
  EXPECT_EQ(s.mtrr_def_type, 0xc06u);
  EXPECT_EQ(s.tsc_offset, 777u);

  // Still waiting: running again does nothing.
  const uint64_t icount = m.e->instructions();
  EXPECT_EQ(m.run(10), RunExit::kWaitForSipi);
  EXPECT_EQ(m.e->instructions(), icount);

  load_sipi_code(m);
  intc.nmi = false;
  m.e->start_at_sipi(0x9a);
  EXPECT_FALSE(m.e->waiting_for_sipi());
  EXPECT_EQ(s.seg[CS].base, kSipiCode);
  EXPECT_EQ(s.seg[CS].selector, 0x9a00);
  EXPECT_EQ(s.rip, 0u);
  EXPECT_EQ(s.star, 0x0023001000000000ull);  // SIPI keeps what INIT kept
  EXPECT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(m.peek<uint16_t>(0x500), 0x1234);
  EXPECT_EQ(s.gpr[RAX] & 0xffff, 0x9a00u);
}

TEST(InitSipi, HaltedCoreWakesForInit) {
  Machine m;
  FakeIntc intc;
  m.e->attach_interrupt_controller(&intc, nullptr);
  m.enter_long64();
  m.load(kCode, {0xfb, 0xf4, 0xeb, 0xfe});  // sti; hlt; jmp $
  EXPECT_EQ(m.run(), RunExit::kHalted);
  EXPECT_TRUE(m.e->halted());
  intc.init = true;
  m.e->notify_interrupt();
  EXPECT_EQ(m.run(), RunExit::kWaitForSipi);
  EXPECT_FALSE(m.e->halted());
  EXPECT_EQ(m.e->s.mode, Mode::kReal);
}

TEST(InitSipi, PendingInitTakenAtFirstBoundary) {
  Machine m;
  FakeIntc intc;
  m.e->attach_interrupt_controller(&intc, nullptr);
  m.enter_long64();
  m.load(kCode, {0xfa, 0xf4, 0xeb, 0xfe});  // cli; hlt; jmp $
  intc.init = true;
  // INIT is already pending: taken at the first boundary, before CLI runs.
  EXPECT_EQ(m.run(), RunExit::kWaitForSipi);
}

TEST(InitSipi, InitBlockedWhileVirtUnitBlocksIt) {
  Machine m;
  FakeIntc intc;
  m.e->attach_interrupt_controller(&intc, nullptr);
  m.e->set_virt_unit(std::make_unique<BlockingUnit>());
  m.enter_long64();
  m.load(kCode, {0x90, 0x90, 0xeb, 0xfe});  // nop; nop; jmp $
  m.e->s.rflags |= IF;
  intc.init = true;
  m.e->notify_interrupt();
  EXPECT_EQ(m.run(50), RunExit::kInsnLimit);
  EXPECT_TRUE(intc.init);  // stays pending
  EXPECT_EQ(intc.inits_taken, 0);
  EXPECT_FALSE(m.e->waiting_for_sipi());
  EXPECT_EQ(m.e->s.mode, Mode::kLong64);
  // Unblocked (VMXOFF): taken at the next look.
  m.e->set_virt_unit(nullptr);
  m.e->notify_interrupt();
  EXPECT_EQ(m.run(50), RunExit::kWaitForSipi);
  EXPECT_EQ(intc.inits_taken, 1);
}

}  // namespace
}  // namespace hvsim::core::testing
