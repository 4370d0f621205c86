// AMD SVM LBR virtualization (APM Vol. 2 15.23): VMRUN loads the guest's
// DBGCTL and last-branch record from the VMCB and #VMEXIT saves them back,
// keeping the host's; without it the record is shared.
#include <gtest/gtest.h>

#include <cstddef>

#include "sim/svm/svm.h"
#include "svm_machine.h"

namespace hvsim::svm::test {
namespace {

// Host: DEBUGCTL.LBR with a record of its own; guest: jmp $+2; vmmcall.
void run_lbr_guest(SvmMachine& m, uint64_t lbr_virt) {
  m.put<uint32_t>(0x10, misc2::kVmrun | misc2::kVmmcall);
  m.put<uint64_t>(offsetof(Vmcb, control.lbr_virt), lbr_virt);
  m.put<uint64_t>(offsetof(Vmcb, save.dbgctl), 1);
  m.e->s.debugctl = 1;
  m.e->s.lbr_from = 0x1111;
  m.e->s.lbr_to = 0x2222;
  m.run_guest({0xeb, 0x00, 0x0f, 0x01, 0xd9});
  ASSERT_EQ(m.exitcode(), static_cast<uint64_t>(kExitVmmcall));
}

TEST(SvmLbrv, GuestRecordStaysInTheVmcbAndTheHostKeepsItsOwn) {
  SvmMachine m;
  EXPECT_TRUE(m.e->cpuid().query(0x8000000a, 0).edx & (1u << 1));  // LbrVirt
  run_lbr_guest(m, 1);
  const Vmcb v = m.vm();
  EXPECT_EQ(v.save.dbgctl, 1u);
  EXPECT_EQ(v.save.br_from, kGuestCode);
  EXPECT_EQ(v.save.br_to, kGuestCode + 2);
  EXPECT_EQ(m.e->s.lbr_from, 0x1111u);  // restored at #VMEXIT
  EXPECT_EQ(m.e->s.debugctl, 1u);
}

TEST(SvmLbrv, WithoutItTheGuestBranchReachesTheHost) {
  SvmMachine m;
  run_lbr_guest(m, 0);
  EXPECT_EQ(m.e->s.lbr_from, kGuestCode);
  EXPECT_EQ(m.e->s.lbr_to, kGuestCode + 2);
  EXPECT_EQ(m.vm().save.br_from, 0u);  // the VMCB is not written
}

}  // namespace
}  // namespace hvsim::svm::test
