// Random bytes executed as code never crash hvsim (ARCHITECTURE.md "Core"):
// whatever the bytes do — fault, write over the IDT and page tables, triple
// fault, halt — run() returns with one of its architected exits and no C++
// exception escapes. Run under ASan/UBSan this also checks memory safety.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

uint64_t seed_from_env() {
  const char* s = std::getenv("HVSIM_FUZZ_SEED");
  return s ? std::strtoull(s, nullptr, 0) : 0x5eed;
}

enum class Start { kReal, kProt32, kLong64 };

void run_random(Start start, uint64_t seed) {
  Machine m;
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> code(2 * 4096);
  for (auto& b : code) b = static_cast<uint8_t>(rng());
  switch (start) {
    case Start::kReal:
      m.load(0x1000, code);
      m.enter_real(0x1000);
      break;
    case Start::kProt32:
      m.load(kCode, code);
      m.enter_prot32();
      break;
    case Start::kLong64:
      m.load(kCode, code);
      m.enter_long64();
      break;
  }
  for (unsigned r = 0; r < 16; ++r)
    if (r != RSP) m.s().gpr[r] = rng() & 0xffffff;  // mostly pointers into RAM
  RunExit e = RunExit::kBudget;
  // Up to 20,000 instructions, resuming after HLT as a wake-up would.
  for (int round = 0; round < 4; ++round) {
    ASSERT_NO_THROW(e = m.run(5000)) << "seed " << seed;
    if (e == RunExit::kTripleFault || e == RunExit::kHaltedForever) break;
  }
  const bool known = e == RunExit::kBudget || e == RunExit::kStopRequested ||
                     e == RunExit::kHalted || e == RunExit::kHaltedForever ||
                     e == RunExit::kTripleFault || e == RunExit::kInsnLimit;
  EXPECT_TRUE(known) << "seed " << seed;
  if (e == RunExit::kTripleFault) {
    EXPECT_FALSE(m.e->last_error().empty()) << "seed " << seed;
  }
}

class RandomCode : public ::testing::TestWithParam<Start> {};

TEST_P(RandomCode, NeverCrashes) {
  const uint64_t base = seed_from_env();
  for (uint64_t i = 0; i < 200; ++i) {
    SCOPED_TRACE(::testing::Message() << "HVSIM_FUZZ_SEED=" << base << " case " << i);
    run_random(GetParam(), base * 1000003 + i);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, RandomCode,
                         ::testing::Values(Start::kReal, Start::kProt32, Start::kLong64),
                         [](const auto& info) {
                           switch (info.param) {
                             case Start::kReal: return std::string("Real");
                             case Start::kProt32: return std::string("Prot32");
                             default: return std::string("Long64");
                           }
                         });

}  // namespace
}  // namespace hvsim::core::testing
