// APIC virtualization (SDM Vol. 3 ch. 29), page-modification logging
// (29.3.6) and VMCS shadowing (24.10, 31.3): one test per architected
// behaviour, each on a guest that runs real instructions.
#include <gtest/gtest.h>

#include "vmx_machine.h"

namespace hvsim::vmx {
namespace {

using namespace test;

constexpr uint64_t kVapic = 0x300000, kApicAccess = 0x320000, kMsrBitmap = 0x310000;
constexpr uint64_t kPmlLog = 0x330000, kVmreadBitmap = 0x340000, kVmwriteBitmap = 0x341000;
constexpr uint64_t kShadow = 0x342000;

void set_bit256(VmxMachine& m, uint64_t base, unsigned v) {
  const uint64_t off = base + 0x10 * (v / 32);
  m.poke<uint32_t>(off, m.peek<uint32_t>(off) | (1u << (v % 32)));
}
bool bit256(VmxMachine& m, uint64_t base, unsigned v) {
  return (m.peek<uint32_t>(base + 0x10 * (v / 32)) >> (v % 32)) & 1;
}

// Virtual-interrupt delivery with the TPR shadow and external-interrupt
// exiting (26.2.1.1), an MSR bitmap of zeros and x2APIC virtualization.
void enable_vid(VmxMachine& m, uint32_t extra2 = 0) {
  m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1 | pin::kExtIntExiting);
  m.set(F::CPU_BASED_VM_EXEC_CONTROL,
        proc::kTrueDefault1 | proc::kSecondary | proc::kTprShadow | proc::kMsrBitmaps);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kVintd | proc2::kVirtX2apic | extra2);
  m.set(F::VIRTUAL_APIC_PAGE_ADDR, kVapic);
  m.set(F::MSR_BITMAP, kMsrBitmap);
  m.set(F::TPR_THRESHOLD, 0);
}

// 29.2.2: with RVI above VPPR and RFLAGS.IF = 1 the virtual interrupt is
// delivered through the guest IDT: VISR and SVI take the vector, VPPR its
// class, RVI the next VIRR vector (none: 0).
TEST(VirtualInterrupts, RviIsDeliveredThroughGuestIdt) {
  VmxMachine m;
  m.write_stubs64();
  enable_vid(m);
  set_bit256(m, kVapic + 0x200, 0x51);
  m.set(F::GUEST_INTR_STATUS, 0x51);  // RVI 51h, SVI 0
  m.set(F::GUEST_RFLAGS, 0x202);
  m.run_guest({0x90, 0x0f, 0xa2});  // nop; cpuid (never reached)
  EXPECT_EQ(m.s().gpr[R14], 0x51u) << "the guest's handler for vector 51h ran";
  EXPECT_EQ(m.get(F::GUEST_INTR_STATUS), 0x5100u);  // SVI 51h, RVI 0
  EXPECT_TRUE(bit256(m, kVapic + 0x100, 0x51));     // VISR
  EXPECT_FALSE(bit256(m, kVapic + 0x200, 0x51));    // VIRR
  EXPECT_EQ(m.peek<uint32_t>(kVapic + 0xa0), 0x50u);  // VPPR
}

// 29.2.1: VTPR at or above RVI's class masks it: no delivery.
TEST(VirtualInterrupts, VtprMasksRvi) {
  VmxMachine m;
  m.write_stubs64();
  enable_vid(m);
  m.poke<uint32_t>(kVapic + 0x80, 0x60);
  set_bit256(m, kVapic + 0x200, 0x51);
  m.set(F::GUEST_INTR_STATUS, 0x51);
  m.set(F::GUEST_RFLAGS, 0x202);
  m.run_guest({0x90, 0x0f, 0xa2});
  EXPECT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.get(F::GUEST_INTR_STATUS), 0x51u);
}

// 29.1.4 / 29.5: WRMSR 0 to the x2APIC EOI MSR retires SVI; the EOI-exit
// bitmap bit makes it a trap-like EOI-induced exit with the vector.
TEST(VirtualInterrupts, EoiVirtualizationAndEoiInducedExit) {
  VmxMachine m;
  enable_vid(m);
  set_bit256(m, kVapic + 0x100, 0x51);
  m.set(F::GUEST_INTR_STATUS, 0x5100);
  m.set(F::EOI_EXIT_BITMAP1, 1ull << (0x51 - 64));
  // xor eax,eax; xor edx,edx; mov ecx,80bh; wrmsr; cpuid
  m.run_guest({0x31, 0xc0, 0x31, 0xd2, 0xb9, 0x0b, 0x08, 0, 0, 0x0f, 0x30, 0x0f, 0xa2});
  ASSERT_EQ(m.exit_reason(), kExitEoiInduced);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0x51u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 11);  // trap-like: after WRMSR
  EXPECT_FALSE(bit256(m, kVapic + 0x100, 0x51));
  EXPECT_EQ(m.get(F::GUEST_INTR_STATUS), 0u);
}

// 29.5: WRMSR of the x2APIC TPR writes VTPR; without virtual-interrupt
// delivery a VTPR class below the TPR threshold is a trap-like exit.
TEST(VirtualInterrupts, X2apicTprWriteBelowThresholdExits) {
  VmxMachine m;
  enable_vid(m);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kVirtX2apic);
  m.set(F::PIN_BASED_VM_EXEC_CONTROL, pin::kDefault1);
  m.poke<uint32_t>(kVapic + 0x80, 0x80);
  m.set(F::TPR_THRESHOLD, 5);
  // mov eax,30h; xor edx,edx; mov ecx,808h; wrmsr; cpuid
  m.run_guest({0xb8, 0x30, 0, 0, 0, 0x31, 0xd2, 0xb9, 0x08, 0x08, 0, 0, 0x0f, 0x30, 0x0f, 0xa2});
  ASSERT_EQ(m.exit_reason(), kExitTprBelowThreshold);
  EXPECT_EQ(m.peek<uint32_t>(kVapic + 0x80), 0x30u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 14);
}

// 29.4.2: with the TPR shadow a read of offset 80h of the APIC-access page
// returns VTPR; a read of another register (no APIC-register
// virtualization) is a fault-like APIC-access exit, qualification = offset
// with access type 0 (linear read), instruction length reported.
TEST(ApicAccess, TprReadVirtualizedOtherRegisterExits) {
  VmxMachine m;
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kSecondary | proc::kTprShadow);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kVirtApic);
  m.set(F::VIRTUAL_APIC_PAGE_ADDR, kVapic);
  m.set(F::APIC_ACCESS_ADDR, kApicAccess);
  m.poke<uint32_t>(kVapic + 0x80, 0x40);
  // mov eax,[kApicAccess+80h]; cpuid; mov eax,[kApicAccess+20h]
  m.run_guest({0x8b, 0x04, 0x25, 0x80, 0x00, 0x32, 0x00, 0x0f, 0xa2,
               0x8b, 0x04, 0x25, 0x20, 0x00, 0x32, 0x00});
  ASSERT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.s().gpr[RAX] & 0xffffffff, 0x40u);
  m.set(F::GUEST_RIP, kGuestCode + 9);
  ASSERT_EQ(m.v->vm_entry(false), EntryResult::kEntered);
  m.run(1000);
  ASSERT_EQ(m.exit_reason(), kExitApicAccess);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 0x20u);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 9);
  EXPECT_EQ(m.get(F::VM_EXIT_INSTRUCTION_LEN), 7u);
}

// 29.4.3.2: a write of VICR_LO for a fixed self-IPI is self-IPI
// virtualization (VIRR, RVI) with virtual-interrupt delivery.
TEST(ApicAccess, SelfIpiWriteIsVirtualized) {
  VmxMachine m;
  enable_vid(m, 0);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kVintd | proc2::kVirtApic);
  m.set(F::APIC_ACCESS_ADDR, kApicAccess);
  // mov dword [kApicAccess+300h], 40062h (self shorthand, fixed, vector 62h); cpuid
  m.run_guest({0xc7, 0x04, 0x25, 0x00, 0x03, 0x32, 0x00, 0x62, 0x00, 0x04, 0x00, 0x0f, 0xa2});
  ASSERT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_TRUE(bit256(m, kVapic + 0x200, 0x62));
  EXPECT_EQ(m.get(F::GUEST_INTR_STATUS) & 0xff, 0x62u);
}

// EPT identity map of 0-2 MiB with 4 KiB pages, accessed and dirty already
// set on every leaf but `clean`, EPTP with A/D flags on.
void build_ept_ad(VmxMachine& m, uint64_t clean) {
  constexpr uint64_t kWb = 6u << 3, kAd = (1u << 8) | (1u << 9);
  m.poke<uint64_t>(kEptRoot, (kEptRoot + 0x1000) | 7);
  m.poke<uint64_t>(kEptRoot + 0x1000, (kEptRoot + 0x2000) | 7);
  m.poke<uint64_t>(kEptRoot + 0x2000, (kEptRoot + 0x3000) | 7);
  for (uint64_t i = 0; i < 512; ++i)
    m.poke<uint64_t>(kEptRoot + 0x3000 + 8 * i, (i << 12) | 7 | kWb | ((i << 12) == clean ? 0 : kAd));
  m.set(F::EPT_POINTER, kEptRoot | 6 | (3u << 3) | (1u << 6));
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kSecondary);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kEpt | proc2::kPml);
  m.set(F::PML_ADDRESS, kPmlLog);
}

// 29.3.6: the write that sets the EPT dirty flag logs the 4 KiB page at the
// PML index, which is decremented.
TEST(Pml, DirtyingWriteIsLogged) {
  VmxMachine m;
  build_ept_ad(m, 0x151000);
  m.set(F::GUEST_PML_INDEX, 511);
  m.run_guest({0xc6, 0x04, 0x25, 0x08, 0x10, 0x15, 0x00, 0x01, 0x0f, 0xa2});  // mov byte [151008h],1
  ASSERT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.peek<uint64_t>(kPmlLog + 8 * 511), 0x151000u);
  EXPECT_EQ(m.get(F::GUEST_PML_INDEX), 510u);
  EXPECT_TRUE(m.peek<uint64_t>(kEptRoot + 0x3000 + 8 * 0x151) & (1u << 9));
}

// 29.3.6: with the index outside 0-511 the log is full: a fault-like
// PML-full exit before the dirty flag is set.
TEST(Pml, FullLogExitsBeforeSettingDirty) {
  VmxMachine m;
  build_ept_ad(m, 0x151000);
  m.set(F::GUEST_PML_INDEX, 0xffff);
  m.run_guest({0xc6, 0x04, 0x25, 0x08, 0x10, 0x15, 0x00, 0x01, 0x0f, 0xa2});
  ASSERT_EQ(m.exit_reason(), kExitPmlFull);
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode);
  EXPECT_FALSE(m.peek<uint64_t>(kEptRoot + 0x3000 + 8 * 0x151) & (1u << 9));
}

// 24.10 / 31.3: with VMCS shadowing a guest VMREAD of a field whose
// VMREAD-bitmap bit is 0 reads the shadow VMCS (no exit); a set bit exits.
TEST(VmcsShadowing, GuestVmreadReadsShadowUnlessBitmapSaysExit) {
  VmxMachine m;
  m.poke<uint32_t>(kShadow, 1u | kShadowIndicator);
  VmcsRef(*m.e, kShadow).set(F::GUEST_RSP, 0x1234);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kShadowVmcs);
  m.set(F::VMREAD_BITMAP, kVmreadBitmap);
  m.set(F::VMWRITE_BITMAP, kVmwriteBitmap);
  m.set(F::VMCS_LINK_POINTER, kShadow);
  // mov eax,681ch; vmread rbx,rax; cpuid
  const std::vector<uint8_t> code = {0xb8, 0x1c, 0x68, 0, 0, 0x0f, 0x78, 0xc3, 0x0f, 0xa2};
  m.run_guest(code);
  ASSERT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.s().gpr[RBX], 0x1234u);
  EXPECT_EQ(m.s().rflags & 0x41, 0u);  // VMsucceed: CF = ZF = 0
  m.poke<uint8_t>(kVmreadBitmap + (0x681c >> 3), 1u << (0x681c & 7));
  m.set(F::GUEST_RIP, kGuestCode);
  ASSERT_EQ(m.v->vm_entry(false), EntryResult::kEntered);
  m.run(1000);
  EXPECT_EQ(m.exit_reason(), kExitVmread);
}

// 26.3.1.5: with VMCS shadowing the link pointer must name a shadow VMCS.
TEST(VmcsShadowing, LinkPointerMustBeShadowVmcs) {
  VmxMachine m;
  m.poke<uint32_t>(kShadow, 1u);  // an ordinary VMCS
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kShadowVmcs);
  m.set(F::VMREAD_BITMAP, kVmreadBitmap);
  m.set(F::VMWRITE_BITMAP, kVmwriteBitmap);
  m.set(F::VMCS_LINK_POINTER, kShadow);
  EXPECT_EQ(m.v->vm_entry(true), EntryResult::kFailGuestState);
  EXPECT_EQ(m.exit_reason(), kExitEntryFailure | kExitInvalidGuestState);
}

}  // namespace
}  // namespace hvsim::vmx
