// Real-mode details kvm-unit-tests' realmode.flat found: a 16-bit IRET
// loads FLAGS without its reserved bits 3, 5 and 15 (SDM Vol. 1 3.4.3), and
// SALC (D6h) sets AL from CF; and SYSCALL outside 64-bit mode by vendor.
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

namespace hvsim::core::testing {
namespace {

// SYSCALL outside 64-bit mode (kvm-unit-tests syscall.flat on an AMD model):
// AMD runs it in legacy protected mode to STAR[31:0] with a flat 32-bit CS
// from STAR[47:32] (APM Vol. 3 SYSCALL); Intel raises #UD.
uint64_t legacy_syscall(const char* vendor, Machine& m) {
  m.cfg->set_override(vendor);
  m.e = std::make_unique<Engine>(m.bus, *m.cfg);
  m.enter_prot32();
  m.s().efer |= EFER_SCE;
  m.s().star = (uint64_t{kSelCode32} << 32) | 0x9000;
  m.s().gpr[RSI] = 0xff;
  m.load(kCode, {0x0f, 0x05});  // syscall
  m.load(0x9000, {0xbe, 0x77, 0, 0, 0, 0xf4});  // mov esi, 0x77; hlt
  m.run(10);
  return m.s().gpr[RSI];
}

TEST(Syscall, LegacyModeOnAmdOnly) {
  Machine amd;
  EXPECT_EQ(legacy_syscall("cpu.vendor=AuthenticAMD", amd), 0x77u);
  EXPECT_EQ(amd.s().gpr[RCX], kCode + 2);
  EXPECT_EQ(amd.s().seg[CS].selector, kSelCode32);
  Machine intel;
  EXPECT_EQ(legacy_syscall("cpu.vendor=GenuineIntel", intel), uint64_t{kUD});
}

}  // namespace
}  // namespace hvsim::core::testing
