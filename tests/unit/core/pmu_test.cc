// The performance-monitoring unit (SDM Vol. 3 20.2 architectural perfmon
// version 2; APM Vol. 2 13.2 core counters): CPUID, counting instructions,
// cycles and branches over a known loop, overflow status and the PMI, the
// MSRs' write rules, RDPMC, AMD's counters, and a model without a PMU.
#include "sim/core/sys/pmu.h"

#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

using Bytes = std::vector<uint8_t>;

Bytes imm32(uint8_t op, uint32_t v) {
  return {op, uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
}
// mov ecx, msr; mov eax, lo; mov edx, hi; wrmsr
// (byte-wise appends: GCC 12's -Warray-bounds misfires on vector::insert here)
void append(Bytes& b, const Bytes& p) {
  for (uint8_t x : p) b.push_back(x);
}
Bytes wrmsr(uint32_t msr, uint64_t v) {
  Bytes b = imm32(0xb9, msr);
  append(b, imm32(0xb8, uint32_t(v)));
  append(b, imm32(0xba, uint32_t(v >> 32)));
  append(b, {0x0f, 0x30});
  return b;
}
// mov ecx, n; 1: dec ecx; jnz 1b  (2n instructions, n branches)
Bytes loop(uint32_t n) {
  Bytes b = imm32(0xb9, n);
  append(b, {0xff, 0xc9, 0x75, 0xfc});
  return b;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) append(out, p);
  out.push_back(0xf4);  // hlt
  return out;
}

// An APIC that records the performance-counter interrupts it is given.
struct PmiRecorder : ApicRegisters {
  bool handles_msr(uint32_t) const override { return false; }
  bool read_msr(uint32_t, uint64_t&) override { return false; }
  bool write_msr(uint32_t, uint64_t) override { return false; }
  uint8_t cr8() const override { return 0; }
  void set_cr8(uint8_t) override {}
  void performance_interrupt(bool mask_after) override {
    ++pmis;
    masked = mask_after;
  }
  int pmis = 0;
  bool masked = false;
};

void reconfigure(Machine& m, std::initializer_list<const char*> overrides) {
  for (const char* o : overrides) m.cfg->set_override(o);
  m.e = std::make_unique<Engine>(m.bus, *m.cfg);
}

void run64(Machine& m, const Bytes& code) {
  m.enter_long64();
  m.s().gpr[R14] = 0xff;  // the fault stubs write the vector here
  m.load(kCode, code);
  RUN_TO_HLT(m);
}

constexpr uint32_t kPmc0 = 0xc1, kSel0 = 0x186, kFixed0 = 0x309, kFixedCtrl = 0x38d,
                   kStatus = 0x38e, kGlobal = 0x38f, kOvf = 0x390;
constexpr uint64_t kEn = 1u << 22, kOs = 1u << 17, kUsr = 1u << 16, kInt = 1u << 20;
constexpr uint64_t kInsns = 0xc0, kCycles = 0x3c, kBranches = 0xc4;

uint64_t msr(Machine& m, uint32_t i) {
  return sys::read_msr(*m.e, i);
}

TEST(Pmu, CpuidReportsArchitecturalPerfmonVersion2) {
  Machine m;
  EXPECT_GE(m.e->cpuid().query(0, 0).eax, 0xau) << "leaf 0AH is within the basic leaves";
  const CpuidResult a = m.e->cpuid().query(0xa, 0);
  EXPECT_EQ(a.eax & 0xff, 2u) << "version";
  EXPECT_EQ((a.eax >> 8) & 0xff, 4u) << "general-purpose counters";
  EXPECT_EQ((a.eax >> 16) & 0xff, 48u) << "counter width";
  EXPECT_EQ(a.ebx, 0u) << "all seven architectural events present";
  EXPECT_EQ(a.edx & 0x1f, 3u) << "fixed counters";
  EXPECT_EQ(msr(m, kGlobal), 0xfu) << "GP enables set at reset";
}

// 1000 iterations of dec/jnz between enabling and disabling the counters.
TEST(Pmu, CountsInstructionsCyclesAndBranchesOverAKnownLoop) {
  Machine m;
  run64(m, cat({wrmsr(kGlobal, 0), wrmsr(kSel0, kEn | kOs | kUsr | kInsns),
                wrmsr(kSel0 + 1, kEn | kOs | kCycles), wrmsr(kSel0 + 2, kEn | kOs | kBranches),
                wrmsr(kFixedCtrl, 0x111), wrmsr(kGlobal, 0x7 | 0x7ull << 32), loop(1000),
                wrmsr(kGlobal, 0)}));
  ASSERT_EQ(m.s().gpr[R14], 0xffu) << "no fault";
  // The loop's 2000 instructions, its mov ecx, the three movs that set up
  // the disabling WRMSR, and the enabling WRMSR itself (counters are synced
  // inside WRMSR, before it retires).
  EXPECT_EQ(msr(m, kPmc0), 2005u);
  EXPECT_EQ(msr(m, kFixed0), 2005u) << "fixed counter 0: instructions retired";
  const uint64_t cycles = msr(m, kPmc0 + 1);
  EXPECT_GE(cycles, 2005u);
  EXPECT_LT(cycles, m.e->cycles());
  EXPECT_EQ(msr(m, kFixed0 + 1), cycles) << "fixed counter 1: core cycles";
  EXPECT_EQ(msr(m, kFixed0 + 2), cycles) << "fixed counter 2: reference cycles (TSC rate)";
  EXPECT_EQ(msr(m, kPmc0 + 2), 1000u) << "999 taken and one fall-through jnz";
  EXPECT_EQ(msr(m, kPmc0 + 3), 0u) << "never enabled";
  const uint64_t insns = m.e->instructions();
  m.e->s.rip = kCode + 6 * 17;  // the loop again (after six 17-byte WRMSR sequences),
  m.e->set_halted(false);       // now with the counters disabled

  RUN_TO_HLT(m);
  ASSERT_GT(m.e->instructions(), insns + 2000);
  EXPECT_EQ(msr(m, kPmc0), 2005u) << "a disabled counter stands still";
}

TEST(Pmu, OsAndUsrSelectTheRing) {
  Machine m;
  run64(m, cat({wrmsr(kSel0, kEn | kUsr | kInsns), wrmsr(kFixedCtrl, 0x2),
                wrmsr(kGlobal, 0x1 | 1ull << 32), loop(100), wrmsr(kGlobal, 0)}));
  EXPECT_EQ(msr(m, kPmc0), 0u) << "USR only: nothing at CPL 0";
  EXPECT_EQ(msr(m, kFixed0), 0u);
}

TEST(Pmu, OverflowSetsStatusAndRaisesThePmi) {
  Machine m;
  PmiRecorder apic;
  m.e->attach_interrupt_controller(nullptr, &apic);
  // PMC0 = -100 (bits 31:0 sign-extended), counting instructions with INT;
  // PMC1 = -100 without INT.
  run64(m, cat({wrmsr(kGlobal, 0), wrmsr(kPmc0, 0xffffff9c), wrmsr(kPmc0 + 1, 0xffffff9c),
                wrmsr(kSel0, kEn | kOs | kInt | kInsns), wrmsr(kSel0 + 1, kEn | kOs | kInsns),
                wrmsr(kGlobal, 0x3), loop(1000), wrmsr(kGlobal, 0)}));
  EXPECT_EQ(msr(m, kStatus), 0x3u) << "both overflowed";
  EXPECT_EQ(apic.pmis, 1) << "only PMC0 asks for an interrupt";
  EXPECT_TRUE(apic.masked) << "Intel masks the LVT entry on a PMI";
  EXPECT_EQ(msr(m, kPmc0), 2005u - 100u);
  sys::write_msr(*m.e, kOvf, 0x1);
  EXPECT_EQ(msr(m, kStatus), 0x2u) << "OVF_CTRL clears the bits written";
  EXPECT_EQ(apic.pmis, 1);
}

TEST(Pmu, QuantumDeadlineEndsAtTheOverflow) {
  Machine m;
  m.enter_long64();
  sys::write_msr(*m.e, kPmc0, 0xfffffc18);  // -1000
  sys::write_msr(*m.e, kSel0, kEn | kOs | kInt | kCycles);
  sys::write_msr(*m.e, kGlobal, 0x1);
  EXPECT_EQ(sys::pmu_next_deadline(*m.e), m.e->cycles() + 1000);
  sys::write_msr(*m.e, kSel0, kEn | kOs | kCycles);
  EXPECT_EQ(sys::pmu_next_deadline(*m.e), ~0ull) << "no INT: no deadline";
}

// Each case runs one instruction that must fault with #GP (vector 13).
void expect_gp(std::initializer_list<const char*> cfg, const Bytes& insn) {
  Machine m;
  reconfigure(m, cfg);
  run64(m, cat({insn}));
  EXPECT_EQ(m.s().gpr[R14], 13u);
}

TEST(Pmu, MsrWriteRules) {
  Machine m;
  sys::write_msr(*m.e, kPmc0, 0x80000000);
  EXPECT_EQ(msr(m, kPmc0), 0xffff80000000ull) << "bit 31 sign-extends to the width";
  sys::write_msr(*m.e, kFixed0, 0x123456789ull);
  EXPECT_EQ(msr(m, kFixed0), 0x123456789ull) << "fixed counters take the full width";
  expect_gp({}, wrmsr(kSel0, 1ull << 21));   // AnyThread: version 3
  expect_gp({}, wrmsr(kSel0, 1ull << 32));   // reserved
  expect_gp({}, wrmsr(kGlobal, 1ull << 4));  // no PMC4
  expect_gp({}, wrmsr(kFixedCtrl, 0x4));     // AnyThread
  expect_gp({}, wrmsr(kStatus, 0));          // read-only
  expect_gp({}, wrmsr(kSel0 + 4, 0));        // no PERFEVTSEL4
  expect_gp({}, wrmsr(0xc0010000, 0));       // AMD MSRs on an Intel model
}

TEST(Pmu, RdpmcReadsTheCounters) {
  Machine m;
  m.enter_long64();
  sys::write_msr(*m.e, kPmc0 + 2, 0x1234);
  sys::write_msr(*m.e, kFixed0 + 1, 0xabcd00000000ull);
  run64(m, cat({imm32(0xb9, 2),
                {0x0f, 0x33},
                {0x49, 0x89, 0xc0},  // rdpmc; mov r8, rax
                imm32(0xb9, 0x40000001),
                {0x0f, 0x33}}));
  EXPECT_EQ(m.s().gpr[R8], 0x1234u);
  EXPECT_EQ(m.s().gpr[RDX], 0xabcdu);
  EXPECT_EQ(m.s().gpr[RAX], 0u);
  Machine f;
  f.enter_long64();
  sys::write_msr(*f.e, kPmc0, 0x87654321);  // sign-extends: 0xffff87654321
  run64(f, cat({imm32(0xb9, 0x80000000), {0x0f, 0x33}}));
  EXPECT_EQ(f.s().gpr[RAX], 0x87654321u) << "fast read (ECX[31]): bits 31:0";
  EXPECT_EQ(f.s().gpr[RDX], 0u);
  expect_gp({}, cat({imm32(0xb9, 4), {0x0f, 0x33}}));           // GP counter 4
  expect_gp({}, cat({imm32(0xb9, 0x40000003), {0x0f, 0x33}}));  // fixed counter 3
}

TEST(Pmu, AmdCoreCounters) {
  Machine m;
  reconfigure(m, {"cpu.vendor=AuthenticAMD"});
  EXPECT_TRUE(m.e->cpuid().query(0x80000001, 0).ecx & (1u << 23)) << "PerfCtrExtCore";
  EXPECT_EQ(m.e->cpuid().query(0xa, 0).eax, 0u) << "no Intel leaf";
  // PERF_CTL5 (extended range) counts instructions; PERF_CTL0 (legacy) branches.
  run64(m, cat({wrmsr(0xc001020a, kEn | kOs | 0xc0), wrmsr(0xc0010000, kEn | kOs | 0xc2), loop(500),
                wrmsr(0xc001020a, 0), wrmsr(0xc0010000, 0)}));
  ASSERT_EQ(m.s().gpr[R14], 0xffu);
  // The loop and its mov, the enabling WRMSR, the next WRMSR (4
  // instructions) and the disabling WRMSR's three movs.
  EXPECT_EQ(msr(m, 0xc001020b), 1001u + 1 + 4 + 3);
  EXPECT_EQ(msr(m, 0xc0010004), 500u);
  EXPECT_EQ(msr(m, 0xc0010201), 500u) << "PERF_CTR0 is the same counter in both ranges";
  sys::write_msr(*m.e, 0xc0010202, (1ull << 41) | (1ull << 63));
  EXPECT_EQ(msr(m, 0xc0010202), 1ull << 41) << "HostOnly kept, reserved bit 63 dropped";
  expect_gp({"cpu.vendor=AuthenticAMD"}, cat({imm32(0xb9, 6), {0x0f, 0x33}}));  // RDPMC 6
  expect_gp({"cpu.vendor=AuthenticAMD"}, wrmsr(kSel0, 0));  // Intel MSRs on an AMD model
}

// APM Vol. 2 13.2.1: with EFER.SVME set, GuestOnly (bit 40) counts only in
// a guest and HostOnly (bit 41) only outside one; without SVME both count.
TEST(Pmu, AmdHostOnlyAndGuestOnly) {
  constexpr uint64_t kGuestOnly = 1ull << 40, kHostOnly = 1ull << 41;
  Machine m;
  reconfigure(m, {"cpu.vendor=AuthenticAMD"});
  // mov ecx, IA32_EFER; rdmsr; or eax, EFER.SVME; wrmsr
  const Bytes set_svme = {0xb9, 0x80, 0, 0, 0xc0, 0x0f, 0x32, 0x0d, 0, 0x10, 0, 0, 0x0f, 0x30};
  run64(m, cat({set_svme, wrmsr(0xc0010200, kEn | kOs | kGuestOnly | 0xc2),
                wrmsr(0xc0010202, kEn | kOs | kHostOnly | 0xc2), loop(300), wrmsr(0xc0010200, 0),
                wrmsr(0xc0010202, 0)}));
  ASSERT_TRUE(m.s().efer & EFER_SVME);
  EXPECT_EQ(msr(m, 0xc0010201), 0u) << "GuestOnly: nothing counted in the host";
  EXPECT_EQ(msr(m, 0xc0010203), 300u) << "HostOnly: the host's branches";
  Machine n;
  reconfigure(n, {"cpu.vendor=AuthenticAMD"});
  run64(n,
        cat({wrmsr(0xc0010200, kEn | kOs | kGuestOnly | 0xc2), loop(300), wrmsr(0xc0010200, 0)}));
  EXPECT_EQ(msr(n, 0xc0010201), 300u) << "EFER.SVME clear: the bits are ignored";
}

TEST(Pmu, ModelWithoutPmuKeepsTheOldBehaviour) {
  Machine m;
  reconfigure(m, {"cpu.pmu=false"});
  EXPECT_EQ(m.e->cpuid().query(0xa, 0).edx, 0u);
  EXPECT_EQ(m.e->cpuid().query(0xa, 0).eax, 0u);
  run64(m, cat({imm32(0xb9, 0), {0x0f, 0x33}}));
  EXPECT_EQ(m.s().gpr[R14], 0xffu) << "RDPMC 0 reads zero";
  EXPECT_EQ(m.s().gpr[RAX], 0u);
  expect_gp({"cpu.pmu=false"}, wrmsr(kSel0, 0));
}

}  // namespace
}  // namespace hvsim::core::testing
