// Hardware task switching (SDM Vol. 3 7.3): far JMP/CALL to a TSS or a task
// gate, IRET with NT = 1, task gates in the IDT, and the faults of each.
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

constexpr uint16_t kSelTss2 = 0x50, kSelTaskGate = 0x58, kSelShortTss = 0x60;
constexpr uint64_t kTss2 = 0x5000, kShortTss = 0x6000;
constexpr uint64_t kPd = 0x20000, kPd2 = 0x21000;
constexpr uint32_t kTask2Eip = 0x120000, kTask2Esp = 0x70000;
constexpr uint64_t kFlagStore = 0x7000;

uint8_t type_byte(const Machine& m, uint16_t sel) {
  return m.peek<uint8_t>(kGdt + (sel & ~7u) + 5);
}

// A machine in 32-bit protected mode whose current task is kSelTss (busy) and
// with a second, available 32-bit TSS at kSelTss2 running at kTask2Eip.
void setup(Machine& m, uint32_t new_cr3 = 0) {
  m.enter_prot32();
  m.s().gdtr.limit = 0x67;
  m.poke<uint64_t>(kGdt + kSelTss, seg_desc(static_cast<uint32_t>(kTss), 0x67, 0x8b));
  m.poke<uint64_t>(kGdt + kSelTss + 8, 0);
  m.poke<uint64_t>(kGdt + kSelTss2, seg_desc(static_cast<uint32_t>(kTss2), 0x67, 0x89));
  m.poke<uint64_t>(kGdt + kSelTaskGate,
                   static_cast<uint64_t>(kSelTss2) << 16 | static_cast<uint64_t>(0x85) << 40);
  m.poke<uint64_t>(kGdt + kSelShortTss, seg_desc(static_cast<uint32_t>(kShortTss), 0x40, 0x89));
  m.poke<uint32_t>(kTss2 + 0x1c, new_cr3);
  m.poke<uint32_t>(kTss2 + 0x20, kTask2Eip);
  m.poke<uint32_t>(kTss2 + 0x24, 0x2);
  for (unsigned i = 0; i < 8; ++i) m.poke<uint32_t>(kTss2 + 0x28 + 4 * i, 0xa0 + i);
  m.poke<uint32_t>(kTss2 + 0x38, kTask2Esp);
  for (unsigned i = 0; i < 6; ++i) m.poke<uint16_t>(kTss2 + 0x48 + 4 * i, kSelData0);
  m.poke<uint16_t>(kTss2 + 0x4c, kSelCode32);
  m.poke<uint16_t>(kTss2 + 0x60, 0);
  m.poke<uint16_t>(kTss2 + 0x66, 0x68);
}

// 32-bit paging with 4 MiB pages: kPd maps 0-16 MiB 1:1; kPd2 maps
// 4-8 MiB linear to 8-12 MiB physical.
void enable_paging(Machine& m) {
  for (uint32_t i = 0; i < 4; ++i) {
    m.poke<uint32_t>(kPd + 4 * i, (i << 22) | 0x87);
    m.poke<uint32_t>(kPd2 + 4 * i, (i << 22) | 0x87);
  }
  m.poke<uint32_t>(kPd2 + 4, 0x800000 | 0x87);
  m.s().cr4 = CR4_PSE;
  m.s().cr3 = kPd;
  m.s().cr0 |= CR0_PG;
  m.e->update_mode();
  m.e->flush_tlb();
}

TEST(TaskSwitch, JmpToTssSavesLoadsAndSwitchesCr3) {
  Machine m;
  setup(m, static_cast<uint32_t>(kPd2));
  enable_paging(m);
  m.poke<uint32_t>(0x400000, 0x12345678);
  m.poke<uint32_t>(0x800000, 0xdeadbeef);
  // mov eax, 0x11111111; mov ebx, 0x22222222; jmp far 0x50:0
  m.load(kCode, {0xb8, 0x11, 0x11, 0x11, 0x11, 0xbb, 0x22, 0x22, 0x22, 0x22, 0xea, 0, 0, 0, 0, 0x50,
                 0x00});
  // mov ecx, [0x400000]; hlt
  m.load(kTask2Eip, {0x8b, 0x0d, 0x00, 0x00, 0x40, 0x00, 0xf4});
  m.s().rflags = 0x2 | NT;  // JMP keeps NT in the saved image
  RUN_TO_HLT(m);
  ArchState& s = m.s();
  EXPECT_EQ(s.tr.selector, kSelTss2);
  EXPECT_EQ(s.tr.base, kTss2);
  EXPECT_EQ(s.cr3, kPd2);
  EXPECT_TRUE(s.cr0 & CR0_TS);
  EXPECT_EQ(static_cast<uint32_t>(s.gpr[RCX]), 0xdeadbeefu);  // through the new CR3
  EXPECT_EQ(s.gpr[RAX], 0xa0u);
  EXPECT_EQ(s.gpr[RDX], 0xa2u);
  EXPECT_EQ(s.gpr[RSP], kTask2Esp);
  EXPECT_EQ(s.gpr[RDI], 0xa7u);
  EXPECT_EQ(s.seg[CS].selector, kSelCode32);
  EXPECT_EQ(s.seg[SS].selector, kSelData0);
  EXPECT_EQ(s.rflags & NT, 0u);  // JMP does not nest
  // Old task saved.
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x20), kCode + 17);
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x24) & NT, NT);
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x28), 0x11111111u);
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x34), 0x22222222u);
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x38), kStack0);
  EXPECT_EQ(m.peek<uint16_t>(kTss + 0x4c), kSelCode32);
  EXPECT_EQ(m.peek<uint16_t>(kTss + 0x50), kSelData0);
  // Busy bits: old cleared, new set; no back link.
  EXPECT_EQ(type_byte(m, kSelTss), 0x89);
  EXPECT_EQ(type_byte(m, kSelTss2), 0x8b);
  EXPECT_EQ(m.peek<uint16_t>(kTss2), 0u);
}

TEST(TaskSwitch, CallThroughTaskGateThenIretReturns) {
  Machine m;
  setup(m);
  // call far 0x58:0 (task gate); mov edx, 0x77; hlt
  m.load(kCode, {0x9a, 0, 0, 0, 0, 0x58, 0x00, 0xba, 0x77, 0, 0, 0, 0xf4});
  // pushfd; pop eax; mov [0x7000], eax; mov esi, 0x55; iretd
  m.load(kTask2Eip, {0x9c, 0x58, 0xa3, 0x00, 0x70, 0x00, 0x00, 0xbe, 0x55, 0, 0, 0, 0xcf});
  m.s().gpr[RSI] = 0x99;
  RUN_TO_HLT(m);
  ArchState& s = m.s();
  EXPECT_EQ(s.tr.selector, kSelTss);
  EXPECT_EQ(s.rip, kCode + 13);
  EXPECT_EQ(s.gpr[RDX], 0x77u);
  EXPECT_EQ(s.gpr[RSI], 0x99u);  // restored from the old TSS
  EXPECT_EQ(s.gpr[RSP], kStack0);
  EXPECT_EQ(s.rflags & NT, 0u);
  EXPECT_TRUE(s.cr0 & CR0_TS);
  EXPECT_EQ(m.peek<uint32_t>(kFlagStore) & NT, NT);    // the called task ran nested
  EXPECT_EQ(m.peek<uint16_t>(kTss2), kSelTss);         // back link
  EXPECT_EQ(m.peek<uint32_t>(kTss2 + 0x40), 0x55u);    // callee's ESI saved by IRET
  EXPECT_EQ(m.peek<uint32_t>(kTss2 + 0x24) & NT, 0u);  // IRET clears NT in the saved image
  EXPECT_EQ(m.peek<uint32_t>(kTss2 + 0x20), kTask2Eip + 13);
  EXPECT_EQ(type_byte(m, kSelTss), 0x8b);
  EXPECT_EQ(type_byte(m, kSelTss2), 0x89);
  EXPECT_EQ(m.e->stat_exceptions, 0u);
}

void set_task_gate(Machine& m, unsigned vector, uint16_t tss_sel, unsigned gdpl = 0) {
  m.poke<uint64_t>(kIdt + 8 * vector, static_cast<uint64_t>(tss_sel) << 16 |
                                          static_cast<uint64_t>(0x85 | gdpl << 5) << 40);
}

TEST(TaskSwitch, IntNThroughIdtTaskGate) {
  Machine m;
  setup(m);
  set_task_gate(m, 0x40, kSelTss2);
  m.load(kCode, {0xcd, 0x40, 0xf4});  // int 0x40
  m.load(kTask2Eip, {0xf4});
  RUN_TO_HLT(m);
  ArchState& s = m.s();
  EXPECT_EQ(s.tr.selector, kSelTss2);
  EXPECT_EQ(s.rip, kTask2Eip + 1);
  EXPECT_EQ(s.gpr[RSP], kTask2Esp);  // no error code
  EXPECT_EQ(s.rflags & NT, NT);
  EXPECT_EQ(m.peek<uint16_t>(kTss2), kSelTss);
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x20), kCode + 2);
  EXPECT_EQ(type_byte(m, kSelTss), 0x8b);  // the interrupted task stays busy
  EXPECT_EQ(type_byte(m, kSelTss2), 0x8b);
}

TEST(TaskSwitch, DoubleFaultThroughIdtTaskGatePushesErrorCode) {
  Machine m;
  setup(m);
  set_task_gate(m, kDF, kSelTss2);
  m.poke<uint8_t>(kIdt + 8 * kGP + 5, 0x0e);  // #GP gate not present: #NP -> #DF
  // mov ax, 0x1234; mov ds, ax (#GP: beyond the GDT)
  m.load(kCode, {0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8, 0xf4});
  m.load(kTask2Eip, {0xf4});
  RUN_TO_HLT(m);
  ArchState& s = m.s();
  EXPECT_EQ(s.tr.selector, kSelTss2);
  EXPECT_EQ(s.gpr[RSP], kTask2Esp - 4);
  EXPECT_EQ(m.peek<uint32_t>(kTask2Esp - 4), 0u);  // #DF's error code
  EXPECT_EQ(s.rflags & NT, NT);
  EXPECT_EQ(m.peek<uint16_t>(kTss2), kSelTss);
  EXPECT_EQ(m.peek<uint32_t>(kTss + 0x20), kCode + 4);  // the faulting MOV DS
}

TEST(TaskSwitch, ShortTssLimitIsTs) {
  Machine m;
  setup(m);
  m.load(kCode, {0xea, 0, 0, 0, 0, 0x60, 0x00});  // jmp far 0x60:0
  RUN_TO_HLT(m);
  ArchState& s = m.s();
  EXPECT_EQ(s.gpr[RSI], kTS);
  EXPECT_EQ(m.peek<uint32_t>(s.gpr[RSP]), kSelShortTss);
  EXPECT_EQ(s.tr.selector, kSelTss);
  EXPECT_EQ(type_byte(m, kSelTss), 0x8b);
  EXPECT_EQ(type_byte(m, kSelShortTss), 0x89);
}

TEST(TaskSwitch, JmpToBusyTssIsGp) {
  Machine m;
  setup(m);
  m.load(kCode, {0xea, 0, 0, 0, 0, 0x48, 0x00});  // jmp far to the current (busy) TSS
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSI], kGP);
  EXPECT_EQ(m.peek<uint32_t>(m.s().gpr[RSP]), kSelTss);
}

TEST(TaskSwitch, BadSegmentInNewTaskFaultsInNewContext) {
  Machine m;
  setup(m);
  m.poke<uint16_t>(kTss2 + 0x54, 0x1230);  // DS beyond the GDT limit: #TS(DS)
  m.load(kCode, {0xea, 0, 0, 0, 0, 0x50, 0x00});
  RUN_TO_HLT(m);
  ArchState& s = m.s();
  EXPECT_EQ(s.gpr[RSI], kTS);
  EXPECT_EQ(s.tr.selector, kSelTss2);  // committed: the fault is the new task's
  EXPECT_EQ(s.gpr[RSP], kTask2Esp - 16);
  EXPECT_EQ(m.peek<uint32_t>(s.gpr[RSP]), 0x1230u);
  EXPECT_EQ(m.peek<uint32_t>(s.gpr[RSP] + 4), kTask2Eip);  // the new task's EIP
  EXPECT_EQ(type_byte(m, kSelTss), 0x89);
}

TEST(TaskSwitch, Ia32eModeHasNoTaskSwitch) {
  Machine m;
  m.enter_long64();
  m.s().gdtr.limit = 0x5f;
  m.poke<uint64_t>(kGdt + kSelTss2, seg_desc(static_cast<uint32_t>(kTss2), 0x67, 0x89));
  m.poke<uint64_t>(kGdt + kSelTss2 + 8, 0);
  // jmp far [rip+0] ; m16:32 = 0x50:0
  m.load(kCode, {0xff, 0x2d, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x00});
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], kGP);
  EXPECT_EQ(m.stack64(0), kSelTss2);
  EXPECT_EQ(m.s().tr.selector, kSelTss);
}

TEST(TaskSwitch, Ia32eIretWithNtIsGp) {
  Machine m;
  m.enter_long64();
  // pushfq; or qword [rsp], 0x4000; popfq; iretq
  m.load(kCode, {0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x40, 0x00, 0x00, 0x9d, 0x48, 0xcf});
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[R14], kGP);
  EXPECT_EQ(m.stack64(0), 0u);
  EXPECT_EQ(m.stack64(1), kCode + 10);  // the IRETQ
}

}  // namespace
}  // namespace hvsim::core::testing
