// Issue 12: an SVM instruction costs what its cost key says (svm.*_cycles),
// with no class latency on top (timing::kOwnCost), under timing.model =
// simple (APM Vol. 2 15.5.2 VMSAVE and VMLOAD).
#include <gtest/gtest.h>

#include "sim/svm/svm.h"
#include "svm_machine.h"

namespace hvsim::svm::test {
namespace {

using namespace core;
using namespace core::testing;

TEST(OwnCost, VmsaveAndVmloadChargeExactlyTheirConfiguredCycles) {
  SvmMachine m({"timing.model=simple", "svm.vmsave_cycles=111", "svm.vmload_cycles=77"});
  // mov eax, kSavePa; vmsave; vmload (the state just saved); hlt
  m.load(kHostRip, {0xb8, static_cast<uint8_t>(kSavePa), static_cast<uint8_t>(kSavePa >> 8),
                    static_cast<uint8_t>(kSavePa >> 16), 0, 0x0f, 0x01, 0xdb, 0x0f, 0x01, 0xda,
                    0xf4});
  m.s().rip = kHostRip;
  m.run(1);  // the MOV, with the fetch's page walk
  uint64_t before = m.e->cycles();
  m.run(1);  // VMSAVE
  ASSERT_EQ(m.s().rip, kHostRip + 8);
  EXPECT_EQ(m.e->cycles() - before, 111u);
  before = m.e->cycles();
  m.run(1);  // VMLOAD
  ASSERT_EQ(m.s().rip, kHostRip + 11);
  EXPECT_EQ(m.e->cycles() - before, 77u);
}

}  // namespace
}  // namespace hvsim::svm::test
