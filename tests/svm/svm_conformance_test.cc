// SVM behaviour kvm-unit-tests' svm.flat checks and hvsim got wrong (APM
// Vol. 2 ch. 15): the RSM intercept, LMSW under the selective CR0
// intercept, host RFLAGS.TF at VMRUN, VMLOAD's canonical bases, the MSRPM
// address check and an intercepted #DB's DR6.
#include <gtest/gtest.h>

#include "svm_machine.h"

namespace hvsim::svm::test {
namespace {

using namespace core;
using namespace core::testing;

constexpr uint64_t kTf = 1u << 8;

// RSM outside SMM: the intercept first (exit 73h), else #UD.
TEST(SvmConformance, RsmInterceptThenUd) {
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kRsm | misc1::kHlt);
  m.run_guest({0x0f, 0xaa});  // rsm
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitRsm));
  SvmMachine u;
  u.put<uint32_t>(0x08, 1u << kUD);  // #UD intercepted
  u.put<uint32_t>(0x0c, misc1::kHlt);
  u.run_guest({0x0f, 0xaa});
  EXPECT_EQ(u.exitcode(), static_cast<uint64_t>(kExitExcp0) + kUD);
}

// LMSW setting CR0.MP meets the selective CR0 intercept (MOV to CR0 would not).
TEST(SvmConformance, LmswMpChangeIsSelectiveCr0Write) {
  SvmMachine m;
  m.put<uint32_t>(0x0c, misc1::kCr0SelWrite | misc1::kHlt);
  // mov rax,cr0; or al,2; lmsw ax; hlt
  m.run_guest({0x0f, 0x20, 0xc0, 0x0c, 0x02, 0x0f, 0x01, 0xf0, 0xf4});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitCr0SelWrite));
}

// VMRUN with host TF: no #DB in the guest; after #VMEXIT the host takes the
// single-step trap with RIP after VMRUN (the handler stub records vector 1).
TEST(SvmConformance, HostTfTrapsAfterVmexit) {
  SvmMachine m;
  m.put<uint32_t>(offsetof(Vmcb, control.intercept_misc2), misc2::kVmrun | misc2::kVmmcall);
  m.s().rflags |= kTf;
  m.s().gpr[R14] = 0;
  m.run_guest({0x0f, 0x01, 0xd9});  // vmmcall
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitVmmcall));
  EXPECT_EQ(m.s().gpr[R14], kDB);
  EXPECT_EQ(m.peek<uint64_t>(m.s().gpr[RSP]), kHostRip + 3) << "#DB frame: RIP after VMRUN";
}

// VMLOAD loads segment bases in canonical form.
TEST(SvmConformance, VmloadCanonicalizesBases) {
  SvmMachine m;
  m.put<uint64_t>(offsetof(Vmcb, save.fs) + 8, 0xaaaa000000001000ull);  // FS.base
  m.put<uint64_t>(offsetof(Vmcb, save.kernel_gs_base), 0x0000800000000000ull);
  m.v->vmload(kVmcbPa);
  EXPECT_EQ(m.s().seg[FS].base, 0x1000u);
  EXPECT_EQ(m.s().kernel_gs_base, 0xffff800000000000ull);
}

// An MSRPM whose last page is the last addressable one is illegal.
TEST(SvmConformance, MsrpmEndingAtMaxPhysAddrFails) {
  SvmMachine m;
  const uint64_t limit = 1ull << m.v->caps().maxphyaddr;
  m.put<uint64_t>(offsetof(Vmcb, control.msrpm_base_pa), limit - 0x2000);
  m.run_guest({0xf4});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitInvalid));
}

// An intercepted #DB has already written the guest's DR6 (KVM reads the
// cause from the VMCB), unlike VMX.
TEST(SvmConformance, InterceptedDbUpdatesDr6) {
  SvmMachine m;
  m.put<uint32_t>(0x08, 1u << kDB);
  m.put<uint64_t>(offsetof(Vmcb, save.rflags), 2 | kTf);
  m.run_guest({0x90, 0x90});
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitExcp0) + kDB);
  EXPECT_EQ(m.vm().save.dr6 & 0x4000, 0x4000u);
}

}  // namespace
}  // namespace hvsim::svm::test
