// VMX debug state and the monitor trap flag, the classes of bug that
// kvm-unit-tests' vmx.flat found (vmx_mtf_test, vmx_db_test,
// vmx_preemption_timer_zero_test, debug controls, vmx_pae_test):
//  - MTF exits after one instruction however often the run loop looks at the
//    boundary before it runs (SDM Vol. 3 25.5.2);
//  - an MTF exit has priority over a single-step trap, which it saves in the
//    pending-debug-exceptions field (25.5.2, 27.3.4);
//  - a #DB that exits leaves DR6 alone and reports its bits in the exit
//    qualification (27.1, Table 28-1);
//  - pending debug exceptions are loaded by VM entry (26.7.3);
//  - a pending MTF VM exit can be injected (26.6.2);
//  - IA32_DEBUGCTL is loaded, saved and cleared with the debug controls (26.3.2.1,
//    27.3.1, 27.5.1);
//  - entry checks: PAE PDPTEs (26.3.1.6), TPR threshold against VTPR (26.2.1.1),
//    pending debug exceptions against RFLAGS.TF (26.3.1.5);
//  - RDPID is #UD while "enable RDTSCP" is 0 (25.3);
//  - the load-IA32_PERF_GLOBAL_CTRL entry and exit controls.
#include <gtest/gtest.h>

#include "vmx_machine.h"

namespace hvsim::vmx {
namespace {

using namespace test;

constexpr uint64_t kTf = 1u << 8, kBs = 1u << 14;
constexpr uint8_t kNop = 0x90;

void set_proc(VmxMachine& m, uint32_t primary, uint32_t secondary = 0) {
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kSecondary | primary);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, secondary);
}

// The run loop may come to the boundary after VM entry several times before
// the guest's first instruction (here: budgets that end at once); MTF still
// waits for one instruction.
TEST(VmxMtf, WaitsForOneInstructionAcrossRepeatedBoundaries) {
  VmxMachine m;
  set_proc(m, proc::kMtf);
  m.load(kGuestCode, {kNop, kNop, kNop});
  ASSERT_TRUE(m.launch());
  for (int i = 0; i < 3; ++i) m.e->run(m.e->cycles());  // budget already spent
  EXPECT_TRUE(m.v->non_root());
  m.run(100);
  EXPECT_EQ(m.exit_reason(), kExitMtf);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
}

// MTF and a single-step trap on the same boundary: the MTF exit wins, the
// #DB is not delivered and BS is saved as a pending debug exception.
TEST(VmxMtf, SavesSingleStepTrapAsPendingDebugException) {
  VmxMachine m;
  set_proc(m, proc::kMtf);
  m.set(F::GUEST_RFLAGS, 2 | kTf);
  m.s().gpr[R14] = 0;
  m.run_guest({kNop, kNop});
  EXPECT_EQ(m.exit_reason(), kExitMtf);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
  EXPECT_EQ(m.get(F::GUEST_PENDING_DBG_EXCEPTIONS), kBs);
  EXPECT_EQ(m.s().gpr[R14], 0u) << "the #DB handler ran";
}

// A fault during the instruction: MTF follows the delivery of the fault,
// at the handler's first instruction.
TEST(VmxMtf, FollowsDeliveryOfAFault) {
  VmxMachine m;
  set_proc(m, proc::kMtf);
  m.run_guest({0x0f, 0x0b});  // ud2
  EXPECT_EQ(m.exit_reason(), kExitMtf);
  EXPECT_EQ(m.get(F::GUEST_RIP), core::testing::Machine::stub(kUD));
}

// Interruption type 7, vector 0: a pending MTF VM exit before any
// instruction, even with the MTF control clear.
TEST(VmxMtf, InjectedPendingMtfExitsBeforeFirstInstruction) {
  VmxMachine m;
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, 0x80000000u | (7u << 8));
  m.run_guest({kNop});
  EXPECT_EQ(m.exit_reason(), kExitMtf);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
}

// A single-step #DB intercepted by the exception bitmap: DR6 is untouched
// and the exit qualification holds BS.
TEST(VmxDebug, InterceptedDbLeavesDr6AndReportsQualification) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kDB);
  m.set(F::GUEST_RFLAGS, 2 | kTf);
  m.s().dr[6] = 0xffff4ffa;  // stale BS, B3, B1
  m.run_guest({kNop, kNop});
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO) & 0xff, kDB);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), kBs);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
  EXPECT_EQ(m.s().dr[6], 0xffff4ffau);
}

// Delivered in the guest, the same #DB writes DR6: B0-B3 replaced, BS set.
TEST(VmxDebug, DeliveredDbWritesDr6) {
  VmxMachine m;
  m.set(F::GUEST_RFLAGS, 2 | kTf);
  m.s().dr[6] = 0xffff0ffa;
  m.run_guest({kNop, kNop});
  EXPECT_TRUE(m.v->non_root());
  EXPECT_EQ(m.s().gpr[R14], kDB);
  EXPECT_EQ(m.s().dr[6], 0xffff4ff0u);
}

// Pending debug exceptions at entry (enabled breakpoint + B1, no blocking):
// a #DB trap before the first instruction, here intercepted.
TEST(VmxDebug, PendingDebugExceptionsLoadedAtEntry) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kDB);
  m.set(F::GUEST_PENDING_DBG_EXCEPTIONS, (1u << 12) | 2);
  m.run_guest({kNop});
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 2u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
}

// With MOV-SS blocking they are held for one instruction and merge with its
// single-step trap (vmx_db_test's "single-step in MOVSS shadow").
TEST(VmxDebug, PendingDebugExceptionsHeldByMovSs) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kDB);
  m.set(F::GUEST_RFLAGS, 2 | kTf);
  m.set(F::GUEST_INTERRUPTIBILITY_INFO, interruptibility::kMovSs);
  m.set(F::GUEST_PENDING_DBG_EXCEPTIONS, kBs | (1u << 12) | 1);
  m.run_guest({kNop, kNop});
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), kBs | 1);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
  EXPECT_EQ(m.get(F::GUEST_PENDING_DBG_EXCEPTIONS), 0u);
}

// 26.3.1.5: with blocking, BS must say whether RFLAGS.TF single-steps.
TEST(VmxDebug, PendingBsMustMatchTfUnderBlocking) {
  VmxMachine m;
  m.set(F::GUEST_INTERRUPTIBILITY_INFO, interruptibility::kMovSs);
  m.set(F::GUEST_PENDING_DBG_EXCEPTIONS, kBs);  // TF = 0
  m.load(kGuestCode, {kNop});
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kFailGuestState);
  EXPECT_EQ(m.exit_reason(), kExitInvalidGuestState | kExitEntryFailure);
}

TEST(VmxDebug, DebugctlLoadedSavedAndClearedOnExit) {
  VmxMachine m;
  m.set(F::VM_ENTRY_CONTROLS, entryc::kTrueDefault1 | entryc::kIa32eGuest | entryc::kLoadDebug);
  m.set(F::VM_EXIT_CONTROLS, exitc::kTrueDefault1 | exitc::kHostAddrSpace | exitc::kSaveDebug);
  m.set(F::GUEST_DR7, 0x400);
  m.set(F::GUEST_IA32_DEBUGCTL, 2);
  m.s().debugctl = 1;
  m.load(kGuestCode, {0x0f, 0x01, 0xc1});  // vmcall
  ASSERT_TRUE(m.launch());
  EXPECT_EQ(m.s().debugctl, 2u);
  m.run(10);
  EXPECT_EQ(m.exit_reason(), kExitVmcall);
  EXPECT_EQ(m.get(F::GUEST_IA32_DEBUGCTL), 2u);
  EXPECT_EQ(m.s().debugctl, 0u);
}

// ---- entry checks ------------------------------------------------------------------

// A 32-bit PAE guest (not IA-32e) whose PDPTE0 at CR3 has reserved bit 52.
TEST(VmxEntryChecks, PaePdpteReservedBitFailsWithQualification2) {
  VmxMachine m;
  constexpr uint64_t kPdpt = 0x180000;
  m.set(F::VM_ENTRY_CONTROLS, entryc::kTrueDefault1);
  m.set(F::GUEST_CS_AR_BYTES, kCode32 | 1);
  m.set(F::GUEST_CR4, CR4_PAE | CR4_VMXE);
  m.set(F::GUEST_CR3, kPdpt);
  m.poke<uint64_t>(kPdpt, 0x190000 | 1 | (1ull << 52));
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kFailGuestState);
  EXPECT_EQ(m.exit_reason(), kExitInvalidGuestState | kExitEntryFailure);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 2u);
  // Ignored bits 11:9 and a not-present entry's contents are fine.
  m.poke<uint64_t>(kPdpt, 0x190000 | 1 | (7u << 9));
  m.poke<uint64_t>(kPdpt + 8, 1ull << 60);
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kEntered);
}

// Use TPR shadow without APIC-access virtualization: threshold[3:0] above
// VTPR[7:4] is an invalid control (error 7).
TEST(VmxEntryChecks, TprThresholdAboveVtprFails) {
  VmxMachine m;
  constexpr uint64_t kVapic = 0x1a0000;
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kTprShadow);
  m.set(F::VIRTUAL_APIC_PAGE_ADDR, kVapic);
  m.poke<uint32_t>(kVapic + 0x80, 0x30);  // VTPR class 3
  m.set(F::TPR_THRESHOLD, 4);
  m.load(kGuestCode, {kNop});
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kFailValid);
  EXPECT_EQ(m.get(F::VM_INSTRUCTION_ERROR), kErrEntryInvalidControl);
  m.set(F::TPR_THRESHOLD, 3);
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kEntered);
}

// Load IA32_PERF_GLOBAL_CTRL at entry and at exit (26.3.2.1, 27.5.1); a
// bit for a counter that does not exist fails the entry (26.3.1.1, 26.2.2).
TEST(VmxPerfGlobalCtrl, LoadedAtEntryAndExitAndChecked) {
  VmxMachine m;
  ASSERT_NE(m.v->caps().perf_global_ctrl, 0u) << "the default CPU model has an Intel PMU";
  EXPECT_TRUE((m.v->caps().entry_ctls(true) >> 32) & entryc::kLoadPerf);
  EXPECT_TRUE((m.v->caps().exit_ctls(true) >> 32) & exitc::kLoadPerf);
  m.set(F::VM_ENTRY_CONTROLS, entryc::kTrueDefault1 | entryc::kIa32eGuest | entryc::kLoadPerf);
  m.set(F::VM_EXIT_CONTROLS, exitc::kTrueDefault1 | exitc::kHostAddrSpace | exitc::kLoadPerf);
  m.set(F::GUEST_IA32_PERF_GLOBAL_CTRL, 1ull << 32);
  m.set(F::HOST_IA32_PERF_GLOBAL_CTRL, 3);
  m.load(kGuestCode, {0x0f, 0x01, 0xc1});  // vmcall
  ASSERT_TRUE(m.launch());
  EXPECT_EQ(m.s().pmu.global_ctrl, 1ull << 32);
  m.run(10);
  EXPECT_EQ(m.exit_reason(), kExitVmcall);
  EXPECT_EQ(m.s().pmu.global_ctrl, 3u);
  m.set(F::GUEST_IA32_PERF_GLOBAL_CTRL, 1ull << 4);  // no fifth general counter
  EXPECT_EQ(m.v->vm_entry(false), EntryResult::kFailGuestState);
  m.set(F::GUEST_IA32_PERF_GLOBAL_CTRL, 0);
  m.set(F::HOST_IA32_PERF_GLOBAL_CTRL, 1ull << 35);  // no fourth fixed counter
  EXPECT_EQ(m.v->vm_entry(false), EntryResult::kFailValid);
  EXPECT_EQ(m.get(F::VM_INSTRUCTION_ERROR), kErrEntryInvalidHost);
}

TEST(VmxInsn, RdpidIsUdWithoutEnableRdtscp) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kUD);
  m.run_guest({0xf3, 0x0f, 0xc7, 0xf8});  // rdpid rax
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO) & 0xff, kUD);
}

}  // namespace
}  // namespace hvsim::vmx
