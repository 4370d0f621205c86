// Real-mode details kvm-unit-tests' realmode.flat found: a 16-bit IRET
// loads FLAGS without its reserved bits 3, 5 and 15 (SDM Vol. 1 3.4.3), and
// SALC (D6h) sets AL from CF.
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

// At 0x1000 (real mode, CS = 0): push 0xfeff; push 0; push 0x100a; iret;
// then at 0x100a: pushf; pop bx; hlt.
TEST(RealMode, Iret16DropsReservedFlagBits) {
  Machine m;
  m.enter_real(0x1000);
  m.s().rflags = 2;
  m.load(0x1000, {0x68, 0xff, 0xfe, 0x6a, 0x00, 0x68, 0x0a, 0x10, 0xcf, 0x90,
                  0x9c, 0x5b, 0xfa, 0xf4});  // ... cli; hlt
  m.run(20);
  // 0xfeff popped (all but TF): bits 3, 5 and 15 read 0, bit 1 reads 1.
  EXPECT_EQ(m.s().gpr[RBX] & 0xffff, 0x7ed7u);
}

// clc; salc; mov bl, al; stc; salc; hlt
TEST(RealMode, SalcSetsAlFromCarry) {
  Machine m;
  m.enter_real(0x1000);
  m.s().rflags = 2;
  m.s().gpr[RAX] = 0x1234;
  m.load(0x1000, {0xf8, 0xd6, 0x88, 0xc3, 0xf9, 0xd6, 0xf4});
  m.run(10);
  EXPECT_EQ(m.s().gpr[RBX] & 0xff, 0x00u);
  EXPECT_EQ(m.s().gpr[RAX] & 0xffff, 0x12ffu);
}

}  // namespace
}  // namespace hvsim::core::testing
