// The interrupt and timer devices wired into System (sim/platform/system.cc),
// seen from a guest: each test boots a small hand-assembled kernel
// (guests/*.S, bytes in guests.h) with the real `hvsim run` in a process of
// its own (SystemC elaborates once per process), then checks the guest's
// results (hex dwords it prints on COM1), hvsim's exit status and the
// statistics in OUT/stats.txt.
//
// Timing is checked to the cycle where the model is exact: a halted core
// wakes exactly at the timer's deadline, and a busy core's quantum ends at
// the deadline (the quantum is set to 10^6 cycles, far longer than any
// interval here, so an interrupt taken only at a quantum end would be late
// by up to a million cycles).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "guests.h"
#include "subprocess.h"
#include "tests/unit/platform/elf_builder.h"

namespace hvsim::platform::test {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kQuantum = 1'000'000;
constexpr uint64_t kCpuHz = 3'000'000'000;  // platform.cpu_mhz = 3000
constexpr uint64_t kPitHz = 1'193'182;
// Cycles from a timer's deadline to the handler's first RDTSC: the
// instructions between (a block at most) and the interrupt delivery.
constexpr uint64_t kSlack = 200;

struct GuestRun {
  hvsim_test::ProcResult proc;
  std::vector<uint32_t> words;           // the dwords the guest printed
  std::map<std::string, double> stats;   // OUT/stats.txt
  std::string describe() const {
    return "exit " + std::to_string(proc.exit_code) + "\nstdout:\n" + proc.out + "\nstderr:\n" +
           proc.err;
  }
  uint64_t q(unsigned byte_offset) const {  // a 64-bit result at RES + offset
    const unsigned i = byte_offset / 4;
    if (i + 1 >= words.size()) return ~0ull;
    return uint64_t(words[i]) | uint64_t(words[i + 1]) << 32;
  }
  uint32_t d(unsigned byte_offset) const {
    const unsigned i = byte_offset / 4;
    return i < words.size() ? words[i] : ~0u;
  }
  double stat(const std::string& name) const {
    const auto it = stats.find(name);
    return it == stats.end() ? -1 : it->second;
  }
};

// Runs the guest with a 10^8-cycle limit (a hang fails fast) unless `extra`
// sets its own.
GuestRun run_guest(const std::string& name, const std::vector<uint8_t>& code,
                   const std::vector<std::string>& extra = {}) {
  const fs::path dir = fs::path(testing::TempDir()) / ("hvsim_intc_" + name + "_" +
                                                      std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ElfSpec spec;
  spec.entry = kGuestBase;
  // The image, then zeroed memory for the IDT (0x110000), results (0x111000)
  // and the stack (below 0x118000).
  spec.segments.push_back({kGuestBase, kGuestBase, code, 0x20000});
  const fs::path kernel = dir / (name + ".elf");
  {
    const std::vector<uint8_t> elf = build_elf(spec);
    std::ofstream(kernel, std::ios::binary)
        .write(reinterpret_cast<const char*>(elf.data()), std::streamsize(elf.size()));
  }
  std::vector<std::string> argv = {HVSIM_BIN,
                                   "run",
                                   kernel.string(),
                                   "--out",
                                   (dir / "out").string(),
                                   "--set",
                                   "platform.cpu_mhz=3000",
                                   "--set",
                                   "platform.quantum_cycles=" + std::to_string(kQuantum)};
  if (std::find(extra.begin(), extra.end(), "--max-cycles") == extra.end())
    argv.insert(argv.end(), {"--max-cycles", "100000000"});
  // No cache model: every instruction of the guest costs a fixed number of
  // cycles, whatever it touched before, so intervals can be checked exactly.
  for (const char* off : {"cache.l1d.size_bytes=0", "cache.l2.size_bytes=0",
                          "cache.llc.size_bytes=0", "cache.memory_cycles=0"})
    argv.insert(argv.end(), {"--set", off});
  argv.insert(argv.end(), extra.begin(), extra.end());
  GuestRun r;
  r.proc = hvsim_test::run_process(argv, std::chrono::seconds(120));
  std::istringstream out(r.proc.out);
  static const std::regex kWord("^[0-9A-F]{8}$");
  for (std::string line; std::getline(out, line);)
    if (std::regex_match(line, kWord)) r.words.push_back(uint32_t(std::stoul(line, nullptr, 16)));
  std::ifstream stats(dir / "out" / "stats.txt");
  for (std::string line; std::getline(stats, line);) {
    std::istringstream ls(line);
    std::string key, value;
    if (ls >> key >> value) r.stats[key] = std::strtod(value.c_str(), nullptr);
  }
  fs::remove_all(dir);
  return r;
}

// Result layout shared by the guests (guests/common.inc): RES+0x40 counts the
// interrupts taken, RES+0x100+8n is the TSC at the start of the nth handler.
constexpr unsigned kCount = 0x40;
uint64_t irq_tsc(const GuestRun& r, unsigned n) { return r.q(0x100 + 8 * n); }

TEST(SystemIntc, LocalApicTimerWakesHltAndInterruptsOnTime) {
  const GuestRun r = run_guest("lapic_timer", k_guest_lapic_timer);
  ASSERT_FALSE(r.proc.timed_out) << r.describe();
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  ASSERT_EQ(r.words.size(), 0x60u) << r.describe();
  EXPECT_EQ(r.d(kCount), 6u) << "A, B, three periods, TSC-deadline";

  // The APIC timer counts at platform.apic_timer_hz = 1 GHz: 3 cycles a tick at 3 GHz.
  // A: one-shot of 12345 ticks, the core halted: it wakes at the deadline.
  const uint64_t a = irq_tsc(r, 0) - r.q(0x00);
  EXPECT_GE(a, 12345u * 3) << "never early";
  EXPECT_LE(a, 12345u * 3 + kSlack) << "HLT must wake at the deadline";
  // B: one-shot of 23456 ticks, the core spinning: the quantum ends at the deadline.
  const uint64_t b = irq_tsc(r, 1) - r.q(0x08);
  EXPECT_GE(b, 23456u * 3);
  EXPECT_LE(b, 23456u * 3 + kSlack) << "the quantum must end at the timer deadline";
  // C: periodic, 1000 ticks: every period exactly 3000 cycles apart (halted
  // each time, so the wake-up is exact and the delivery costs the same).
  const uint64_t c0 = irq_tsc(r, 2) - r.q(0x10);
  EXPECT_GE(c0, 3000u);
  EXPECT_LE(c0, 3000u + kSlack);
  EXPECT_EQ(irq_tsc(r, 3) - irq_tsc(r, 2), 3000u);
  EXPECT_EQ(irq_tsc(r, 4) - irq_tsc(r, 3), 3000u);
  // D: TSC-deadline 5000 cycles after the RDTSC (IA32_TSC_DEADLINE through
  // the core's WRMSR and the ApicRegisters adapter).
  const uint64_t dl = irq_tsc(r, 5) - r.q(0x18);
  EXPECT_GE(dl, 5000u);
  EXPECT_LE(dl, 5000u + kSlack);
  // E: INIT de-assert and SIPI to self were recorded and nothing else happened
  // (an INIT assert to self would reset the core to wait-for-SIPI: FatalEnd).
  EXPECT_EQ(r.d(0x44), 0x600du) << "the guest ran on after INIT de-assert/SIPI to itself";
  EXPECT_EQ(r.d(0x48), 0u) << "the stopped timer reads a current count of 0";
  EXPECT_EQ(r.stat("platform.lapic.inits"), 0);
  EXPECT_EQ(r.stat("platform.lapic.init_deasserts"), 1);
  EXPECT_EQ(r.stat("platform.lapic.sipis"), 1);
  EXPECT_EQ(r.stat("platform.lapic.timer_fires"), 6);
  EXPECT_EQ(r.stat("platform.lapic.irqs_delivered"), 6);
  EXPECT_EQ(r.stat("platform.lapic.eois"), 6);
  EXPECT_EQ(r.stat("platform.lapic.spurious"), 0);
  EXPECT_GE(r.stat("platform.timers.fired"), 6);
  EXPECT_EQ(r.stat("platform.cpu.halts"), 5) << "A, three periods, D";
}

// The 8254's period in cycles: 1193 input clocks.
constexpr double kPitPeriod = 1193.0 * double(kCpuHz) / double(kPitHz);

void expect_pit_periods(const GuestRun& r, unsigned n) {
  // The first edge: one period after the count was written (the RDTSC at
  // RES+0 is three port writes, about 130 cycles, earlier), delivery after.
  const uint64_t first = irq_tsc(r, 0) - r.q(0x00);
  EXPECT_GE(double(first), kPitPeriod);
  EXPECT_LE(double(first), kPitPeriod + 2 * kSlack);
  // Then one interrupt per period: the edges fall on whole cycles (rounded
  // up), so consecutive ones are floor or ceil of the period apart.
  for (unsigned i = 1; i < n; ++i) {
    const double delta = double(irq_tsc(r, i) - irq_tsc(r, i - 1));
    EXPECT_NEAR(delta, kPitPeriod, 1.0) << "interrupt " << i;
  }
}

TEST(SystemIntc, PitMode2Through8259WakesHltEveryPeriod) {
  const GuestRun r = run_guest("pit_pic", k_guest_pit_pic);
  ASSERT_FALSE(r.proc.timed_out) << r.describe();
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  ASSERT_EQ(r.words.size(), 0x60u) << r.describe();
  EXPECT_EQ(r.d(kCount), 5u);
  expect_pit_periods(r, 5);
  EXPECT_GE(r.stat("platform.pit.irq_pulses"), 5);
  EXPECT_GE(r.stat("platform.pic.master.requests"), 5);
  EXPECT_EQ(r.stat("platform.pic.master.acks"), 5);
  EXPECT_EQ(r.stat("platform.pic.master.spurious"), 0);
  EXPECT_EQ(r.stat("platform.lapic.extint_delivered"), 5) << "LINT0 in ExtINT (virtual wire)";
  EXPECT_EQ(r.stat("platform.lapic.irqs_delivered"), 0);
}

TEST(SystemIntc, PitThroughIoApicPin2) {
  const GuestRun r = run_guest("pit_ioapic", k_guest_pit_ioapic);
  ASSERT_FALSE(r.proc.timed_out) << r.describe();
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  ASSERT_EQ(r.words.size(), 0x60u) << r.describe();
  EXPECT_EQ(r.d(kCount), 3u);
  expect_pit_periods(r, 3);
  EXPECT_GE(r.stat("platform.ioapic.delivered"), 3);
  EXPECT_EQ(r.stat("platform.lapic.irqs_delivered"), 3);
  EXPECT_EQ(r.stat("platform.lapic.extint_delivered"), 0) << "the 8259 is masked";
}

// LINT0 masked at reset (platform.lint0_extint=false): the 8259's interrupts
// never reach the core, the guest halts with nothing to wake it... except the
// PIT keeps firing, so the run ends on the cycle limit instead.
TEST(SystemIntc, Lint0MaskedKeeps8259Out) {
  const GuestRun r = run_guest("pit_pic_masked", k_guest_pit_pic,
                               {"--set", "platform.lint0_extint=false", "--max-cycles", "20000000"});
  ASSERT_FALSE(r.proc.timed_out) << r.describe();
  EXPECT_EQ(r.proc.exit_code, 83) << r.describe();  // base::kExitCycleLimit
  EXPECT_NE(r.proc.err.find("cycle limit"), std::string::npos) << r.describe();
  EXPECT_EQ(r.stat("platform.lapic.extint_delivered"), 0);
  EXPECT_GE(r.stat("platform.pit.irq_pulses"), 5);
  EXPECT_EQ(r.stat("platform.pic.master.acks"), 0);
}

TEST(SystemIntc, HaltWithNothingToWakeItEndsTheRun) {
  const GuestRun r = run_guest("halt_idle", k_guest_halt_idle);
  ASSERT_FALSE(r.proc.timed_out) << r.describe();
  EXPECT_EQ(r.proc.exit_code, 81) << r.describe();  // base::kExitHalted
  EXPECT_NE(r.proc.err.find("halted (HLT) with nothing to wake it"), std::string::npos)
      << r.describe();
}

}  // namespace
}  // namespace hvsim::platform::test

namespace hvsim::platform::test {
namespace {

// A counter overflow raises the LVT performance-counter interrupt while the
// guest spins without touching the PMU: the quantum ends by the overflow
// (sys/pmu.cc pmu_next_deadline), so the PMI comes within a few events of
// it, not a 10^6-cycle quantum later.
TEST(SystemIntc, PerformanceCounterOverflowRaisesThePmi) {
  const GuestRun r = run_guest("pmu_pmi", k_guest_pmu_pmi);
  ASSERT_FALSE(r.proc.timed_out) << r.describe();
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  ASSERT_EQ(r.words.size(), 0x60u) << r.describe();
  EXPECT_EQ(r.d(kCount), 2u);
  // A: PMC0 (cycles) had wrapped to a small count when the handler read it.
  EXPECT_LT(r.d(0x100), kSlack) << "cycles past the overflow";
  EXPECT_EQ(r.d(0x108), 0x1u) << "GLOBAL_STATUS: PMC0 overflowed";
  EXPECT_EQ(r.d(0x48), 0x10041u) << "the PMI masked the LVT PC entry";
  // B: PMC1 (instructions) likewise.
  EXPECT_LT(r.d(0x114), 100u) << "instructions past the overflow";
  EXPECT_EQ(r.d(0x118), 0x2u) << "GLOBAL_STATUS: PMC1 overflowed";
  EXPECT_EQ(r.d(0x4c), 0u) << "the handlers cleared the status";
  EXPECT_EQ(r.stat("platform.lapic.pmis"), 2);
  EXPECT_EQ(r.stat("platform.lapic.irqs_delivered"), 2);
}

}  // namespace
}  // namespace hvsim::platform::test

namespace hvsim::platform::test {
namespace {

// QEMU's pc-testdev (kvm-unit-tests' IRQ lines, scratch register, memory).
TEST(SystemIntc, PcTestdevIrqLinesScratchAndMemory) {
  const GuestRun r = run_guest("pc_testdev", k_guest_pc_testdev);
  ASSERT_FALSE(r.proc.timed_out) << r.describe();
  ASSERT_EQ(r.proc.exit_code, 0) << r.describe();
  ASSERT_EQ(r.words.size(), 0x20u) << r.describe();
  EXPECT_EQ(r.d(0x50), 2u) << "two rising edges on IRQ 14, two interrupts";
  EXPECT_EQ(r.d(0x44), 0x44332211u) << "bytes written at 0xe8-0xeb, read at 0xe0";
  EXPECT_EQ(r.d(0x48), 0xcafef00du) << "memory at 0xff000000";
  EXPECT_EQ(r.d(0x4c), 0x8badf00du);
  EXPECT_EQ(r.stat("platform.lapic.irqs_delivered"), 2);
}

}  // namespace
}  // namespace hvsim::platform::test
