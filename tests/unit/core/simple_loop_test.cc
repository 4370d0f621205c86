// The simple model's chain loop (sim/core/engine_simple.cc) keeps the clock
// and the counts in registers and brings the model up to them when it
// leaves. A program run in one go (blocks chained) and the same program run
// one instruction per Engine::run call (every loop entry and exit taken)
// must end with the same cycles, counts, model counts and registers,
// including the clock read by RDTSC in the middle of a chain, through
// memory accesses that miss, taken branches, a port write, a fault
// delivered and returned from, and a serializing instruction.
#include <utility>

#include "sim/core/interrupt_source.h"
#include "sim/timing/simple_core.h"
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

constexpr uint64_t kHandler = kCode + 0x40;

void setup(Machine& m) {
  m.enter_long64();
  m.load(kCode, {
                    0x0f, 0x31,                                // rdtsc
                    0x41, 0x89, 0xc0,                          // mov r8d, eax
                    0xb9, 0x32, 0x00, 0x00, 0x00,              // mov ecx, 50
                    0x48, 0xc7, 0xc6, 0x00, 0x00, 0x20, 0x00,  // mov rsi, 0x200000
                    0x48, 0x8b, 0x06,                          // 1: mov rax, [rsi]
                    0x48, 0x01, 0xc8,                          // add rax, rcx
                    0x48, 0x89, 0x46, 0x40,                    // mov [rsi + 64], rax
                    0x48, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,  // add rsi, 4096
                    0xff, 0xc9,                                // dec ecx
                    0x75, 0xeb,                                // jnz 1b
                    0xe6, 0x80,                                // out 0x80, al
                    0x0f, 0x31,                                // rdtsc
                    0x44, 0x29, 0xc0,                          // sub eax, r8d
                    0x41, 0x89, 0xc1,                          // mov r9d, eax
                    0x41, 0xb8, 0x00, 0x00, 0x00, 0x00,        // mov r8d, 0
                    0x0f, 0x0b,                                // ud2 (#UD: the handler skips it)
                    0x0f, 0x31,                                // rdtsc
                    0x41, 0x89, 0xc2,                          // mov r10d, eax
                    0x0f, 0xa2,                                // cpuid
                    0xf4,                                      // hlt
                });
  m.load(kHandler, {0x48, 0x83, 0x04, 0x24, 0x02,  // add qword [rsp], 2
                    0x48, 0xcf});                  // iretq
  m.set_gate64(6, kHandler);
}

struct End {
  uint64_t cycles, insns, model_cycles, model_insns, rip, r9, r10;
};

End end_of(Machine& m) {
  const auto& model = std::get<timing::SimpleCore>(m.e->core_model());
  return {m.e->cycles(), m.e->instructions(), model.cycles(), model.instructions(), m.s().rip,
          m.s().gpr[R9], m.s().gpr[R10]};
}

TEST(SimpleLoop, ChainedRunEqualsOneInstructionAtATime) {
  Machine whole;
  setup(whole);
  ASSERT_EQ(whole.run(), RunExit::kHaltedForever) << whole.e->dump_registers();
  Machine stepped;
  setup(stepped);
  RunExit x = RunExit::kInsnLimit;
  for (int n = 0; n < 10000 && x == RunExit::kInsnLimit; ++n) x = stepped.run(1);
  ASSERT_EQ(x, RunExit::kHaltedForever) << stepped.e->dump_registers();
  const End a = end_of(whole), b = end_of(stepped);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(a.insns, b.insns);
  EXPECT_EQ(a.model_cycles, b.model_cycles);
  EXPECT_EQ(a.model_insns, b.model_insns);
  EXPECT_EQ(a.rip, b.rip);
  EXPECT_EQ(a.r9, b.r9);    // the clock between two RDTSCs, inside one chain
  EXPECT_EQ(a.r10, b.r10);  // the clock after the fault's delivery and IRETQ
  // The model's clock is the engine's; it retired every instruction and
  // the faulting UD2 (which the engine does not count as retired).
  EXPECT_EQ(a.model_cycles, a.cycles);
  EXPECT_EQ(a.model_insns, a.insns + 1);
  EXPECT_GT(a.insns, 300u);
  EXPECT_GT(a.r9, a.insns / 2);
}

// An interrupt controller whose one maskable vector a port write raises.
class PortIntc : public InterruptSource {
 public:
  int pending_vector() const override { return vector; }
  int acknowledge() override { return std::exchange(vector, -1); }
  bool nmi_pending() const override { return false; }
  void take_nmi() override {}
  int vector = -1;
};

// The chain loops ask for a due interrupt only when a chain starts: the
// device's notify_interrupt posts kEvBreak, which must end the chain after
// the port write (an OUT ends its block without breaking it). The loop runs
// three times so that the OUT's block is linked to the next one when the
// third OUT raises the interrupt; without the break the chain would go on
// into that block (one more INC before the interrupt).
TEST(SimpleLoop, InterruptRaisedInAChainIsTakenAfterTheRaisingInstruction) {
  Machine m;
  PortIntc intc;
  m.e->attach_interrupt_controller(&intc, nullptr);
  int outs = 0;
  m.bus.on_out = [&](uint16_t port, uint32_t) {
    if (port != 0x80 || ++outs != 3) return;
    intc.vector = 0x40;
    m.e->notify_interrupt();
  };
  m.enter_long64();
  m.load(kCode, {
                    0xfb,                          // sti
                    0xbf, 0x03, 0x00, 0x00, 0x00,  // mov edi, 3
                    0xe6, 0x80,                    // 1: out 0x80, al (the third raises 0x40)
                    0x48, 0xff, 0xc3,              // inc rbx (the next block)
                    0xff, 0xcf,                    // dec edi
                    0x75, 0xf7,                    // jnz 1b
                    0xf4,                          // hlt
                });
  m.load(kHandler, {0x4c, 0x8b, 0x24, 0x24,  // mov r12, [rsp] (the interrupted RIP)
                    0x49, 0x89, 0xdd,        // mov r13, rbx
                    0x48, 0xcf});            // iretq
  m.set_gate64(0x40, kHandler);
  ASSERT_EQ(m.run(), RunExit::kHalted) << m.e->dump_registers();  // IF = 1: waits
  EXPECT_EQ(m.s().gpr[R12], kCode + 8);  // right after the third OUT
  EXPECT_EQ(m.s().gpr[R13], 2u);         // before that iteration's INC
  EXPECT_EQ(m.s().gpr[RBX], 3u);
  EXPECT_EQ(m.e->stat_interrupts, 1u);
}

}  // namespace
}  // namespace hvsim::core::testing
