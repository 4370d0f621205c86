// ext.fastcall: #UD when off or outside guest mode, the CPUID bit, the MSRs,
// and in VMX guest mode an exit-less round trip through the handler at the
// configured cost, or an exit (reason 96) when the handler is disabled.
#include <gtest/gtest.h>

#include "sim/ext/fastcall/fastcall.h"
#include "sim/ext/registry.h"
#include "vmx_machine.h"

namespace hvsim::ext::fastcall {
namespace {

using namespace core;
using namespace core::testing;
using vmx::F;

constexpr uint64_t kHandler = 0x140000, kHandlerStack = 0x60000;

// The VMX test machine rebuilt with `sets` applied to its config.
struct FastcallVmx : vmx::test::VmxMachine {
  explicit FastcallVmx(std::vector<std::string> sets) {
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
    // The handler: add rax, rbx; FASTRET.
    load(kHandler, {0x48, 0x01, 0xd8, 0x0f, kOpFastret});
  }
  void wrmsr(uint32_t index, uint64_t value) {
    // WRMSR from host code: ECX, EDX:EAX, then HLT.
    e->s.gpr[RCX] = index;
    e->s.gpr[RAX] = value & 0xffffffff;
    e->s.gpr[RDX] = value >> 32;
    load(0x150000, {0x0f, 0x30, 0xf4});
    e->s.rip = 0x150000;
    e->set_halted(false);
    run(5);
  }
  void enable_handler() {
    wrmsr(kMsrRip, kHandler);
    wrmsr(kMsrRsp, kHandlerStack);
    wrmsr(kMsrCr3, e->s.cr3);
    wrmsr(kMsrCtl, kCtlEnable | uint64_t{kSelCode64} << 32);
  }
};

// Guest: mov eax, 5; mov ebx, 10; FASTCALL; mov ecx, eax; hlt
const std::vector<uint8_t> kGuest{0xb8, 5, 0, 0, 0, 0xbb, 10, 0, 0, 0, 0x0f, kOpFastcall,
                                  0x89, 0xc1, 0xf4};

TEST(ExtFastcall, OffIsUndefinedOpcode) {
  FastcallVmx m({});
  m.load(kCode, {0x0f, kOpFastcall, 0xf4});
  m.e->s.rip = kCode;
  m.run(10);
  EXPECT_EQ(m.s().gpr[R14], 6u);
}

TEST(ExtFastcall, OnButOutsideGuestModeIsUndefinedOpcode) {
  FastcallVmx m({"ext.fastcall.enabled=true"});
  m.load(kCode, {0x0f, kOpFastret, 0xf4});
  m.e->s.rip = kCode;
  m.run(10);
  EXPECT_EQ(m.s().gpr[R14], 6u);  // FASTRET outside a handler
  m.s().gpr[R14] = 0;
  m.load(kCode, {0x0f, kOpFastcall, 0xf4});
  m.e->s.rip = kCode;
  m.e->set_halted(false);
  m.run(10);
  EXPECT_EQ(m.s().gpr[R14], 6u);  // FASTCALL in root operation
}

TEST(ExtFastcall, CpuidBitOnlyWhenEnabled) {
  FastcallVmx off({});
  EXPECT_EQ(off.e->cpuid_model().query(kCpuidLeaf, 0).eax, 0u);
  FastcallVmx on({"ext.fastcall.enabled=true"});
  EXPECT_EQ(on.e->cpuid_model().query(kCpuidLeaf, 0).eax, 1u << kCpuidBit);
}

TEST(ExtFastcall, MsrsReadBackAndRejectNonCanonical) {
  FastcallVmx m({"ext.fastcall.enabled=true"});
  m.enable_handler();
  EXPECT_EQ(m.s().gpr[R14], 0u);
  m.wrmsr(kMsrRip, 0x0000800000000000ull);  // not canonical
  EXPECT_EQ(m.s().gpr[R14], 13u);
}

TEST(ExtFastcall, GuestRoundTripWithoutVmExitAtConfiguredCost) {
  uint64_t cycles[2];
  const char* costs[2] = {"ext.fastcall.call_cycles=40", "ext.fastcall.call_cycles=1040"};
  for (int i = 0; i < 2; ++i) {
    FastcallVmx m({"ext.fastcall.enabled=true", costs[i]});
    m.enable_handler();
    m.set(F::VM_EXIT_REASON, 0xdead);
    m.load(vmx::test::kGuestCode, kGuest);
    ASSERT_TRUE(m.launch());
    const uint64_t c0 = m.e->cycles();
    m.run(100);
    cycles[i] = m.e->cycles() - c0;
    EXPECT_EQ(m.s().gpr[RCX], 15u);            // the handler's RAX + RBX came back
    EXPECT_EQ(m.s().gpr[RBX], 10u);            // the other registers are the guest's
    EXPECT_NE(m.e->guest(), nullptr);          // still in guest mode
    EXPECT_EQ(m.get(F::VM_EXIT_REASON), 0xdeadu);  // no VM exit happened
    EXPECT_EQ(m.s().cr3, kPml4);
    EXPECT_EQ(m.s().seg[CS].selector, kSelCode64);
  }
  EXPECT_EQ(cycles[1] - cycles[0], 1000u);  // exactly the configured difference
}

TEST(ExtFastcall, DisabledHandlerExitsWithItsReason) {
  FastcallVmx m({"ext.fastcall.enabled=true"});
  m.load(vmx::test::kGuestCode, kGuest);
  ASSERT_TRUE(m.launch());
  m.run(100);
  EXPECT_EQ(m.e->guest(), nullptr);  // exited to the host
  EXPECT_EQ(m.exit_reason(), kVmxExitReason);
  EXPECT_EQ(m.get(F::GUEST_RIP), vmx::test::kGuestCode + 10);  // at the FASTCALL
}

TEST(ExtFastcall, GuestWrmsrToHandlerMsrsAlwaysExits) {
  FastcallVmx m({"ext.fastcall.enabled=true"});
  // Guest: wrmsr HVSIM_FASTCALL_CTL; hlt. The index is outside the MSR
  // bitmap's two ranges, so WRMSR exits whatever the bitmap says (SDM Vol. 3
  // 25.1.3): a guest can never point the handler elsewhere.
  m.set(F::CPU_BASED_VM_EXEC_CONTROL,
        m.get(F::CPU_BASED_VM_EXEC_CONTROL) | vmx::proc::kMsrBitmaps);
  m.set(F::MSR_BITMAP, 0x300000);
  m.e->s.gpr[RCX] = kMsrCtl;
  m.load(vmx::test::kGuestCode, {0x0f, 0x30, 0xf4});
  ASSERT_TRUE(m.launch());
  m.run(100);
  EXPECT_EQ(m.exit_reason(), 32u);  // WRMSR
}

}  // namespace
}  // namespace hvsim::ext::fastcall
