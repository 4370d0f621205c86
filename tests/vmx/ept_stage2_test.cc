// EPT and the TLB (SDM Vol. 3 29.4.1 "Information That May Be Cached",
// 29.4.2): no information is cached from a not-present EPT entry, and a
// combined mapping carries the EPT rights of the walk that created it,
// never more.
#include <gtest/gtest.h>

#include "vmx_machine.h"

namespace hvsim::vmx {
namespace {

using namespace core;
using namespace core::testing;
using namespace test;

constexpr uint64_t kPage = 0x150000;  // the guest page the tests play with
constexpr uint64_t kWb = 6u << 3;     // EPT memory type WB (29.3.7)

uint64_t ept_pte_of(uint64_t gpa) { return kEptRoot + 0x3000 + 8 * (gpa >> 12); }

// EPT: guest-physical 0-2 MiB identity-mapped with 4 KiB R/W/X pages,
// `page` not present; VPID 1 so that nothing is flushed at VM exits.
void build_ept_4k(VmxMachine& m, uint64_t page) {
  m.poke<uint64_t>(kEptRoot, (kEptRoot + 0x1000) | 7);
  m.poke<uint64_t>(kEptRoot + 0x1000, (kEptRoot + 0x2000) | 7);
  m.poke<uint64_t>(kEptRoot + 0x2000, (kEptRoot + 0x3000) | 7);
  for (uint64_t i = 0; i < 512; ++i) m.poke<uint64_t>(ept_pte_of(i << 12), (i << 12) | 7 | kWb);
  m.poke<uint64_t>(ept_pte_of(page), 0);
  m.set(F::CPU_BASED_VM_EXEC_CONTROL, proc::kTrueDefault1 | proc::kSecondary);
  m.set(F::SECONDARY_VM_EXEC_CONTROL, proc2::kEpt | proc2::kVpid);
  m.set(F::VIRTUAL_PROCESSOR_ID, 1);
  m.set(F::EPT_POINTER, kEptRoot | 6 | (3u << 3));
  // The guest's 2 MiB page at 0 is already accessed and dirty, so a write
  // needs no guest A/D update and can be served by a TLB entry as it is.
  m.poke<uint64_t>(kPml4 + 0x2000, 0x87 | 0x60);  // A (bit 5), D (bit 6)
}

// mov al,[kPage]; mov byte [kPage],1; cpuid
const std::vector<uint8_t> kReadThenWrite = {0x8a, 0x04, 0x25, 0x00, 0x00, 0x15, 0x00,
                                             0xc6, 0x04, 0x25, 0x00, 0x00, 0x15, 0x00,
                                             0x01, 0x0f, 0xa2};

// The entry made present and read-only needs no INVEPT (nothing was cached
// for it); the read then creates a combined mapping without write
// permission, and the write that finds it must be an EPT violation: a
// write (bit 1) to a readable page (bit 3), linear address valid (7), the
// translated access (8).
TEST(EptTlb, WriteAfterReadOfPageMadeReadOnlyIsViolation) {
  VmxMachine m;
  build_ept_4k(m, kPage);
  m.run_guest(kReadThenWrite);
  ASSERT_EQ(m.exit_reason(), kExitEptViolation);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), 1u | (1u << 7) | (1u << 8));  // a read, not present
  m.poke<uint64_t>(ept_pte_of(kPage), kPage | 1 | kWb);
  ASSERT_EQ(m.v->vm_entry(false), EntryResult::kEntered);  // VMRESUME, no INVEPT
  m.run(1000);
  ASSERT_EQ(m.exit_reason(), kExitEptViolation);
  EXPECT_EQ(m.get(F::GUEST_PHYSICAL_ADDRESS), kPage);
  EXPECT_EQ(m.get(F::EXIT_QUALIFICATION), (1u << 1) | (1u << 3) | (1u << 7) | (1u << 8));
  EXPECT_EQ(m.get(F::GUEST_RIP), kGuestCode + 7);  // the write, with RIP at it
  EXPECT_EQ(m.peek<uint8_t>(kPage), 0u);           // and nothing written
}

// The entry made writable afterwards (a right added, again without INVEPT)
// lets the write through.
TEST(EptTlb, WriteSucceedsOnceEptEntryIsWritable) {
  VmxMachine m;
  build_ept_4k(m, kPage);
  m.run_guest(kReadThenWrite);
  m.poke<uint64_t>(ept_pte_of(kPage), kPage | 1 | kWb);
  ASSERT_EQ(m.v->vm_entry(false), EntryResult::kEntered);
  m.run(1000);
  ASSERT_EQ(m.exit_reason(), kExitEptViolation);
  m.poke<uint64_t>(ept_pte_of(kPage), kPage | 3 | kWb);
  ASSERT_EQ(m.v->vm_entry(false), EntryResult::kEntered);
  m.run(1000);
  EXPECT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.peek<uint8_t>(kPage), 1u);
}

// EPT A/D flags (EPTP bit 6; SDM Vol. 3 29.3.5): a read sets A on the leaf,
// and the write that follows, although the read's translation is cached,
// sets D (found by kvm-unit-tests' "EPT A/D enabled").
TEST(EptTlb, WriteAfterReadSetsDirtyFlag) {
  VmxMachine m;
  build_ept_4k(m, 0x1f0000);  // kPage stays mapped read/write
  m.set(F::EPT_POINTER, kEptRoot | 6 | (3u << 3) | (1u << 6));
  m.run_guest(kReadThenWrite);
  ASSERT_EQ(m.exit_reason(), kExitCpuid);
  constexpr uint64_t kA = 1u << 8, kD = 1u << 9;
  EXPECT_EQ(m.peek<uint64_t>(ept_pte_of(kPage)) & (kA | kD), kA | kD);
  EXPECT_EQ(m.peek<uint8_t>(kPage), 1u);
}

// With EPT, a guest entering PAE paging takes its PDPTEs from the VMCS, not
// from guest CR3 (26.3.2.4: here CR3 points outside the EPT map, so a walk
// reading memory would be an EPT violation), and VM exit saves the
// registers back (27.3.4).
TEST(EptPae, EntryLoadsThePdptesFromTheVmcsAndExitSavesThem) {
  VmxMachine m;
  build_ept_4k(m, 0x1f0000);
  constexpr uint64_t kPd = 0x160000;
  m.poke<uint64_t>(kPd, 0x83);  // guest-linear 0-2 MiB -> guest-physical 0-2 MiB
  m.set(F::VM_ENTRY_CONTROLS, entryc::kTrueDefault1);  // not IA-32e
  m.set(F::GUEST_CS_AR_BYTES, kCode32 | 1);
  m.set(F::GUEST_CR4, CR4_PAE | CR4_VMXE);
  m.set(F::GUEST_CR3, 0x01234560);
  m.set(F::GUEST_PDPTE0, kPd | 1);
  for (F f : {F::GUEST_PDPTE1, F::GUEST_PDPTE2, F::GUEST_PDPTE3}) m.set(f, 0);
  m.run_guest({0x0f, 0xa2});  // cpuid
  ASSERT_EQ(m.exit_reason(), kExitCpuid);
  EXPECT_EQ(m.get(F::GUEST_PDPTE0), kPd | 1);
  EXPECT_EQ(m.get(F::GUEST_PDPTE1), 0u);
}

}  // namespace
}  // namespace hvsim::vmx
