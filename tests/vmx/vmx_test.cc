// VMX tests: a 64-bit host built by hand on the core's test machine; the
// VMCS is set up through the C++ API (or VMX instructions) and the guest
// runs real code.
#include <gtest/gtest.h>

#include "machine.h"
#include "vmx_machine.h"
#include "sim/core/sys/msr.h"
#include "sim/vmx/entry_checks.h"
#include "sim/vmx/exit_reasons.h"
#include "sim/vmx/vmx.h"

namespace hvsim::vmx {
namespace {

using namespace core;
using namespace core::testing;

using namespace test;

TEST(VmxDiscovery, CpuidAndCapabilityMsrs) {
  VmxMachine m;
  EXPECT_TRUE(m.e->cpuid().query(1, 0).ecx & (1u << 5));
  const uint64_t basic = sys::read_msr(*m.e, 0x480);
  EXPECT_EQ(basic & 0x7fffffff, 1u);
  EXPECT_EQ((basic >> 32) & 0x1fff, 4096u);
  EXPECT_EQ((basic >> 50) & 0xf, 6u);
  EXPECT_TRUE(basic & (1ull << 55));
  EXPECT_EQ(sys::read_msr(*m.e, 0x486), 0x80000021u);
  EXPECT_EQ((sys::read_msr(*m.e, 0x485) >> 16) & 0x1ff, 4u);
  EXPECT_TRUE(sys::read_msr(*m.e, 0x48b) & (uint64_t{proc2::kEpt} << 32));
}

TEST(VmxDiscovery, PresetWithholdsEpt) {
  VmxMachine m;
  m.cfg->set_override("vmx.ept=false");
  VmxCaps c = VmxCaps::from_config(*m.cfg);
  EXPECT_FALSE(c.procbased2() & (uint64_t{proc2::kEpt} << 32));
  EXPECT_FALSE(c.unrestricted_guest);
}

TEST(VmxDiscovery, FeatureControlLocks) {
  VmxMachine m;
  m.v->feature_control = 0;
  sys::write_msr(*m.e, 0x3a, 5);
  EXPECT_THROW(sys::write_msr(*m.e, 0x3a, 5), Fault);
}

TEST(Vmcs, ReadWriteWidthsAndReadOnly) {
  VmxMachine m;
  uint32_t err = 0;
  uint64_t val = 0;
  ASSERT_TRUE(m.v->vmwrite(0x0800, 0x12345, &err));  // 16-bit: truncated
  ASSERT_TRUE(m.v->vmread(0x0800, &val, &err));
  EXPECT_EQ(val, 0x2345u);
  ASSERT_TRUE(m.v->vmwrite(0x2010, 0x1111222233334444ull, &err));  // TSC offset
  ASSERT_TRUE(m.v->vmread(0x2011, &val, &err));                     // high half
  EXPECT_EQ(val, 0x11112222u);
  ASSERT_TRUE(m.v->vmwrite(0x2011, 0xabcd, &err));
  ASSERT_TRUE(m.v->vmread(0x2010, &val, &err));
  EXPECT_EQ(val, 0x0000abcd33334444ull);
  // IA32_VMX_MISC[29] (with VMCS shadowing): VMWRITE may write the
  // read-only exit-information fields too (SDM Vol. 3 A.6).
  ASSERT_TRUE(m.v->caps().misc() & (1ull << 29));
  EXPECT_TRUE(m.v->vmwrite(0x4402, 1, &err));  // exit reason
  ASSERT_TRUE(m.v->vmread(0x4402, &val, &err));
  EXPECT_EQ(val, 1u);
  EXPECT_FALSE(m.v->vmread(0x4001, &val, &err));  // no high half of a 32-bit field
  EXPECT_EQ(err, kErrUnsupportedField);
  EXPECT_FALSE(m.v->vmread(0x7777, &val, &err));
  EXPECT_EQ(err, kErrUnsupportedField);
}

TEST(Vmcs, ContentSurvivesClearAndReload) {
  VmxMachine m;
  m.set(F::GUEST_RIP, 0xdead);
  m.v->do_vmclear(kVmcs);
  EXPECT_FALSE(m.v->has_current());
  m.v->do_vmptrld(kVmcs);
  EXPECT_EQ(m.get(F::GUEST_RIP), 0xdeadu);
}

TEST(VmxInsn, VmxonVmreadByInstruction) {
  VmxMachine m;
  m.v->do_vmxoff();
  // vmxon [rax]; vmptrld [rbx]; mov ecx, 0x681e; vmread rdx, rcx; hlt
  m.load(kCode, {0xf3, 0x0f, 0xc7, 0x30, 0x0f, 0xc7, 0x33, 0xb9, 0x1e, 0x68, 0, 0,
                 0x0f, 0x78, 0xca, 0xf4});
  m.poke<uint32_t>(0x208000, 1);  // the new VMXON region
  m.poke<uint64_t>(0x20a000, 0x208000);
  m.poke<uint64_t>(0x20a008, kVmcs);
  m.s().gpr[RAX] = 0x20a000;
  m.s().gpr[RBX] = 0x20a008;
  m.s().rip = kCode;
  m.run(10);
  EXPECT_TRUE(m.v->in_vmx());
  EXPECT_EQ(m.s().gpr[RDX], kGuestCode);
  EXPECT_EQ(m.s().rflags & (CF | ZF), 0u);
}

TEST(VmxInsn, VmptrldBadRevisionFailsValid) {
  VmxMachine m;
  m.poke<uint32_t>(0x209000, 7);
  m.load(kCode, {0x0f, 0xc7, 0x33, 0xf4});  // vmptrld [rbx]
  m.poke<uint64_t>(0x20a000, 0x209000);
  m.s().gpr[RBX] = 0x20a000;
  m.run(5);
  EXPECT_TRUE(m.s().rflags & ZF);
  EXPECT_EQ(m.get(F::VM_INSTRUCTION_ERROR), kErrVmptrldBadRevision);
}

TEST(VmEntry, LaunchTwiceFailsWithError4) {
  VmxMachine m;
  ASSERT_TRUE(m.launch());
  m.e->set_guest(nullptr);  // pretend an exit: back in root
  m.v->perform_exit(virt::GuestExit{kExitCpuid});
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kFailValid);
  EXPECT_EQ(m.get(F::VM_INSTRUCTION_ERROR), kErrVmlaunchNonClear);
}

// One case per entry check: break one field, expect the architected result.
struct CheckCase {
  const char* check;
  F field;
  uint64_t value;
  uint32_t error;  // VM-instruction error, or 0 for a failure exit (reason 33)
};

class EntryCheckTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(EntryCheckTest, FailsWithArchitectedError) {
  const CheckCase& c = GetParam();
  VmxMachine m;
  m.set(c.field, c.value);
  const EntryCtx ctx{*m.e, m.vm(), m.v->caps()};
  auto bad = first_failed_check(ctx);
  ASSERT_TRUE(bad.has_value());
  EXPECT_STREQ(bad->name, c.check);
  const EntryResult r = m.v->vm_entry(true);
  if (c.error) {
    EXPECT_EQ(r, EntryResult::kFailValid);
    EXPECT_EQ(m.get(F::VM_INSTRUCTION_ERROR), c.error);
    EXPECT_TRUE(m.s().rflags & ZF);
  } else {
    EXPECT_EQ(r, EntryResult::kFailGuestState);
    EXPECT_EQ(m.exit_reason(), kExitInvalidGuestState | kExitEntryFailure);
    EXPECT_EQ(m.s().rip, kHostRip);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Checks, EntryCheckTest,
    ::testing::Values(
        CheckCase{"pin_based_controls", F::PIN_BASED_VM_EXEC_CONTROL, 0, 7},
        CheckCase{"primary_proc_controls", F::CPU_BASED_VM_EXEC_CONTROL, 0, 7},
        CheckCase{"secondary_proc_controls", F::SECONDARY_VM_EXEC_CONTROL, 1u << 30, 7},
        CheckCase{"cr3_target_count", F::CR3_TARGET_COUNT, 5, 7},
        CheckCase{"exit_controls", F::VM_EXIT_CONTROLS, 0, 7},
        CheckCase{"entry_controls", F::VM_ENTRY_CONTROLS, 0, 7},
        CheckCase{"entry_interruption_info", F::VM_ENTRY_INTR_INFO_FIELD, 0x80000100u, 7},
        CheckCase{"host_cr0", F::HOST_CR0, 0x10, 8},
        CheckCase{"host_cr4", F::HOST_CR4, CR4_PAE, 8},
        CheckCase{"host_cr3", F::HOST_CR3, 1ull << 50, 8},
        CheckCase{"host_sysenter", F::HOST_IA32_SYSENTER_EIP, 1ull << 50, 8},
        CheckCase{"host_selectors", F::HOST_TR_SELECTOR, 0, 8},
        CheckCase{"host_bases", F::HOST_FS_BASE, 1ull << 50, 8},
        CheckCase{"host_address_space", F::HOST_RIP, 1ull << 50, 8},
        CheckCase{"guest_cr0", F::GUEST_CR0, 0x10, 0},
        CheckCase{"guest_cr4", F::GUEST_CR4, CR4_PAE, 0},
        CheckCase{"guest_cr3", F::GUEST_CR3, 1ull << 50, 0},
        CheckCase{"guest_sysenter", F::GUEST_SYSENTER_ESP, 1ull << 50, 0},
        CheckCase{"guest_tr", F::GUEST_TR_AR_BYTES, 0x89, 0},
        CheckCase{"guest_ldtr", F::GUEST_LDTR_AR_BYTES, 0x83, 0},
        CheckCase{"guest_cs", F::GUEST_CS_AR_BYTES, 0x93, 0},
        CheckCase{"guest_ss", F::GUEST_SS_SELECTOR, 3, 0},
        CheckCase{"guest_data_segments", F::GUEST_DS_AR_BYTES, 0x92 | (1u << 15), 0},
        CheckCase{"guest_gdtr_idtr", F::GUEST_GDTR_LIMIT, 0x10000, 0},
        CheckCase{"guest_rip", F::GUEST_RIP, 1ull << 50, 0},
        CheckCase{"guest_rflags", F::GUEST_RFLAGS, 0, 0},
        CheckCase{"guest_activity_state", F::GUEST_ACTIVITY_STATE, 2, 0},
        CheckCase{"guest_interruptibility", F::GUEST_INTERRUPTIBILITY_INFO, 1, 0},
        CheckCase{"guest_pending_debug_exceptions", F::GUEST_PENDING_DBG_EXCEPTIONS, 1u << 4, 0},
        CheckCase{"guest_vmcs_link_pointer", F::VMCS_LINK_POINTER, 0, 0}),
    [](const ::testing::TestParamInfo<CheckCase>& i) { return std::string(i.param.check); });

TEST(VmExit, CpuidExitSavesRipAndLength) {
  VmxMachine m;
  m.run_guest({0x90, 0x0f, 0xa2});  // nop; cpuid
  EXPECT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 1);
  EXPECT_EQ(m.get(F::VM_EXIT_INSTRUCTION_LEN), 2u);
  EXPECT_EQ(m.s().rip, kHostRip + 1);  // host ran its hlt
  EXPECT_FALSE(m.v->non_root());
}

TEST(VmExit, HltExit) {
  VmxMachine m;
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kHlt);
  m.run_guest({0xf4});
  EXPECT_EQ(m.exit_reason(), kExitHlt);
}

TEST(VmExit, IoExitQualification) {
  VmxMachine m;
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kUncondIo);
  m.run_guest({0xe6, 0x80});  // out 0x80, al
  EXPECT_EQ(m.exit_reason(), kExitIo);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), (0x80ull << 16) | (1u << 6));
}

TEST(VmExit, MovCr3LoadExitQualification) {
  VmxMachine m;
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kDefault1);
  m.run_guest({0x0f, 0x22, 0xd8});  // mov cr3, rax
  EXPECT_EQ(m.exit_reason(), kExitCrAccess);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 3u);  // CR3, MOV to CR, RAX
}

// SDM Vol. 3 25.3: MOV from CR0 returns the read shadow for bits set in the
// guest/host mask and the real CR0 for the others; no exit. GPRs survive the
// CPUID exit, so RBX holds what the guest read.
TEST(VmExit, Cr0ReadShadow) {
  VmxMachine m;
  const uint64_t guest_cr0 = m.get(F::GUEST_CR0);
  ASSERT_EQ(guest_cr0 & CR0_TS, 0u);
  m.set(F::CR0_GUEST_HOST_MASK, CR0_TS);
  m.set(F::CR0_READ_SHADOW, CR0_TS);
  m.run_guest({0x0f, 0x20, 0xc3, 0x0f, 0xa2});  // mov rbx, cr0; cpuid
  EXPECT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.s().gpr[RBX], guest_cr0 | CR0_TS);
  EXPECT_EQ(m.get(F::GUEST_CR0) & CR0_TS, 0u) << "the real CR0.TS is untouched";
}

TEST(VmExit, ExceptionBitmapUd) {
  VmxMachine m;
  m.set(F::EXCEPTION_BITMAP, 1u << kUD);
  m.run_guest({0x0f, 0x0b});  // ud2
  EXPECT_EQ(m.exit_reason(), kExitExceptionNmi);
  EXPECT_EQ(m.get(F::VM_EXIT_INTR_INFO), 0x80000306u);
}

TEST(VmExit, RdmsrWithoutBitmapExits) {
  VmxMachine m;
  m.run_guest({0x0f, 0x32});
  EXPECT_EQ(m.exit_reason(), kExitRdmsr);
}

TEST(VmExit, VmcallExits) {
  VmxMachine m;
  m.run_guest({0x0f, 0x01, 0xc1});
  EXPECT_EQ(m.exit_reason(), kExitVmcall);
  EXPECT_EQ(m.get(F::VM_EXIT_INSTRUCTION_LEN), 3u);
}

TEST(VmExit, RdtscOffsetting) {
  VmxMachine m;
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kTscOffsetting);
  m.set(F::TSC_OFFSET, 1ull << 40);
  m.run_guest({0x0f, 0x31, 0x0f, 0xa2});  // rdtsc; cpuid
  EXPECT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_GE(m.s().gpr[RDX], 1u << 8);
}

TEST(EventInjection, HardwareExceptionWithErrorCode) {
  VmxMachine m;
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, intr::make(kGP, intr::kHwException, true));
  m.set(F::VM_ENTRY_EXCEPTION_ERROR_CODE, 0x18);
  m.load(kGuestCode, {0x0f, 0xa2});
  ASSERT_TRUE(m.launch());
  EXPECT_EQ(m.s().rip, Machine::stub(kGP));
  EXPECT_EQ(m.stack64(0), 0x18u);
  EXPECT_EQ(m.stack64(1), kGuestCode);
}

TEST(EventInjection, SoftwareInterruptUsesLength) {
  VmxMachine m;
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, intr::make(0x40, intr::kSoftInt, false));
  m.set(F::VM_ENTRY_INSTRUCTION_LEN, 2);
  ASSERT_TRUE(m.launch());
  EXPECT_EQ(m.s().rip, Machine::stub(0x40));
  EXPECT_EQ(m.stack64(0), kGuestCode + 2);
}

TEST(EventInjection, ExternalInterruptAndNmi) {
  VmxMachine m;
  m.set(F::GUEST_RFLAGS, 2 | IF);
  m.set(F::VM_ENTRY_INTR_INFO_FIELD, intr::make(0x30, intr::kExternal, false));
  ASSERT_TRUE(m.launch());
  EXPECT_EQ(m.s().rip, Machine::stub(0x30));
  VmxMachine n;
  n.set(F::VM_ENTRY_INTR_INFO_FIELD, intr::make(2, intr::kNmi, false));
  ASSERT_TRUE(n.launch());
  EXPECT_EQ(n.s().rip, Machine::stub(2));
  EXPECT_TRUE(n.s().nmi_blocked);
}

// EPT: identity map of the first 8 MiB with 4 KiB pages at kEptRoot.
void build_ept(VmxMachine& m, unsigned rights = 7) {
  m.poke<uint64_t>(kEptRoot, (kEptRoot + 0x1000) | 7);
  m.poke<uint64_t>(kEptRoot + 0x1000, (kEptRoot + 0x2000) | 7);
  for (uint64_t d = 0; d < 4; ++d) {
    const uint64_t pt = kEptRoot + 0x3000 + d * 0x1000;
    m.poke<uint64_t>(kEptRoot + 0x2000 + 8 * d, pt | 7);
    for (uint64_t i = 0; i < 512; ++i)
      m.poke<uint64_t>(pt + 8 * i, ((d << 21) | (i << 12)) | rights | (6u << 3));
  }
}

void enable_ept(VmxMachine& m) {
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kSecondary);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kEpt | proc2::kVpid);
  m.set(F::VIRTUAL_PROCESSOR_ID, 1);
  m.set(F::EPT_POINTER, kEptRoot | 6 | (3u << 3));
}

TEST(Ept, TwoDimensionalWalkMakes24References) {
  VmxMachine m;
  build_ept(m);
  enable_ept(m);
  // Guest page tables with A/D already set so the walk writes nothing.
  m.poke<uint64_t>(kPml4, (kPml4 + 0x1000) | 0x67);
  m.poke<uint64_t>(kPml4 + 0x1000, (kPml4 + 0x2000) | 0x67);
  m.poke<uint64_t>(kPml4 + 0x2000, (kPml4 + 0x3000) | 0x67);
  m.poke<uint64_t>(kPml4 + 0x3000 + 8 * 0x130, kGuestCode | 0x67);
  m.load(kGuestCode, {0x0f, 0xa2});
  m.e->mmu().flush_all();
  ASSERT_TRUE(m.launch());
  const uint64_t s2_0 = m.v->ept().walks, ept0 = m.v->ept().refs;
  m.run(1);  // the guest's CPUID exits
  EXPECT_EQ(m.exit_reason(), kExitCpuid);
  // One stage-2 translation per guest paging-structure entry (4) and one for
  // the final address; 4 EPT references each: 4 + 20 = 24 references.
  const uint64_t guest_entries = m.v->ept().walks - s2_0 - 1;
  EXPECT_EQ(guest_entries, 4u);
  EXPECT_EQ(m.v->ept().refs - ept0, 20u);
  EXPECT_EQ(guest_entries + (m.v->ept().refs - ept0), 24u);
}

TEST(Ept, ViolationQualification) {
  VmxMachine m;
  build_ept(m);
  enable_ept(m);
  // Make the page 0x150000 read-only, then write it from the guest.
  m.poke<uint64_t>(kEptRoot + 0x3000 + 8 * 0x150, 0x150000 | 1 | (6u << 3));
  m.s().gpr[RAX] = 0;
  m.run_guest({0xc6, 0x04, 0x25, 0x10, 0x00, 0x15, 0x00, 0x01});  // mov byte [0x150010], 1
  EXPECT_EQ(m.exit_reason(), kExitEptViolation);
  EXPECT_EQ(m.get(F::GUEST_PHYSICAL_ADDRESS), 0x150010u);
  EXPECT_EQ(m.get(F::GUEST_LINEAR_ADDRESS), 0x150010u);
  // write (bit 1), readable (bit 3), linear valid (7), translated access (8)
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), (1u << 1) | (1u << 3) | (1u << 7) | (1u << 8));
}

TEST(Ept, MisconfigWriteOnly) {
  VmxMachine m;
  build_ept(m);
  enable_ept(m);
  m.poke<uint64_t>(kEptRoot + 0x3000 + 8 * 0x150, 0x150000 | 2 | (6u << 3));
  m.run_guest({0x8a, 0x04, 0x25, 0x10, 0x00, 0x15, 0x00});  // mov al, [0x150010]
  EXPECT_EQ(m.exit_reason(), kExitEptMisconfig);
}

TEST(Costs, EntryAndExitCharged) {
  VmxMachine m;
  m.load(kGuestCode, {0x0f, 0xa2});
  const uint64_t c0 = m.e->cycles();
  ASSERT_TRUE(m.launch());
  EXPECT_GE(m.e->cycles() - c0, m.v->costs().vmentry + m.v->costs().tlb_flush);
  m.run(3);
  EXPECT_EQ(m.v->stats().exits, 1u);
}

}  // namespace
}  // namespace hvsim::vmx
