// x87 and MMX exceptions on a whole machine (Engine run loop and IDT):
// #NM for CR0.EM/TS, #UD for MMX with CR0.EM, WAIT/FWAIT's own #NM rule
// (SDM Vol. 3 Table 2-2), #MF at the next waiting instruction after an
// unmasked exception (SDM Vol. 1 8.6, Vol. 3 6.15 "Interrupt 16"), the
// CR0.NE = 0 behaviour, stack overflow/underflow (SDM Vol. 1 8.5.1.1) and
// the FXAM classes (SDM Vol. 1 Table 8-7 / Vol. 2A FXAM).
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

constexpr uint64_t kNoVector = 0xdead;

// Runs `code` in 64-bit mode; returns the vector the handler stubs saw
// (R14), or kNoVector if the code reached its HLT without an exception.
uint64_t run64(Machine& m, const std::vector<uint8_t>& code) {
  m.load(kCode, code);
  m.s().gpr[R14] = kNoVector;
  EXPECT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  return m.s().gpr[R14];
}

// fld1; hlt
const std::vector<uint8_t> k_fld1 = {0xd9, 0xe8, 0xf4};
// emms; hlt
const std::vector<uint8_t> k_emms = {0x0f, 0x77, 0xf4};
// fwait; hlt
const std::vector<uint8_t> k_fwait = {0x9b, 0xf4};

TEST(X87Exceptions, NmWhenEmOrTs) {
  for (uint64_t bit : {CR0_EM, CR0_TS}) {
    Machine m;
    m.enter_long64();
    m.s().cr0 |= bit;
    EXPECT_EQ(run64(m, k_fld1), kNM);
    EXPECT_EQ(m.stack64(0), kCode);  // no error code; a fault: RIP of the x87 instruction
  }
  Machine m;
  m.enter_long64();
  EXPECT_EQ(run64(m, k_fld1), kNoVector);
}

TEST(X87Exceptions, MmxIsUdWithEmAndNmWithTs) {
  Machine m;
  m.enter_long64();
  m.s().cr0 |= CR0_EM;
  EXPECT_EQ(run64(m, k_emms), kUD);
  Machine m2;
  m2.enter_long64();
  m2.s().cr0 |= CR0_TS;
  EXPECT_EQ(run64(m2, k_emms), kNM);
}

TEST(X87Exceptions, FwaitNmOnlyWithTsAndMp) {
  struct Case {
    uint64_t cr0;
    uint64_t vector;
  } cases[] = {{CR0_TS, kNoVector}, {CR0_TS | CR0_MP, kNM}, {CR0_EM, kNoVector},
               {CR0_EM | CR0_MP, kNoVector}};
  for (const Case& c : cases) {
    Machine m;
    m.enter_long64();
    m.s().cr0 |= c.cr0;
    EXPECT_EQ(run64(m, k_fwait), c.vector) << "CR0 bits " << c.cr0;
  }
}

// fninit; fldcw [rip+0x10] (037Bh: ZE unmasked); fld1; fldz; fdivp st(1), st;
// fnstsw ax; mov ebx, 1; fld1; hlt; .word 0x037b
const std::vector<uint8_t> k_mf = {0xdb, 0xe3, 0xd9, 0x2d, 0x10, 0x00, 0x00, 0x00, 0xd9, 0xe8,
                                   0xd9, 0xee, 0xde, 0xf9, 0xdf, 0xe0, 0xbb, 0x01, 0x00, 0x00,
                                   0x00, 0xd9, 0xe8, 0xf4, 0x7b, 0x03};
constexpr uint64_t kFdivp = kCode + 0xc, kSecondFld1 = kCode + 0x15;

TEST(X87Exceptions, MfAtTheNextWaitingInstruction) {
  Machine m;
  m.enter_long64();
  m.s().gpr[RBX] = 0;
  EXPECT_EQ(run64(m, k_mf), kMF);
  // FDIVP set ZE and ES without trapping; FNSTSW (no-wait) ran; the next
  // waiting instruction faulted before executing.
  EXPECT_EQ(m.stack64(0), kSecondFld1);  // no error code
  EXPECT_EQ(m.s().gpr[RBX], 1u);
  const uint16_t ax = static_cast<uint16_t>(m.s().gpr[RAX]);
  EXPECT_TRUE(ax & 0x04) << std::hex << ax;   // ZE
  EXPECT_TRUE(ax & 0x80) << std::hex << ax;   // ES
  EXPECT_TRUE(ax & 0x8000) << std::hex << ax; // B mirrors ES
  const X87State& x = m.s().x87;
  EXPECT_EQ(x.fip, kFdivp);  // the instruction that caused the exception
  EXPECT_EQ(m.e->stat_exceptions, 1u);
}

TEST(X87Exceptions, FnclexClearsThePendingException) {
  std::vector<uint8_t> code = k_mf;
  code[16] = 0xdb;  // mov ebx, 1 -> fnclex (DB E2) + 3 NOPs
  code[17] = 0xe2;
  code[18] = code[19] = code[20] = 0x90;
  Machine m;
  m.enter_long64();
  EXPECT_EQ(run64(m, code), kNoVector);
  EXPECT_EQ(m.s().x87.fsw & 0x80ff, 0u);
}

TEST(X87Exceptions, CrNeClearIgnoresThePendingException) {
  Machine m;
  m.enter_long64();
  m.s().cr0 &= ~CR0_NE;
  EXPECT_EQ(run64(m, k_mf), kNoVector);  // FERR#/IGNNE# not modelled: as if IGNNE#
  const X87State& x = m.s().x87;
  EXPECT_TRUE(x.fsw & 0x80);  // still pending
  EXPECT_TRUE(x.fsw & 0x04);
  EXPECT_EQ(x.fip, kSecondFld1);  // the FLD1 ran
}

TEST(X87Exceptions, StackOverflowAndUnderflow) {
  // fninit; 9 x fld1; hlt: the ninth push overflows (masked: IE, SF, C1 = 1,
  // the QNaN indefinite is loaded).
  std::vector<uint8_t> code = {0xdb, 0xe3};
  for (int i = 0; i < 9; ++i) code.insert(code.end(), {0xd9, 0xe8});
  code.push_back(0xf4);
  Machine m;
  m.enter_long64();
  EXPECT_EQ(run64(m, code), kNoVector);
  const X87State& x = m.s().x87;
  EXPECT_EQ(x.fsw & 0x0241, 0x0241) << std::hex << x.fsw;  // C1, SF, IE
  const Float80& st0 = x.r[x.top()];
  EXPECT_EQ(st0.sign_exp, 0xffff);
  EXPECT_EQ(st0.signif, 0xc000000000000000ull);
  // fninit; fadd st0, st1; hlt: underflow (IE, SF, C1 = 0).
  Machine u;
  u.enter_long64();
  EXPECT_EQ(run64(u, {0xdb, 0xe3, 0xd8, 0xc1, 0xf4}), kNoVector);
  EXPECT_EQ(u.s().x87.fsw & 0x0241, 0x0041) << std::hex << u.s().x87.fsw;
}

TEST(X87Exceptions, StackFaultUnmaskedRaisesMfLater) {
  // fninit; fldcw [rip+6] (037Eh: IM clear); fadd st0, st1; fld1; hlt
  Machine m;
  m.enter_long64();
  EXPECT_EQ(run64(m, {0xdb, 0xe3, 0xd9, 0x2d, 0x06, 0x00, 0x00, 0x00, 0xd8, 0xc1, 0xd9, 0xe8,
                      0xf4, 0x00, 0x7e, 0x03}),
            kMF);
  EXPECT_EQ(m.stack64(0), kCode + 10);
  EXPECT_EQ(m.s().x87.fsw & 0x00c1, 0x00c1);  // ES, SF, IE
}

// FXAM: C3 C2 C0 = class, C1 = sign.
TEST(X87Exceptions, FxamClasses) {
  struct Case {
    uint16_t se;
    uint64_t m;
    bool empty;
    unsigned c3c2c0;  // as 3 bits: C3 C2 C0
    const char* what;
  } cases[] = {
      {0x0000, 0, false, 0b100, "+0"},
      {0x8000, 0, false, 0b100, "-0"},
      {0x3fff, 1ull << 63, false, 0b010, "1.0"},
      {0x0000, 1, false, 0b110, "denormal"},
      {0x7fff, 1ull << 63, false, 0b011, "+inf"},
      {0xffff, 1ull << 63, false, 0b011, "-inf"},
      {0x7fff, 0xc000000000000001ull, false, 0b001, "QNaN"},
      {0x7fff, 0x8000000000000001ull, false, 0b001, "SNaN"},
      {0x3fff, 0x4000000000000000ull, false, 0b000, "unnormal"},
      {0x7fff, 0x4000000000000000ull, false, 0b000, "pseudo-NaN"},
      {0x3fff, 1ull << 63, true, 0b101, "empty"},
  };
  for (const Case& c : cases) {
    Machine m;
    m.enter_long64();
    X87State& x = m.s().x87;
    x.fcw = 0x037f;
    x.fsw = 0;  // TOP = 0
    x.ftw = c.empty ? 0xffff : 0xfffc;
    x.r[0] = Float80{c.m, c.se};
    EXPECT_EQ(run64(m, {0xd9, 0xe5, 0xf4}), kNoVector);  // fxam; hlt
    const uint16_t f = m.s().x87.fsw;
    const unsigned got = ((f >> 14) & 1) << 2 | ((f >> 10) & 1) << 1 | ((f >> 8) & 1);
    EXPECT_EQ(got, c.c3c2c0) << c.what << " fsw=" << std::hex << f;
    EXPECT_EQ((f >> 9) & 1, c.se >> 15) << c.what << ": C1 is the sign";
  }
}

TEST(X87Exceptions, MmxSetsTopZeroAndTagsValidEmmsEmpties) {
  // fninit; fld1; movq mm1, mm1 (0F 6F C9); hlt
  Machine m;
  m.enter_long64();
  EXPECT_EQ(run64(m, {0xdb, 0xe3, 0xd9, 0xe8, 0x0f, 0x6f, 0xc9, 0xf4}), kNoVector);
  const X87State& x = m.s().x87;
  EXPECT_EQ(x.top(), 0u);
  EXPECT_EQ(x.r[1].sign_exp, 0xffff);  // MM1 written: bits 79:64 all ones
  for (unsigned i = 0; i < 8; ++i) EXPECT_NE((x.ftw >> (2 * i)) & 3, 3u) << "R" << i;
  // emms; hlt
  Machine e2;
  e2.enter_long64();
  EXPECT_EQ(run64(e2, {0x0f, 0x6f, 0xc9, 0x0f, 0x77, 0xf4}), kNoVector);
  EXPECT_EQ(e2.s().x87.ftw, 0xffff);
}

TEST(X87Exceptions, MemoryFaultLeavesTheStackAlone) {
  // fninit; fld1; fld dword [0x40000000] (unmapped); hlt
  Machine m;
  m.enter_long64();
  EXPECT_EQ(run64(m, {0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0x04, 0x25, 0x00, 0x00, 0x00, 0x40, 0xf4}),
            kPF);
  EXPECT_EQ(m.s().x87.top(), 7u);  // only FLD1's push
  EXPECT_EQ(m.s().x87.ftw, 0x3fff);
  // fninit; fld1; fstp qword [0x40000000]; hlt: the store faults before popping.
  Machine s;
  s.enter_long64();
  EXPECT_EQ(run64(s, {0xdb, 0xe3, 0xd9, 0xe8, 0xdd, 0x1c, 0x25, 0x00, 0x00, 0x00, 0x40, 0xf4}),
            kPF);
  EXPECT_EQ(s.s().x87.top(), 7u);
}

}  // namespace
}  // namespace hvsim::core::testing

namespace hvsim::core::testing {
namespace {

// Legacy modes: 32- and 16-bit addressing for x87 memory operands, MMX with
// 32-bit GPRs (the host stub is 64-bit code whatever the guest's mode).
TEST(X87Exceptions, LegacyModeOperands) {
  Machine m;
  m.enter_prot32();
  m.poke<uint32_t>(0x8000, 0x3f800000);  // 1.0f
  m.s().gpr[RAX] = 0x12345678;
  m.s().gpr[RBX] = 0x7ff0;
  // fninit; fld dword [ebx+0x10]; movd mm1, eax; paddd mm1, mm1; movd ecx, mm1; emms; hlt
  m.load(kCode, {0xdb, 0xe3, 0xd9, 0x43, 0x10, 0x0f, 0x6e, 0xc8, 0x0f, 0xfe, 0xc9, 0x0f, 0x7e,
                 0xc9, 0x0f, 0x77, 0xf4});
  ASSERT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  EXPECT_EQ(m.s().gpr[RCX], 0x2468acf0u);
  const X87State& x = m.s().x87;
  EXPECT_EQ(x.r[7].sign_exp, 0x3fff);  // the 1.0 FLD pushed (R7), kept by the MMX code
  EXPECT_EQ(x.ftw, 0xffff);            // EMMS
  // Real mode: fninit; fild word [bx+si]; fistp word [bx+si+2]; hlt
  Machine r;
  r.enter_real(0x7c00);
  r.poke<uint16_t>(0x9000, 0xfff9);  // -7
  r.s().gpr[RBX] = 0x8000;
  r.s().gpr[RSI] = 0x1000;
  r.load(0x7c00, {0xdb, 0xe3, 0xdf, 0x00, 0xdf, 0x58, 0x02, 0xf4});
  ASSERT_EQ(r.run(), RunExit::kHaltedForever) << r.e->last_error();
  EXPECT_EQ(r.peek<uint16_t>(0x9002), 0xfff9);
  EXPECT_EQ(r.s().x87.fip, 0x7c04u);  // FISTP's offset
}

}  // namespace
}  // namespace hvsim::core::testing
