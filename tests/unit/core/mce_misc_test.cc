// Machine-check MSRs (SDM Vol. 3 16.3), IA32_DEBUGCTL (18.4.1), STAC/CLAC
// and INVPCID gating (SDM Vol. 2), unmodelled MSRs, and the CPUID bits that
// follow the model (x2APIC) or the state (APIC with IA32_APIC_BASE.EN).
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "sim/base/log.h"
#include "sim/core/sys/msr.h"
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
Bytes rdmsr(uint32_t msr) {
  Bytes b = imm32(0xb9, msr);
  append(b, {0x0f, 0x32});
  return b;
}
const Bytes kStac = {0x0f, 0x01, 0xcb}, kClac = {0x0f, 0x01, 0xca};
// invpcid rax, [rbx]  (66 0f 38 82 03)
const Bytes kInvpcid = {0x66, 0x0f, 0x38, 0x82, 0x03};

// Runs `insn; hlt` in 64-bit mode at CPL 0; returns the vector of the fault
// it raised, or 0xff.
uint64_t run_one(std::initializer_list<const char*> cfg, const Bytes& insn,
                 Machine* keep = nullptr) {
  Machine local;
  Machine& m = keep ? *keep : local;
  for (const char* o : cfg) m.cfg->set_override(o);
  m.e = std::make_unique<Engine>(m.bus, *m.cfg);
  m.enter_long64();
  m.s().gpr[R14] = 0xff;
  Bytes code = insn;
  code.push_back(0xf4);
  m.load(kCode, code);
  EXPECT_EQ(m.run(), RunExit::kHaltedForever) << m.e->last_error();
  return m.s().gpr[R14];
}

TEST(MachineCheck, CapabilityAndCpuid) {
  Machine m;
  EXPECT_EQ(sys::read_msr(*m.e, 0x179), 10u | 1u << 8) << "10 banks, MCG_CTL present";
  const uint32_t edx = m.e->cpuid().query(1, 0).edx;
  EXPECT_TRUE(edx & (1u << 7)) << "MCE";
  EXPECT_TRUE(edx & (1u << 14)) << "MCA";
  Machine two;
  two.cfg->set_override("cpu.mce_banks=2");
  two.e = std::make_unique<Engine>(two.bus, *two.cfg);
  EXPECT_EQ(sys::read_msr(*two.e, 0x179) & 0xff, 2u);
  EXPECT_EQ(run_one({"cpu.mce_banks=2"}, rdmsr(0x400 + 4 * 2)), 13u) << "no bank 2";
  EXPECT_EQ(run_one({"cpu.mce=false"}, rdmsr(0x179)), 13u);
  Machine off;
  off.cfg->set_override("cpu.mce=false");
  off.e = std::make_unique<Engine>(off.bus, *off.cfg);
  EXPECT_FALSE(off.e->cpuid().query(1, 0).edx & (1u << 14));
}

TEST(MachineCheck, RegisterWriteRules) {
  Machine m;
  sys::write_msr(*m.e, 0x17b, 0);
  EXPECT_EQ(sys::read_msr(*m.e, 0x17b), 0u);
  EXPECT_EQ(run_one({}, wrmsr(0x17b, 5)), 13u) << "MCG_CTL: all ones or all zeros";
  EXPECT_EQ(run_one({}, wrmsr(0x179, 0)), 13u) << "MCG_CAP is read-only";
  EXPECT_EQ(run_one({}, wrmsr(0x17a, 0x10)), 13u) << "MCG_STATUS reserved bits";
  sys::write_msr(*m.e, 0x400 + 4 * 3, ~0ull);          // MC3_CTL
  sys::write_msr(*m.e, 0x400 + 4 * 3 + 2, 0xdead000);  // MC3_ADDR
  EXPECT_EQ(sys::read_msr(*m.e, 0x400 + 4 * 3), ~0ull);
  sys::write_msr(*m.e, 0x400, ~0ull & ~(1ull << 10));
  EXPECT_EQ(run_one({}, wrmsr(0x400, 0xff)), 13u) << "MCi_CTL: all ones or all zeros";
  EXPECT_EQ(sys::read_msr(*m.e, 0x400 + 4 * 3 + 2), 0xdead000u);
  EXPECT_EQ(run_one({}, wrmsr(0x401, 1)), 13u) << "MCi_STATUS: only 0 may be written";
  EXPECT_EQ(run_one({}, wrmsr(0x401, 0)), 0xffu);
}

TEST(MachineCheck, Cr4MceIsSettable) {
  // mov rax, cr4; or eax, 0x40; mov cr4, rax; mov rbx, cr4
  Machine m;
  EXPECT_EQ(
      run_one({}, {0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x40, 0x0f, 0x22, 0xe0, 0x0f, 0x20, 0xe3}, &m),
      0xffu);
  EXPECT_TRUE(m.s().gpr[RBX] & CR4_MCE);
}

TEST(DebugCtl, LbrAndBtfAcceptedReservedBitsGp) {
  Machine m;
  EXPECT_EQ(run_one({}, wrmsr(0x1d9, 0x3), &m), 0xffu);
  EXPECT_EQ(sys::read_msr(*m.e, 0x1d9), 0x3u);
  EXPECT_EQ(run_one({}, wrmsr(0x1d9, 1u << 6)), 13u) << "TR (BTS) is not modelled";
  EXPECT_EQ(run_one({}, wrmsr(0x1d9, 1ull << 32)), 13u);
  EXPECT_EQ(run_one({"cpu.vendor=AuthenticAMD"}, wrmsr(0x1d9, 1u << 11)), 13u);
}

TEST(Smap, StacClacSetAndClearAc) {
  Machine m;
  EXPECT_EQ(run_one({}, kStac, &m), 0xffu);
  EXPECT_TRUE(m.s().rflags & AC);
  Machine m2;
  Bytes both = kStac;
  append(both, kClac);
  EXPECT_EQ(run_one({}, both, &m2), 0xffu);
  EXPECT_FALSE(m2.s().rflags & AC);
  EXPECT_EQ(run_one({"cpu.smap=false"}, kStac), 6u) << "#UD without CPUID.7:EBX.SMAP";
  EXPECT_EQ(run_one({"cpu.smap=false"}, kClac), 6u);
}

TEST(Invpcid, UdWithoutTheCpuidBit) {
  EXPECT_EQ(run_one({"cpu.invpcid=false"}, kInvpcid), 6u);
  // With the bit: type 4 is #GP (the descriptor at [rbx] = 0x10000 reads fine).
  Machine m;
  EXPECT_EQ(
      run_one({}, Bytes{0xb8, 4, 0, 0, 0, 0xbb, 0, 0, 1, 0, 0x66, 0x0f, 0x38, 0x82, 0x03}, &m),
      13u);
}

TEST(Msr, UnmodelledMsrIsGpAndNamedInTheLog) {
  spdlog::logger& log = base::log(base::Component::cpu);
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  log.sinks().push_back(sink);
  const auto level = log.level();
  log.set_level(spdlog::level::info);  // --log cpu=info
  EXPECT_EQ(run_one({}, rdmsr(0x12345)), 13u);
  EXPECT_EQ(run_one({}, wrmsr(0xc0012345, 0)), 13u);
  log.set_level(level);
  log.sinks().pop_back();
  EXPECT_NE(out.str().find("RDMSR of MSR 0x12345"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("WRMSR of MSR 0xc0012345"), std::string::npos) << out.str();
}

TEST(Cpuid, X2apicFollowsTheModelAndApicFollowsApicBaseEn) {
  Machine m;
  EXPECT_TRUE(m.e->cpuid().query(1, 0).ecx & (1u << 21));
  EXPECT_TRUE(m.e->cpuid().query(1, 0).ecx & (1u << 24)) << "TSC-deadline timer";
  Machine off;
  off.cfg->set_override("cpu.x2apic=false");
  off.e = std::make_unique<Engine>(off.bus, *off.cfg);
  EXPECT_FALSE(off.e->cpuid().query(1, 0).ecx & (1u << 21));
  // cpuid with EAX=1, with IA32_APIC_BASE.EN set and then clear (no APIC attached:
  // the MSR is the core's own).
  const Bytes cpuid1 = {0xb8, 1, 0, 0, 0, 0x0f, 0xa2};
  Machine on;
  EXPECT_EQ(run_one({}, cpuid1, &on), 0xffu);
  EXPECT_TRUE(on.s().gpr[RDX] & (1u << 9));
  Machine dis;
  Bytes code = wrmsr(0x1b, 0xfee00000);
  append(code, cpuid1);
  EXPECT_EQ(run_one({}, code, &dis), 0xffu);
  EXPECT_FALSE(dis.s().gpr[RDX] & (1u << 9)) << "APIC globally disabled";
}

// IA32_BIOS_SIGN_ID (8BH): the write of 0 before CPUID.01H is accepted and
// RDMSR gives the microcode revision (1, as KVM/QEMU) in EDX.
TEST(Msr, BiosSignIdWritableAndReportsRevisionOne) {
  EXPECT_EQ(run_one({}, wrmsr(0x8b, 0)), 0xffu);
  Machine m;
  EXPECT_EQ(run_one({}, rdmsr(0x8b), &m), 0xffu);
  EXPECT_EQ(m.s().gpr[RDX], 1u);
  EXPECT_EQ(m.s().gpr[RAX], 0u);
}

// IA32_PLATFORM_ID (17H) reads platform 0 and is read-only.
TEST(Msr, PlatformIdReadsZeroAndIsReadOnly) {
  EXPECT_EQ(run_one({}, rdmsr(0x17)), 0xffu);
  EXPECT_EQ(run_one({}, wrmsr(0x17, 0)), 13u);
}

}  // namespace
}  // namespace hvsim::core::testing
