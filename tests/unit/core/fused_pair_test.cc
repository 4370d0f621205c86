// Compare-and-branch pairs (sim/core/isa/fused.cc) run as one handler by the
// simple loop (engine_simple.cc). Which pairs fuse, and that a fused run
// ends exactly where the same program run one instruction per Engine::run
// call (no block runs to its end, so nothing fuses) ends: cycles, counts,
// the model's counts, registers and RFLAGS; a cycle budget that runs out
// between the two; the branch's #GP after its compare retired.
#include <memory>
#include <utility>
#include <vector>

#include "sim/base/params.h"
#include "sim/core/decoder.h"
#include "sim/core/isa/isa.h"
#include "sim/timing/latencies.h"
#include "sim/timing/simple_core.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

// The handler fused.cc has for the first two instructions of `bytes`.
FusedFn fused_of(const std::vector<uint8_t>& bytes, DecodeMode mode = kDecLong64) {
  base::ParamRegistry reg;
  timing::Latencies::declare_params(reg);
  base::Config cfg(reg);
  const timing::Latencies lat = timing::Latencies::from_config(cfg);
  Decoder dec(lat);  // keeps a reference to lat
  std::vector<uint8_t> b = bytes;
  b.resize(b.size() + 15, 0x90);
  DecodedInsn pair[2];
  EXPECT_EQ(dec.decode(b.data(), b.size(), mode, pair[0]), DecodeStatus::kOk);
  EXPECT_EQ(dec.decode(b.data() + pair[0].len, b.size() - pair[0].len, mode, pair[1]),
            DecodeStatus::kOk);
  return isa::fused_pair(pair[0], pair[1]);
}

TEST(FusedPair, HeadsThatWriteNoMemoryWithA64BitJccFuse) {
  EXPECT_NE(fused_of({0x48, 0x83, 0xf8, 0x05, 0x75, 0x10}), nullptr);  // cmp rax, 5; jne
  EXPECT_NE(fused_of({0x85, 0xc9, 0x74, 0x10}), nullptr);              // test ecx, ecx; je
  EXPECT_NE(fused_of({0x83, 0xe9, 0x01, 0x0f, 0x85, 0, 1, 0, 0}), nullptr);  // sub ecx, 1; jnz rel32
  EXPECT_NE(fused_of({0x48, 0x01, 0xd0, 0x7c, 0x10}), nullptr);        // add rax, rdx; jl
  EXPECT_NE(fused_of({0x84, 0xe4, 0x7e, 0x10}), nullptr);              // test ah, ah; jle
  EXPECT_NE(fused_of({0x3c, 0x2a, 0x77, 0x10}), nullptr);              // cmp al, 42; ja
  EXPECT_NE(fused_of({0x25, 0xff, 0, 0, 0, 0x78, 0x10}), nullptr);     // and eax, 255; js
  EXPECT_NE(fused_of({0xff, 0xc9, 0x75, 0x10}), nullptr);              // dec ecx; jne
  EXPECT_NE(fused_of({0x48, 0xff, 0xc0, 0x7e, 0x10}), nullptr);        // inc rax; jle
  EXPECT_NE(fused_of({0x80, 0x38, 0x00, 0x75, 0x10}), nullptr);        // cmp byte [rax], 0; jne
  EXPECT_NE(fused_of({0x48, 0x3b, 0x06, 0x75, 0x10}), nullptr);        // cmp rax, [rsi]; jne
  EXPECT_NE(fused_of({0xf6, 0x06, 0x01, 0x74, 0x10}), nullptr);        // test byte [rsi], 1; je
  // Not fused: a head that writes memory, a 16-bit head, a head that is
  // not an ALU operation, no Jcc after it, and a Jcc outside 64-bit mode.
  EXPECT_EQ(fused_of({0x80, 0x28, 0x01, 0x75, 0x10}), nullptr);        // sub byte [rax], 1; jne
  EXPECT_EQ(fused_of({0xfe, 0x08, 0x75, 0x10}), nullptr);              // dec byte [rax]; jne
  EXPECT_EQ(fused_of({0x66, 0x39, 0xc8, 0x75, 0x10}), nullptr);        // cmp ax, cx; jne
  EXPECT_EQ(fused_of({0x48, 0x89, 0xc8, 0x75, 0x10}), nullptr);        // mov rax, rcx; jne
  EXPECT_EQ(fused_of({0x48, 0x39, 0xc8, 0xeb, 0x10}), nullptr);        // cmp rax, rcx; jmp
  EXPECT_EQ(fused_of({0x39, 0xc8, 0x75, 0x10}, kDecProt32), nullptr);  // cmp eax, ecx; jne
}

// Loops that end in each kind of fused pair, taken and not taken, signed
// and unsigned conditions, register and memory heads; memory accesses and
// taken branches throughout; a pair alone in a block on a new 2 MiB page
// (its ITLB walk is a rare charge of the head: it retires alone), then a
// DEC loop there.
constexpr uint64_t kFarPage = 0x400000;
void setup_loops(Machine& m) {
  m.enter_long64();
  m.load(kCode, {
                    0xb9, 0x10, 0x00, 0x00, 0x00,              // 0: mov ecx, 16
                    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00,  // 5: mov rsi, 0x200000
                    0x48, 0x8b, 0x06,                          // 12: 1: mov rax, [rsi]
                    0x48, 0x81, 0xc6, 0x40, 0x00, 0x00, 0x00,  // 15: add rsi, 64
                    0x83, 0xe9, 0x01,                          // 22: sub ecx, 1
                    0x75, 0xf1,                                // 25: jnz 1b
                    0x31, 0xd2,                                // 27: xor edx, edx
                    0x48, 0xff, 0xc2,                          // 29: 2: inc rdx
                    0x48, 0x83, 0xfa, 0x30,                    // 32: cmp rdx, 48
                    0x7c, 0xf7,                                // 36: jl 2b
                    0xb0, 0xf0,                                // 38: mov al, 0xf0
                    0x04, 0x01,                                // 40: 3: add al, 1
                    0x84, 0xc0,                                // 42: test al, al
                    0x75, 0xfa,                                // 44: jnz 3b
                    0x48, 0x01, 0xd3,                          // 46: add rbx, rdx
                    0x48, 0x85, 0xdb,                          // 49: test rbx, rbx
                    0x74, 0x00,                                // 52: jz +0 (not taken)
                    0x25, 0xff, 0x00, 0x00, 0x00,              // 54: and eax, 255
                    0x0f, 0x88, 0x00, 0x00, 0x00, 0x00,        // 59: js rel32 +0 (not taken)
                    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00,  // 65: mov rsi, 0x200000
                    0xc6, 0x86, 0x40, 0x00, 0x00, 0x00, 0x01,  // 72: mov byte [rsi + 0x40], 1
                    0x31, 0xff,                                // 79: xor edi, edi
                    0x48, 0xff, 0xc7,                          // 81: 4: inc rdi
                    0x80, 0x7c, 0x3e, 0xff, 0x00,              // 84: cmp byte [rsi + rdi - 1], 0
                    0x74, 0xf6,                                // 89: je 4b
                    0x48, 0x3b, 0x06,                          // 91: cmp rax, [rsi]
                    0x75, 0x00,                                // 94: jne +0
                    0xf7, 0x06, 0x01, 0x00, 0x00, 0x00,        // 96: test dword [rsi], 1
                    0x75, 0x00,                                // 102: jnz +0
                    0x48, 0x39, 0x06,                          // 104: cmp [rsi], rax
                    0x74, 0x00,                                // 107: je +0
                    0xe9, 0x8e, 0xff, 0x2f, 0x00,              // 109: jmp kFarPage
                    0x49, 0x89, 0xd0,                          // 114: back: mov r8, rdx
                    0x0f, 0xa2,                                // 117: cpuid
                    0xf4,                                      // 119: hlt
                });
  m.load(kFarPage, {
                       0x83, 0xf9, 0x00,                    // 0: cmp ecx, 0
                       0x0f, 0x84, 0x00, 0x00, 0x00, 0x00,  // 3: je +0
                       0xb9, 0x05, 0x00, 0x00, 0x00,        // 9: mov ecx, 5
                       0xff, 0xc9,                          // 14: 5: dec ecx
                       0x75, 0xfc,                          // 16: jnz 5b
                       0xe9, 0x5b, 0x00, 0xd0, 0xff,        // 18: jmp back
                   });
}

struct End {
  uint64_t cycles, insns, model_cycles, model_insns, rip, rflags;
  uint64_t gpr[16];
};

End end_of(Machine& m) {
  const auto& model = std::get<timing::SimpleCore>(m.e->core_model());
  End x{m.e->cycles(), m.e->instructions(), model.cycles(), model.instructions(),
        m.s().rip, m.s().rflags, {}};
  for (unsigned r = 0; r < 16; ++r) x.gpr[r] = m.s().gpr[r];
  return x;
}

void expect_same(const End& a, const End& b) {
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.insns, b.insns);
  EXPECT_EQ(a.model_cycles, b.model_cycles);
  EXPECT_EQ(a.model_insns, b.model_insns);
  EXPECT_EQ(a.rip, b.rip);
  EXPECT_EQ(a.rflags, b.rflags);
  for (unsigned r = 0; r < 16; ++r) EXPECT_EQ(a.gpr[r], b.gpr[r]) << "GPR " << r;
}

// One instruction per Engine::run call until `done` or HLT.
template <typename Done>
RunExit step(Machine& m, Done done) {
  RunExit x = RunExit::kInsnLimit;
  for (int n = 0; n < 100000 && x == RunExit::kInsnLimit && !done(); ++n) x = m.run(1);
  return x;
}

// Sets up two machines with `setup`, runs one in one go and the other one
// instruction at a time, both to a final HLT, and compares their ends.
template <typename Setup>
void run_both(Machine& whole, Machine& stepped, Setup setup) {
  setup(whole);
  setup(stepped);
  ASSERT_EQ(whole.run(), RunExit::kHaltedForever) << whole.e->dump_registers();
  ASSERT_EQ(step(stepped, [] { return false; }), RunExit::kHaltedForever)
      << stepped.e->dump_registers();
  expect_same(end_of(whole), end_of(stepped));
}

TEST(FusedPair, FusedRunEqualsOneInstructionAtATime) {
  Machine whole, stepped;
  run_both(whole, stepped, setup_loops);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(whole.s().gpr[R8], 48u);
  EXPECT_EQ(whole.s().gpr[RDI], 0x41u);
  EXPECT_GT(whole.e->instructions(), 400u);
}

// The simple loop's chain step takes a block that is its own successor
// without a lookup (engine_simple.cc); every block entered still counts its
// ITLB hit, as the generic loop's chain step (timing.model = ooo) counts
// it, and the loops end where they do there.
TEST(FusedPair, SelfLoopsCountTheirItlbHitsAsTheGenericLoop) {
  auto itlb_hits = [](Machine& m) {
    return m.e->mmu().tlbs().hits[static_cast<unsigned>(mmu::Access::kExec)][0];
  };
  Machine simple, ooo;
  ooo.cfg->set_override("timing.model=ooo");
  ooo.e = std::make_unique<Engine>(ooo.bus, *ooo.cfg);
  setup_loops(simple);
  setup_loops(ooo);
  ASSERT_EQ(simple.run(), RunExit::kHaltedForever) << simple.e->dump_registers();
  ASSERT_EQ(ooo.run(), RunExit::kHaltedForever) << ooo.e->dump_registers();
  EXPECT_EQ(simple.e->instructions(), ooo.e->instructions());
  EXPECT_EQ(simple.s().rip, ooo.s().rip);
  for (unsigned r = 0; r < 16; ++r) EXPECT_EQ(simple.s().gpr[r], ooo.s().gpr[r]) << "GPR " << r;
  EXPECT_EQ(itlb_hits(simple), itlb_hits(ooo));
  EXPECT_GT(itlb_hits(simple), 16u + 48u + 16u) << "an ITLB hit per iteration of the loops";
}

// A cycle budget that runs out after a pair's compare stops the chain
// there, as when the two run one by one. Against the instruction-by-
// instruction trajectory, the budgets that end each instruction: the
// clock before it plus one, and the clock after it (the last instruction,
// HLT, halts instead).
TEST(FusedPair, CycleBudgetBetweenTheTwoStopsAfterTheCompare) {
  Machine ref;
  setup_loops(ref);
  std::vector<End> trajectory{end_of(ref)};  // before the first, after each
  RunExit x = RunExit::kInsnLimit;
  for (int n = 0; n < 100000 && x == RunExit::kInsnLimit; ++n) {
    x = ref.run(1);
    trajectory.push_back(end_of(ref));
  }
  ASSERT_EQ(x, RunExit::kHaltedForever);
  for (size_t k = 1; k + 1 < trajectory.size(); ++k) {
    for (const uint64_t limit : {trajectory[k - 1].cycles + 1, trajectory[k].cycles}) {
      Machine whole;
      setup_loops(whole);
      whole.e->set_insn_limit(0);
      SCOPED_TRACE("budget " + std::to_string(limit));
      ASSERT_EQ(whole.e->run(limit), RunExit::kBudget);
      expect_same(end_of(whole), trajectory[k]);
      if (HasFailure()) return;
    }
  }
}

// A taken branch to a non-canonical address faults (#GP) with RIP at the
// Jcc, after its compare (and the compare's access) retired: code at the
// top of the lower canonical half, a 2 MiB page at 0x7fffffe00000.
TEST(FusedPair, NonCanonicalTargetFaultsAfterTheCompareRetired) {
  constexpr uint64_t kTop = 0x7fffffe00000, kPage = 0x600000;
  auto setup = [&](Machine& m) {
    m.enter_long64(kTop + 0x1ffff0);
    m.poke<uint64_t>(kPml4 + 8 * 255, 0x13000 | 7);
    m.poke<uint64_t>(0x13000 + 8 * 511, 0x14000 | 7);
    m.poke<uint64_t>(0x14000 + 8 * 511, kPage | 0x87);
    m.set_gate64(13, Machine::stub(13));
    m.load(kPage + 0x1ffff0, {
                                 0x31, 0xc0,                    // xor eax, eax
                                 0x83, 0x3c, 0x24, 0x00,        // cmp dword [rsp], 0
                                 0x0f, 0x84, 0x00, 0x01, 0, 0,  // je +0x100: past 2^47
                             });
  };
  Machine whole, stepped;
  run_both(whole, stepped, setup);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(whole.s().gpr[R14], 13u) << "#GP";
  EXPECT_EQ(whole.stack64(1), kTop + 0x1ffff6) << "RIP of the Jcc";
}

// A reading head's #PF is the head's own: RIP at the compare, the pair's
// Jcc not run, as without fusion.
TEST(FusedPair, HeadPageFaultIsTheHeads) {
  auto setup = [](Machine& m) {
    m.enter_long64();
    m.set_gate64(14, Machine::stub(14));
    m.load(kCode, {
                      0x48, 0xc7, 0xc6, 0x00, 0x00, 0x00, 0x7f,  // mov rsi, 0x7f000000 (unmapped)
                      0x80, 0x3e, 0x00,                          // cmp byte [rsi], 0
                      0x74, 0x00,                                // je +0
                  });
  };
  Machine whole, stepped;
  run_both(whole, stepped, setup);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(whole.s().gpr[R14], 14u) << "#PF";
  EXPECT_EQ(whole.stack64(1), kCode + 7) << "RIP of the compare";
  EXPECT_EQ(whole.s().cr2, 0x7f000000u);
}

}  // namespace
}  // namespace hvsim::core::testing
