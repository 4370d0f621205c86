// MONITOR/MWAIT (CPL, CPUID, address checks, ECX) and RDRAND/RDSEED (flags,
// operand sizes, determinism from cpu.rdrand_seed, CPUID gating)
// (SDM Vol. 2B MONITOR, MWAIT, RDRAND, RDSEED).
#include "tests/unit/core/code.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

using Bytes = std::vector<uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes mov_rax(uint64_t v) {
  Bytes b = {0x48, 0xb8};
  for (unsigned i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return b;
}
Bytes mov_ecx(uint32_t v) {
  return {0xb9, static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
}
const Bytes kMonitor = {0x0f, 0x01, 0xc8}, kMwait = {0x0f, 0x01, 0xc9}, kHlt = {0xf4};
const Bytes kXorEcx = {0x31, 0xc9};

// Rebuilds the machine's engine from its config after `overrides`.
void reconfigure(Machine& m, std::initializer_list<const char*> overrides) {
  for (const char* o : overrides) m.cfg->set_override(o);
  m.e = std::make_unique<Engine>(m.bus, *m.cfg);
}

// Runs `code` at kCode in 64-bit mode, CPL 0, to the HLT (its own or a stub's).
void run64(Machine& m, const Bytes& code) {
  m.enter_long64();
  m.s().gpr[R14] = 0xff;  // the fault stubs write the vector here
  m.load(kCode, code);
  RUN_TO_HLT(m);
}

// ---- MONITOR / MWAIT ----------------------------------------------------------

TEST(Monitor, ArmsOnTheTranslatedAddressAndMwaitReturnsAtOnce) {
  Machine m;
  run64(m, cat({mov_rax(0x5123), kXorEcx, kMonitor, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], 0xffu);
  EXPECT_TRUE(m.e->monitor.armed);
  EXPECT_EQ(m.e->monitor.pa, 0x5123u);

  Machine m2;
  run64(m2, cat({mov_rax(0x5123), kXorEcx, kMonitor, kMwait, kHlt}));
  EXPECT_EQ(m2.s().gpr[R14], 0xffu);
  EXPECT_FALSE(m2.e->monitor.armed) << "MWAIT returned: the monitor is disarmed";
  EXPECT_EQ(m2.s().rip, kCode + 10 + 2 + 3 + 3 + 1);
}

TEST(Monitor, FsOverrideAddsTheBase) {
  Machine m;
  m.enter_long64();
  m.s().seg[FS].base = 0x6000;
  m.load(kCode, cat({mov_rax(0x10), kXorEcx, {0x64}, kMonitor, kHlt}));
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], 0u);  // untouched by a stub
  EXPECT_TRUE(m.e->monitor.armed);
  EXPECT_EQ(m.e->monitor.pa, 0x6010u);
}

TEST(Monitor, MwaitInterruptBreakEventIsAllowed) {
  Machine m;
  run64(m, cat({mov_ecx(1), kMwait, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], 0xffu);
}

TEST(Monitor, NonCanonicalAddressIsGp) {
  Machine m;
  run64(m, cat({mov_rax(0x0000800000000000ull), kXorEcx, kMonitor, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], kGP);
  EXPECT_EQ(m.stack64(0), 0u);
  EXPECT_EQ(m.stack64(1), kCode + 12);
  EXPECT_FALSE(m.e->monitor.armed);
}

TEST(Monitor, UnmappedAddressIsPageFault) {
  Machine m;
  run64(m, cat({mov_rax(0x900040), kXorEcx, kMonitor, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], kPF);
  EXPECT_EQ(m.stack64(0), 0u) << "a supervisor read of a not-present page";
  EXPECT_EQ(m.s().cr2, 0x900040u);
  EXPECT_FALSE(m.e->monitor.armed);
}

TEST(Monitor, SegmentLimitIsGpInProtectedMode) {
  Machine m;
  m.enter_prot32();
  m.s().seg[DS].limit = 0xfff;
  // mov eax, 0x2000; xor ecx, ecx; monitor; hlt
  m.load(kCode, cat({{0xb8, 0x00, 0x20, 0x00, 0x00}, kXorEcx, kMonitor, kHlt}));
  m.s().gpr[RSI] = 0xff;
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSI] & 0xff, kGP);
  EXPECT_FALSE(m.e->monitor.armed);
}

TEST(Monitor, ReservedEcxIsGp) {
  Machine m;
  run64(m, cat({mov_rax(0x5000), mov_ecx(1), kMonitor, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], kGP);
  Machine m2;
  run64(m2, cat({mov_ecx(2), kMwait, kHlt}));
  EXPECT_EQ(m2.s().gpr[R14], kGP);
  EXPECT_EQ(m2.stack64(0), 0u);
  EXPECT_EQ(m2.stack64(1), kCode + 5);
}

// SYSRET to ring 3 at kUserCode running `user` (privilege_test.cc).
void to_ring3(Machine& m, const Bytes& user) {
  m.enter_long64();
  m.load(kCode, k_sysret);
  m.load(kUserCode, user);
  m.load(0x120000, k_sys_handler);
}

TEST(Monitor, Cpl3IsUd) {
  for (const Bytes* insn : {&kMonitor, &kMwait}) {
    Machine m;
    to_ring3(m, cat({*insn, kHlt}));
    RUN_TO_HLT(m);
    EXPECT_EQ(m.s().gpr[R14], kUD);
    EXPECT_EQ(m.stack64(0), kUserCode);
    EXPECT_EQ(m.s().cpl, 0u);
  }
}

TEST(Monitor, NotAdvertisedIsUd) {
  for (const Bytes* insn : {&kMonitor, &kMwait}) {
    Machine m;
    reconfigure(m, {"cpu.monitor=false"});
    EXPECT_EQ(m.e->cpuid().query(1, 0).ecx & (1u << 3), 0u);
    EXPECT_EQ(m.e->cpuid().query(5, 0).ecx, 0u);
    run64(m, cat({mov_rax(0x5000), kXorEcx, *insn, kHlt}));
    EXPECT_EQ(m.s().gpr[R14], kUD);
    EXPECT_EQ(m.stack64(0), kCode + 12);
  }
}

TEST(Monitor, Cpuid) {
  Machine m;
  EXPECT_NE(m.e->cpuid().query(1, 0).ecx & (1u << 3), 0u);
  const CpuidResult l5 = m.e->cpuid().query(5, 0);
  EXPECT_EQ(l5.eax, 64u);
  EXPECT_EQ(l5.ebx, 64u);
  EXPECT_EQ(l5.ecx, 3u) << "EMX and interrupts as break events";
}

// ---- RDRAND / RDSEED ---------------------------------------------------------------

const Bytes kRdrandRax = {0x48, 0x0f, 0xc7, 0xf0}, kRdrandRbx = {0x48, 0x0f, 0xc7, 0xf3},
            kRdrandRcx = {0x48, 0x0f, 0xc7, 0xf1}, kRdseedRdx = {0x48, 0x0f, 0xc7, 0xfa};

struct Draws {
  uint64_t a, b, c, seed;
};

Draws draw(std::initializer_list<const char*> overrides = {}) {
  Machine m;
  reconfigure(m, overrides);
  run64(m, cat({kRdrandRax, kRdrandRbx, kRdrandRcx, kRdseedRdx, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], 0xffu);
  return {m.s().gpr[RAX], m.s().gpr[RBX], m.s().gpr[RCX], m.s().gpr[RDX]};
}

TEST(Rdrand, FlagsCfSetOthersClear) {
  for (const Bytes* insn : {&kRdrandRax, &kRdseedRdx}) {
    Machine m;
    m.enter_long64();
    m.s().rflags = 2 | OF | SF | ZF | AF | PF | DF;
    m.load(kCode, cat({*insn, kHlt}));
    RUN_TO_HLT(m);
    EXPECT_EQ(m.s().rflags & (CF | OF | SF | ZF | AF | PF), CF);
    EXPECT_EQ(m.s().rflags & DF, DF) << "other flags are preserved";
  }
}

TEST(Rdrand, OperandSizes) {
  Machine m;
  m.enter_long64();
  m.s().gpr[RAX] = 0x1111111111111111ull;
  m.s().gpr[RBX] = 0x2222222222222222ull;
  // rdrand ax; rdrand ebx; hlt
  m.load(kCode, {0x66, 0x0f, 0xc7, 0xf0, 0x0f, 0xc7, 0xf3, 0xf4});
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RAX] >> 16, 0x111111111111ull) << "16-bit destination merges";
  EXPECT_EQ(m.s().gpr[RBX] >> 32, 0u) << "32-bit destination zero-extends";
}

TEST(Rdrand, SameSeedSameSequence) {
  const Draws x = draw(), y = draw();
  EXPECT_EQ(x.a, y.a);
  EXPECT_EQ(x.b, y.b);
  EXPECT_EQ(x.c, y.c);
  EXPECT_EQ(x.seed, y.seed);
  EXPECT_NE(x.a, x.b);
  EXPECT_NE(x.b, x.c);
  EXPECT_NE(x.a, x.seed) << "RDSEED draws from its own generator";
  const Draws z = draw({"cpu.rdrand_seed=12345"}), w = draw({"cpu.rdrand_seed=12345"});
  EXPECT_EQ(z.a, w.a);
  EXPECT_EQ(z.c, w.c);
  EXPECT_EQ(z.seed, w.seed);
}

TEST(Rdrand, DifferentSeedDifferentSequence) {
  const Draws x = draw(), z = draw({"cpu.rdrand_seed=12345"});
  EXPECT_NE(x.a, z.a);
  EXPECT_NE(x.b, z.b);
  EXPECT_NE(x.c, z.c);
  EXPECT_NE(x.seed, z.seed);
}

TEST(Rdrand, SequenceIndependentOfRdseed) {
  Machine m;
  run64(m, cat({kRdseedRdx, kRdrandRax, kHlt}));
  EXPECT_EQ(m.s().gpr[RAX], draw().a);
}

TEST(Rdrand, Cpuid) {
  Machine m;
  EXPECT_NE(m.e->cpuid().query(1, 0).ecx & (1u << 30), 0u);
  EXPECT_NE(m.e->cpuid().query(7, 0).ebx & (1u << 18), 0u);
}

TEST(Rdrand, RdrandNotAdvertisedIsUd) {
  Machine m;
  reconfigure(m, {"cpu.rdrand=false"});
  EXPECT_EQ(m.e->cpuid().query(1, 0).ecx & (1u << 30), 0u);
  EXPECT_NE(m.e->cpuid().query(7, 0).ebx & (1u << 18), 0u);
  run64(m, cat({kRdseedRdx, kRdrandRax, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], kUD);
  EXPECT_EQ(m.stack64(0), kCode + 4) << "RDSEED ran, RDRAND faulted";
}

TEST(Rdrand, RdseedNotAdvertisedIsUd) {
  Machine m;
  reconfigure(m, {"cpu.rdseed=false"});
  EXPECT_NE(m.e->cpuid().query(1, 0).ecx & (1u << 30), 0u);
  EXPECT_EQ(m.e->cpuid().query(7, 0).ebx & (1u << 18), 0u);
  run64(m, cat({kRdrandRax, kRdseedRdx, kHlt}));
  EXPECT_EQ(m.s().gpr[R14], kUD);
  EXPECT_EQ(m.stack64(0), kCode + 4);
}

TEST(Rdrand, WorksAtCpl3) {
  Machine m;
  to_ring3(m, cat({kRdrandRax, {0x0f, 0x05}}));  // rdrand rax; syscall
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().cpl, 0u);
  EXPECT_EQ(m.s().gpr[RAX], draw().a);
}

// XSETBV is #UD while CR4.OSXSAVE = 0 (SDM Vol. 2D XSETBV), before any
// VM exit could be taken (sys/xstate.cc; the enabled forms are in
// tests/isa/simd_exceptions_test.cc).
TEST(Xsetbv, IsUdWithoutOsxsave) {
  Machine m;
  EXPECT_EQ(m.s().cr4 & CR4_OSXSAVE, 0u);
  run64(m, cat({kXorEcx, {0x0f, 0x01, 0xd1}, kHlt}));  // xor ecx, ecx; xsetbv
  EXPECT_EQ(m.s().gpr[R14], kUD);
  EXPECT_EQ(m.stack64(0), kCode + 2);
}

}  // namespace
}  // namespace hvsim::core::testing
