// The wait-for-SIPI activity state (SDM Vol. 3 24.4.2, 26.7.1, 27.2.1): a
// guest entered in it runs nothing until a SIPI, which is a VM exit (reason
// 4, the vector as qualification); IA32_VMX_MISC[8] reports the state.
#include <gtest/gtest.h>

#include "vmx_machine.h"

namespace hvsim::vmx {
namespace {

using namespace test;

TEST(WaitForSipi, SipiIsAVmExitWithTheVector) {
  VmxMachine m;
  ASSERT_TRUE(m.v->caps().misc() & (1u << 8));
  m.set(F::GUEST_ACTIVITY_STATE, kWaitSipi);
  m.load(kGuestCode, {0x0f, 0xa2});  // cpuid: must not run before the SIPI
  ASSERT_TRUE(m.launch());
  m.run(100);
  EXPECT_TRUE(m.v->non_root()) << "the guest waits";
  m.e->start_at_sipi(0x12);
  m.run(100);
  ASSERT_FALSE(m.v->non_root());
  EXPECT_EQ(m.exit_reason(), kExitSipi);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0x12u);
  EXPECT_EQ(m.get(F::GUEST_ACTIVITY_STATE), kWaitSipi);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
}

// 26.3.1.5: no event injection into the wait-for-SIPI state.
TEST(WaitForSipi, InjectionIntoWaitForSipiFailsEntry) {
  VmxMachine m;
  m.set(F::GUEST_ACTIVITY_STATE, kWaitSipi);
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, intr::make(0x30, intr::kExternal, false));
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kFailGuestState);
}

}  // namespace
}  // namespace hvsim::vmx
