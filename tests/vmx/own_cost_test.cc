// Issue 12: a VMX instruction costs what its cost key says (vmx.*_cycles),
// with no class latency on top (timing::kOwnCost), under timing.model =
// simple. 52 cycles is the Core 2 VMREAD of configs/core2.toml.
#include <gtest/gtest.h>

#include "machine.h"
#include "vmx_machine.h"

namespace hvsim::vmx {
namespace {

using namespace core;
using namespace core::testing;
using namespace test;

TEST(OwnCost, VmreadChargesExactlyItsConfiguredCycles) {
  VmxMachine m({"timing.model=simple", "vmx.vmread_cycles=52"});
  ASSERT_EQ(m.v->costs().vmread, 52u);
  // mov ecx, 0x681e (GUEST_RIP); vmread rdx, rcx; hlt
  m.load(kCode, {0xb9, 0x1e, 0x68, 0, 0, 0x0f, 0x78, 0xca, 0xf4});
  m.s().rip = kCode;
  m.run(1);  // the MOV, with the fetch's page walk
  const uint64_t before = m.e->cycles();
  m.run(1);  // the VMREAD alone
  ASSERT_EQ(m.s().rip, kCode + 8);
  EXPECT_EQ(m.s().gpr[RDX], kGuestCode);
  EXPECT_EQ(m.e->cycles() - before, 52u);
  EXPECT_EQ(m.v->stats().vmreads, 1u);
}

}  // namespace
}  // namespace hvsim::vmx
