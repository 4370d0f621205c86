// VMX: CR2 around an injected #PF (SDM Vol. 3C 26.6.1: VM entry does not
// load CR2 for an injected #PF, the VMM sets it; 27.1: a #PF that causes a
// VM exit does not load CR2 either). A shadow-paging VMM injects a #PF whose
// delivery faults on a guest stack not yet in its shadow; the exit
// interrupts the delivery, the VMM fills the shadow and re-injects the #PF
// from the IDT-vectoring information without touching CR2 again.
#include <gtest/gtest.h>

#include "vmx_machine.h"

namespace hvsim::vmx {
namespace {

using namespace test;

constexpr uint64_t kVmmCr2 = 0x8000005008ull;  // what the VMM wrote to CR2
constexpr uint64_t kHostCode = 0x121000;
constexpr uint64_t kUnmappedStack = 0x40000000;  // PDPT entry 1 not present

TEST(EventInjection, InjectedPfExitDuringDeliveryKeepsCr2) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kPF);  // every #PF exits (mask = match = 0)
  m.set(F::GUEST_RSP, kUnmappedStack);
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, intr::make(kPF, intr::kHwException, true));
  m.set(F::VM_ENTRY_EXCEPTION_ERROR_CODE, 3);  // P | W
  // Host: mov cr2, rax; vmlaunch; hlt
  m.load(kHostCode, {0x0f, 0x22, 0xd0, 0x0f, 0x01, 0xc2, 0xf4});
  m.s().gpr[RAX] = kVmmCr2;
  m.s().rip = kHostCode;
  m.run(10);

  // The push of the frame faulted: an exception exit naming the injected #PF.
  ASSERT_FALSE(m.v->non_root());
  ASSERT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), intr::make(kPF, intr::kHwException, true));
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_ERROR_CODE), 2u);  // not present, write
  const uint64_t stack_fault = m.get(F::EXIT_QUALIFICATION);
  EXPECT_LT(stack_fault, kUnmappedStack);
  EXPECT_GE(stack_fault, kUnmappedStack - 64);
  EXPECT_EQ(m.get(F::IDT_VECTORING_INFO_FIELD), intr::make(kPF, intr::kHwException, true));
  EXPECT_EQ(m.get(F::IDT_VECTORING_ERROR_CODE), 3u);
  EXPECT_EQ(m.s().cr2, kVmmCr2) << "neither the injection nor the #PF exit loads CR2";

  // The VMM makes the stack reachable and re-delivers the #PF as reported.
  m.set(F::GUEST_RSP, 0x70000);
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, m.get(F::IDT_VECTORING_INFO_FIELD));
  m.set(F::VM_ENTRY_EXCEPTION_ERROR_CODE, m.get(F::IDT_VECTORING_ERROR_CODE));
  m.load(kHostCode + 0x20, {0x0f, 0x01, 0xc3, 0xf4});  // vmresume; hlt
  m.s().rip = kHostCode + 0x20;
  m.run(10);
  ASSERT_TRUE(m.v->non_root());
  EXPECT_EQ(m.s().gpr[R14], kPF) << "the guest's #PF handler ran";
  EXPECT_EQ(m.stack64(0), 3u);
  EXPECT_EQ(m.s().cr2, kVmmCr2) << "the guest's handler sees the VMM's CR2";
}

// An external interrupt whose vector happens to be 14 is not a page fault:
// delivering it leaves CR2 alone.
TEST(EventInjection, ExternalInterruptVector14KeepsCr2) {
  VmxMachine m;
  m.set(F::GUEST_RFLAGS, 2 | IF);
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, intr::make(kPF, intr::kExternal, false));
  m.s().cr2 = kVmmCr2;
  ASSERT_TRUE(m.launch());
  EXPECT_EQ(m.s().rip, Machine::stub(kPF));
  EXPECT_EQ(m.s().cr2, kVmmCr2);
}

}  // namespace
}  // namespace hvsim::vmx
