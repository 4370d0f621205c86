// Nested paging and the TLB (AMD APM Vol. 2 15.25.5 "Nested Table Walk",
// 15.25.6 "Nested versus Guest Page Faults"): a guest TLB entry caches the
// nested rights of the walk that filled it, never more.
#include <gtest/gtest.h>

#include "svm_machine.h"

namespace hvsim::svm::test {
namespace {

constexpr uint64_t kPage = 0x150000;  // the guest page the tests play with

// Nested table: guest-physical 0-2 MiB identity-mapped with 4 KiB pages
// (present, writable, user), `page` not present.
void build_npt_4k(SvmMachine& m, uint64_t page) {
  m.poke<uint64_t>(kNpt, (kNpt + 0x1000) | 7);
  m.poke<uint64_t>(kNpt + 0x1000, (kNpt + 0x2000) | 7);
  m.poke<uint64_t>(kNpt + 0x2000, (kNpt + 0x3000) | 7);
  for (uint64_t i = 0; i < 512; ++i) m.poke<uint64_t>(kNpt + 0x3000 + 8 * i, (i << 12) | 7);
  m.poke<uint64_t>(kNpt + 0x3000 + 8 * (page >> 12), 0);
  m.put<uint64_t>(offsetof(Vmcb, control.np_control), 1);
  m.put<uint64_t>(offsetof(Vmcb, control.n_cr3), kNpt);
  m.put<uint32_t>(offsetof(Vmcb, control.intercept_misc1), misc1::kHlt);
  // The guest's 2 MiB page at 0 is already accessed and dirty, so a write
  // needs no guest A/D update and can be served by a TLB entry as it is.
  m.poke<uint64_t>(kPml4 + 0x2000, 0x87 | 0x60);  // A (bit 5), D (bit 6)
}

// 15.25.5: a not-present nested entry caches nothing, so making it present
// and read-only needs no flush; the guest's read then fills a TLB entry
// whose nested rights forbid writing, and the write that hits it must still
// be a nested page fault (present, write, user, final translation).
TEST(SvmNptTlb, WriteAfterReadOfPageMadeReadOnlyFaults) {
  SvmMachine m;
  build_npt_4k(m, kPage);
  // mov al,[kPage]; mov byte [kPage],1; hlt
  m.run_guest({0x8a, 0x04, 0x25, 0x00, 0x00, 0x15, 0x00, 0xc6, 0x04, 0x25, 0x00, 0x00, 0x15,
               0x00, 0x01, 0xf4});
  ASSERT_EQ(m.exitcode(), static_cast<uint64_t>(kExitNpf));
  EXPECT_EQ(m.vm().control.exitinfo2, kPage);
  EXPECT_EQ(m.vm().control.exitinfo1, npf::kFinal | npf::kU);  // a read, not present
  m.poke<uint64_t>(kNpt + 0x3000 + 8 * (kPage >> 12), kPage | 5);  // present, user, read-only
  m.resume();
  ASSERT_EQ(m.exitcode(), static_cast<uint64_t>(kExitNpf));
  EXPECT_EQ(m.vm().control.exitinfo2, kPage);
  EXPECT_EQ(m.vm().control.exitinfo1, npf::kFinal | npf::kU | npf::kW | npf::kP);
  EXPECT_EQ(m.vm().save.rip, kGuestCode + 7);  // the write, with RIP at it
  EXPECT_EQ(m.peek<uint8_t>(kPage), 0u);       // and nothing written
}

// The same entry made writable afterwards (again without a flush: only a
// right was added) lets the write through.
TEST(SvmNptTlb, WriteSucceedsOnceNestedEntryIsWritable) {
  SvmMachine m;
  build_npt_4k(m, kPage);
  m.run_guest({0x8a, 0x04, 0x25, 0x00, 0x00, 0x15, 0x00, 0xc6, 0x04, 0x25, 0x00, 0x00, 0x15,
               0x00, 0x01, 0xf4});
  m.poke<uint64_t>(kNpt + 0x3000 + 8 * (kPage >> 12), kPage | 5);
  m.resume();
  ASSERT_EQ(m.exitcode(), static_cast<uint64_t>(kExitNpf));
  m.poke<uint64_t>(kNpt + 0x3000 + 8 * (kPage >> 12), kPage | 7);
  m.resume();
  EXPECT_EQ(m.exitcode(), static_cast<uint64_t>(kExitHlt));
  EXPECT_EQ(m.peek<uint8_t>(kPage), 1u);
}

// 15.25.5-15.25.6 (kvm-unit-tests npt_rw_pfwalk): guest page-table
// accesses are writes to the nested table, so a read-only nested mapping
// of the guest's PML4 faults on the walk with RW and the table bit.
TEST(SvmNptWalk, ReadOnlyGuestPageTableFaultsAsWrite) {
  SvmMachine m;
  build_npt_4k(m, 0x1ff000);
  m.poke<uint64_t>(kNpt + 0x3000 + 8 * (kPml4 >> 12), kPml4 | 5);  // present, user, read-only
  m.run_guest({0xf4});
  ASSERT_EQ(m.exitcode(), static_cast<uint64_t>(kExitNpf));
  EXPECT_EQ(m.vm().control.exitinfo2, kPml4);
  EXPECT_EQ(m.vm().control.exitinfo1, npf::kTable | npf::kU | npf::kW | npf::kP);
}

// 5.3.3: bit 8 of a PML4E is reserved (MBZ) in the nested table too.
TEST(SvmNptWalk, Pml4eBit8IsReserved) {
  SvmMachine m;
  build_npt_4k(m, 0x1ff000);
  m.poke<uint64_t>(kNpt, (kNpt + 0x1000) | 7 | (1u << 8));
  m.run_guest({0xf4});
  ASSERT_EQ(m.exitcode(), static_cast<uint64_t>(kExitNpf));
  EXPECT_TRUE(m.vm().control.exitinfo1 & npf::kRsv);
  EXPECT_TRUE(m.vm().control.exitinfo1 & npf::kP);
}

}  // namespace
}  // namespace hvsim::svm::test
