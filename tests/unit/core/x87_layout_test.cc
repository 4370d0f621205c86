// FNSTENV/FLDENV and FNSAVE/FRSTOR memory layouts (SDM Vol. 1 8.1.10,
// Figures 8-9 to 8-12): 16- and 32-bit formats, real-mode and
// protected-mode variants, 64-bit mode as the 32-bit protected format.
// The state is set directly, so the expected bytes follow from the figures.
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

constexpr uint64_t kImage = 0x8000;

void set_state(X87State& x) {
  x.fcw = 0x0b72;  // RC = up, PC = 53 bits, ZE and DE unmasked... (bit 6 set)
  x.fsw = 0x3000 | 0x0100 | 0x0020;  // TOP = 6, C0, PE
  x.ftw = 0x0fff;  // R6, R7 not empty
  x.r[6] = Float80{0, 0};                      // ST(0) = +0 (tag 01)
  x.r[7] = Float80{0xc000000000000000ull, 0x4000};  // ST(1) = 3.0 (tag 00)
  x.r[0] = Float80{0x1234, 0x5678};            // empty
  x.fop = 0x5a5;
  x.fip = 0x4567;
  x.fcs = 0xf123;
  x.fdp = 0x0010;
  x.fds = 0xa000;
}

template <typename T>
T at(const Machine& m, unsigned off) {
  return m.peek<T>(kImage + off);
}

void expect_regs(const Machine& m, unsigned off) {
  EXPECT_EQ(at<uint64_t>(m, off), 0u);  // ST(0)
  EXPECT_EQ(at<uint16_t>(m, off + 8), 0u);
  EXPECT_EQ(at<uint64_t>(m, off + 10), 0xc000000000000000ull);  // ST(1)
  EXPECT_EQ(at<uint16_t>(m, off + 18), 0x4000);
  EXPECT_EQ(at<uint64_t>(m, off + 20), 0x1234u);  // ST(2) = R0
  EXPECT_EQ(at<uint16_t>(m, off + 28), 0x5678);
}

// Full tag word: R7 valid (00), R6 zero (01), the rest empty.
constexpr uint16_t kTags = 0x1fff;

void expect_restored(const Machine& m, uint64_t fip, uint16_t fcs, uint64_t fdp, uint16_t fds) {
  const X87State& x = m.e->s.x87;
  EXPECT_EQ(x.fcw, 0x0b72);
  EXPECT_EQ(x.fsw, 0x3120);
  EXPECT_EQ(x.ftw, kTags);
  EXPECT_EQ(x.fip, fip);
  EXPECT_EQ(x.fcs, fcs);
  EXPECT_EQ(x.fdp, fdp);
  EXPECT_EQ(x.fds, fds);
  EXPECT_EQ(x.fop, 0x5a5);
  EXPECT_EQ(x.r[7].sign_exp, 0x4000);
  EXPECT_EQ(x.r[7].signif, 0xc000000000000000ull);
}

void run_real(Machine& m, const std::vector<uint8_t>& code) {
  m.enter_real(0x7c00);
  m.load(0x7c00, code);
  ASSERT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
}

// Real mode, 16-bit format (Figure 8-12): 20-bit linear pointers.
TEST(X87Layout, RealMode16Bit) {
  Machine m;
  set_state(m.s().x87);
  // fnsave [0x8000]; hlt   (DD 36 disp16)
  run_real(m, {0xdd, 0x36, 0x00, 0x80, 0xf4});
  EXPECT_EQ(at<uint16_t>(m, 0), 0x0b72);
  EXPECT_EQ(at<uint16_t>(m, 2), 0x3120);
  EXPECT_EQ(at<uint16_t>(m, 4), kTags);
  EXPECT_EQ(at<uint16_t>(m, 6), 0x5797);  // linear F5797h: F123h * 16 + 4567h
  EXPECT_EQ(at<uint16_t>(m, 8), 0xf5a5);  // pointer 19:16, 0, FOP
  EXPECT_EQ(at<uint16_t>(m, 10), 0x0010); // linear A0010h
  EXPECT_EQ(at<uint16_t>(m, 12), 0xa000);
  expect_regs(m, 14);
  const X87State& x = m.s().x87;  // FNSAVE initialised the FPU
  EXPECT_EQ(x.fcw, 0x037f);
  EXPECT_EQ(x.ftw, 0xffff);
  EXPECT_EQ(x.fsw, 0);
  // frstor [0x8000]; hlt
  Machine r;
  std::memcpy(r.bus.ram.data() + kImage, m.bus.ram.data() + kImage, 94);
  run_real(r, {0xdd, 0x26, 0x00, 0x80, 0xf4});
  expect_restored(r, 0xf5797, 0, 0xa0010, 0);
}

// Real mode, 32-bit format (Figure 8-10): 32-bit linear pointers split.
TEST(X87Layout, RealMode32Bit) {
  Machine m;
  set_state(m.s().x87);
  // o32 fnstenv [0x8000]; hlt
  run_real(m, {0x66, 0xd9, 0x36, 0x00, 0x80, 0xf4});
  EXPECT_EQ(at<uint32_t>(m, 0), 0xffff0b72u);
  EXPECT_EQ(at<uint32_t>(m, 4), 0xffff3120u);
  EXPECT_EQ(at<uint32_t>(m, 8), 0xffff0000u | kTags);
  EXPECT_EQ(at<uint16_t>(m, 12), 0x5797);
  EXPECT_EQ(at<uint32_t>(m, 16), 0x0000f5a5u);  // pointer 31:16 in bits 27:12, FOP
  EXPECT_EQ(at<uint16_t>(m, 20), 0x0010);
  EXPECT_EQ(at<uint32_t>(m, 24), 0x0000a000u);
  EXPECT_EQ(m.s().x87.fcw, 0x0b7f);  // FNSTENV masks every exception
  // o32 fldenv [0x8000]; hlt
  Machine r;
  std::memcpy(r.bus.ram.data() + kImage, m.bus.ram.data() + kImage, 28);
  set_state(r.s().x87);
  r.s().x87.fcw = 0x037f;
  r.s().x87.fsw = 0x3000;
  run_real(r, {0x66, 0xd9, 0x26, 0x00, 0x80, 0xf4});
  expect_restored(r, 0xf5797, 0, 0xa0010, 0);
}

// Protected mode, 32-bit format (Figure 8-9), and 16-bit (Figure 8-11).
TEST(X87Layout, ProtectedMode32And16Bit) {
  Machine m;
  m.enter_prot32();
  set_state(m.s().x87);
  m.s().x87.fip = 0x89abcdef;
  m.s().x87.fdp = 0x01234567;
  // fnsave [0x8000]; o16 fnsave [0x8100]; hlt
  m.load(kCode, {0xdd, 0x35, 0x00, 0x80, 0x00, 0x00, 0x66, 0xdd, 0x35, 0x00, 0x81, 0x00, 0x00,
                 0xf4});
  // The second FNSAVE stores the FNINIT state the first one left.
  ASSERT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(at<uint32_t>(m, 0), 0xffff0b72u);
  EXPECT_EQ(at<uint32_t>(m, 4), 0xffff3120u);
  EXPECT_EQ(at<uint32_t>(m, 8), 0xffff0000u | kTags);
  EXPECT_EQ(at<uint32_t>(m, 12), 0x89abcdefu);
  EXPECT_EQ(at<uint32_t>(m, 16), 0x05a5f123u);  // FOP in 26:16, FCS in 15:0
  EXPECT_EQ(at<uint32_t>(m, 20), 0x01234567u);
  EXPECT_EQ(at<uint32_t>(m, 24), 0xffffa000u);
  expect_regs(m, 28);
  EXPECT_EQ(at<uint16_t>(m, 0x100 + 0), 0x037f);
  EXPECT_EQ(at<uint16_t>(m, 0x100 + 2), 0x0000);
  EXPECT_EQ(at<uint16_t>(m, 0x100 + 4), 0xffff);
  // 16-bit protected format with a non-trivial state: o16 fnstenv.
  Machine p;
  p.enter_prot32();
  set_state(p.s().x87);
  p.load(kCode, {0x66, 0xd9, 0x35, 0x00, 0x80, 0x00, 0x00, 0xf4});
  ASSERT_EQ(p.run(), RunExit::kHaltedForever) << p.e->last_error();
  EXPECT_EQ(at<uint16_t>(p, 0), 0x0b72);
  EXPECT_EQ(at<uint16_t>(p, 2), 0x3120);
  EXPECT_EQ(at<uint16_t>(p, 4), kTags);
  EXPECT_EQ(at<uint16_t>(p, 6), 0x4567);  // IP offset
  EXPECT_EQ(at<uint16_t>(p, 8), 0xf123);  // CS selector
  EXPECT_EQ(at<uint16_t>(p, 10), 0x0010);
  EXPECT_EQ(at<uint16_t>(p, 12), 0xa000);
  // frstor [0x8000] of the 32-bit image: everything back.
  Machine r;
  r.enter_prot32();
  std::memcpy(r.bus.ram.data() + kImage, m.bus.ram.data() + kImage, 108);
  r.load(kCode, {0xdd, 0x25, 0x00, 0x80, 0x00, 0x00, 0xf4});
  ASSERT_EQ(r.run(), RunExit::kHaltedForever) << r.e->last_error();
  expect_restored(r, 0x89abcdef, 0xf123, 0x01234567, 0xa000);
}

// 64-bit mode stores the 32-bit protected-mode format.
TEST(X87Layout, LongModeUses32BitFormat) {
  Machine m;
  m.enter_long64();
  set_state(m.s().x87);
  // fnsave [0x8000]; hlt
  m.load(kCode, {0xdd, 0x34, 0x25, 0x00, 0x80, 0x00, 0x00, 0xf4});
  ASSERT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(at<uint32_t>(m, 12), 0x4567u);
  EXPECT_EQ(at<uint32_t>(m, 16), 0x05a5f123u);
  expect_regs(m, 28);
}

// FLDENV/FRSTOR recompute ES and B from the unmasked flags: an unmasked
// flag loaded this way is pending, and the next waiting instruction faults.
TEST(X87Layout, LoadedUnmaskedFlagIsPending) {
  Machine m;
  m.enter_long64();
  // FCW 037Bh (ZE unmasked), FSW with ZE set but ES clear.
  m.poke<uint32_t>(kImage + 0, 0xffff037b);
  m.poke<uint32_t>(kImage + 4, 0xffff0004);
  m.poke<uint32_t>(kImage + 8, 0xffffffff);
  // fldenv [0x8000]; fnstsw ax; fld1; hlt
  m.load(kCode, {0xd9, 0x24, 0x25, 0x00, 0x80, 0x00, 0x00, 0xdf, 0xe0, 0xd9, 0xe8, 0xf4});
  m.s().gpr[R14] = 0;
  ASSERT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(m.s().gpr[RAX] & 0xffff, 0x8084u);
  EXPECT_EQ(m.s().gpr[R14], kMF);
  EXPECT_EQ(m.stack64(0), kCode + 9);
}

}  // namespace
}  // namespace hvsim::core::testing

namespace hvsim::core::testing {
namespace {

// FIP/FCS record the last non-control x87 instruction: its offset in CS
// (including prefixes) and the CS selector; control instructions (FNSTSW,
// FNSTCW, FNCLEX) leave them alone. (FDP and FOP follow the host's policy,
// SDM Vol. 1 8.1.9: not asserted here.)
TEST(X87Layout, InstructionPointerInProtectedMode) {
  Machine m;
  m.enter_prot32();
  // fninit; fld1; ds fadd st0, st0; fnstsw ax; fnclex; hlt
  m.load(kCode, {0xdb, 0xe3, 0xd9, 0xe8, 0x3e, 0xd8, 0xc0, 0xdf, 0xe0, 0xdb, 0xe2, 0xf4});
  ASSERT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(m.s().x87.fip, kCode + 4);
  EXPECT_EQ(m.s().x87.fcs, kSelCode32);
  EXPECT_EQ(m.s().x87.top(), 7u);
}

}  // namespace
}  // namespace hvsim::core::testing

namespace hvsim::core::testing {
namespace {

// Real mode end to end: the FIP a host-run instruction records (offset and
// CS selector) comes out of FNSTENV as the 20-bit linear address.
TEST(X87Layout, RealModeInstructionPointerIsLinear) {
  Machine m;
  m.enter_real(0);
  m.s().seg[CS] = Segment{0x1700, 0x17000, 0xffff, 0x9b};
  m.s().rip = 0x0c00;  // linear 17C00h
  // fld1; fnstenv [0x8000]; hlt
  m.load(0x17c00, {0xd9, 0xe8, 0xd9, 0x36, 0x00, 0x80, 0xf4});
  ASSERT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(m.s().x87.fip, 0x0c00u);
  EXPECT_EQ(m.s().x87.fcs, 0x1700u);
  EXPECT_EQ(m.peek<uint16_t>(0x8000 + 6), 0x7c00);             // linear 15:0
  EXPECT_EQ(m.peek<uint16_t>(0x8000 + 8) & 0xf000, 0x1000);    // linear 19:16
}

}  // namespace
}  // namespace hvsim::core::testing
