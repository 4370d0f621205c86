// Translations come from the TLB (SDM Vol. 3 4.10.4.4): a PTE written
// without INVLPG leaves the old translation in use; INVLPG makes the new one
// visible. And the reset / STARTUP IPI start states (SDM Vol. 3 9.1.1, 11.6.1).
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

constexpr uint64_t kPt = 0x20000;       // page table for linear 2-4 MiB (4 KiB pages)
constexpr uint64_t kLinear = 0x200000;  // the remapped page
constexpr uint64_t kOldPage = 0x300000, kNewPage = 0x301000;

void map_4k_region(Machine& m) {
  m.write_page_tables();  // 0-8 MiB by 2 MiB pages
  m.poke<uint64_t>(kPml4 + 0x2000 + 8, kPt | 7);  // PD[1] -> a page table instead
  for (uint64_t i = 0; i < 512; ++i) m.poke<uint64_t>(kPt + 8 * i, (0x200000 + (i << 12)) | 3);
  m.poke<uint64_t>(kPt, kOldPage | 3);  // linear 0x200000 -> 0x300000
}

std::vector<uint8_t> le64(uint64_t v) {
  std::vector<uint8_t> b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return b;
}

TEST(TlbSemantics, StaleTranslationUntilInvlpg) {
  Machine m;
  m.enter_long64();
  map_4k_region(m);
  m.poke<uint64_t>(kOldPage, 0xaaaa);
  m.poke<uint64_t>(kNewPage, 0xbbbb);
  std::vector<uint8_t> code = {0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00};  // mov rax,[0x200000]
  code.insert(code.end(), {0x48, 0xba});                                          // mov rdx, imm64
  auto imm = le64(kNewPage | 3);
  code.insert(code.end(), imm.begin(), imm.end());
  code.insert(code.end(), {0x48, 0x89, 0x14, 0x25});  // mov [kPt], rdx: the PTE now says 0x301000
  for (int i = 0; i < 4; ++i) code.push_back(static_cast<uint8_t>(kPt >> (8 * i)));
  code.insert(code.end(), {0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x20, 0x00});  // mov rbx,[0x200000]
  code.insert(code.end(), {0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x20, 0x00});  // invlpg [0x200000]
  code.insert(code.end(), {0x48, 0x8b, 0x0c, 0x25, 0x00, 0x00, 0x20, 0x00});  // mov rcx,[0x200000]
  code.push_back(0xf4);                                                        // hlt
  m.load(kCode, code);
  EXPECT_EQ(m.run(), RunExit::kHaltedForever);
  EXPECT_EQ(m.s().gpr[RAX], 0xaaaau);
  EXPECT_EQ(m.s().gpr[RBX], 0xaaaau) << "a PTE write must not reach a cached translation";
  EXPECT_EQ(m.s().gpr[RCX], 0xbbbbu) << "INVLPG must drop the stale translation";
  // The new walk set the accessed bit of the rewritten PTE (SDM Vol. 3 4.8).
  EXPECT_EQ(m.peek<uint64_t>(kPt), kNewPage | 3 | 0x20);
}

TEST(TlbSemantics, MovCr3FlushesNonGlobal) {
  Machine m;
  m.enter_long64();
  map_4k_region(m);
  m.poke<uint64_t>(kOldPage, 0x1111);
  m.poke<uint64_t>(kNewPage, 0x2222);
  std::vector<uint8_t> code = {0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00};  // mov rax,[0x200000]
  code.insert(code.end(), {0x48, 0xba});
  auto imm = le64(kNewPage | 3);
  code.insert(code.end(), imm.begin(), imm.end());
  code.insert(code.end(), {0x48, 0x89, 0x14, 0x25});
  for (int i = 0; i < 4; ++i) code.push_back(static_cast<uint8_t>(kPt >> (8 * i)));
  code.insert(code.end(), {0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8});  // mov rax,cr3; mov cr3,rax
  code.insert(code.end(), {0x48, 0x8b, 0x1c, 0x25, 0x00, 0x00, 0x20, 0x00});  // mov rbx,[0x200000]
  code.push_back(0xf4);
  m.load(kCode, code);
  EXPECT_EQ(m.run(), RunExit::kHaltedForever);
  EXPECT_EQ(m.s().gpr[RBX], 0x2222u);
}

TEST(ResetState, PowerOnMatchesTable9_1) {
  Machine m;
  m.e->reset_state();
  const ArchState& s = m.s();
  EXPECT_EQ(s.rip, 0xfff0u);
  EXPECT_EQ(s.seg[CS].selector, 0xf000);
  EXPECT_EQ(s.seg[CS].base, 0xffff0000u);
  EXPECT_EQ(s.cr0, 0x60000010u);
  EXPECT_EQ(s.rflags, 2u);
  EXPECT_EQ(s.gpr[RDX] & 0xf00, 0x600u);  // family 6
  EXPECT_EQ(s.mode, Mode::kReal);
}

TEST(ResetState, StartupIpiRunsRealModeAtVector) {
  Machine m;
  // At 0x9a000: mov word [0x500], 0x1234 ; mov ax, cs ; hlt
  m.load(0x9a000, {0xc7, 0x06, 0x00, 0x05, 0x34, 0x12, 0x8c, 0xc8, 0xf4});
  m.e->start_at_sipi(0x9a);
  EXPECT_EQ(m.s().seg[CS].base, 0x9a000u);
  EXPECT_EQ(m.s().rip, 0u);
  EXPECT_EQ(m.run(), RunExit::kHaltedForever);
  EXPECT_EQ(m.peek<uint16_t>(0x500), 0x1234);
  EXPECT_EQ(m.s().gpr[RAX] & 0xffff, 0x9a00u);
}

}  // namespace
}  // namespace hvsim::core::testing
