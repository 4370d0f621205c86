// PAE paging's PDPTE registers (SDM Vol. 3 4.4.1): loaded by MOV to CR0/CR3
// and used by the walk instead of memory on an Intel model (so a PDPTE
// changed in memory takes effect only at the next load, and a bad one is a
// #GP of the MOV); an AMD model reads the entries at each walk.
#include "tests/unit/core/machine.h"

namespace hvsim::core::testing {
namespace {

#define RUN_TO_HLT(m)                                                          \
  ASSERT_EQ((m).run(), RunExit::kHaltedForever) << (m).e->last_error() << "\n" \
                                                << (m).e->dump_registers()

constexpr uint64_t kPdpt = 0x20000, kPd0 = 0x21000, kPdOld = 0x22000, kPdNew = 0x23000;

// Assembled (GNU as, .code32, Intel syntax):
//   mov eax, cr4; or eax, 0x20; mov cr4, eax        ; CR4.PAE, paging still off
//   mov eax, 0x20000; mov cr3, eax                  ; no PAE paging yet: no load
//   mov eax, cr0; or eax, 0x80000000; mov cr0, eax  ; PAE paging: the PDPTEs load
//   mov ebx, [0x40000000]                           ; PDPTE1 -> kPdOld
//   mov dword ptr [0x20008], 0x23001                ; PDPTE1 in memory -> kPdNew
//   invlpg [0x40000000]                             ; no TLB entry left for it
//   mov ecx, [0x40000000]                           ; Intel: still kPdOld
//   mov eax, cr3; mov cr3, eax                      ; reload
//   mov edx, [0x40000000]                           ; kPdNew
//   hlt
const std::vector<uint8_t> k_reload = {
    0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0xb8, 0x00, 0x00, 0x02, 0x00,
    0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f, 0x22, 0xc0,
    0x8b, 0x1d, 0x00, 0x00, 0x00, 0x40, 0xc7, 0x05, 0x08, 0x00, 0x02, 0x00, 0x01, 0x30,
    0x02, 0x00, 0x0f, 0x01, 0x3d, 0x00, 0x00, 0x00, 0x40, 0x8b, 0x0d, 0x00, 0x00, 0x00,
    0x40, 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8, 0x8b, 0x15, 0x00, 0x00, 0x00, 0x40, 0xf4};
// The same start, then:
//   mov dword ptr [0x20010], 0x24021                ; PDPTE2: present, bit 5 reserved
//   mov eax, cr3; mov cr3, eax                      ; Intel: #GP(0)
//   mov edi, 1; hlt
const std::vector<uint8_t> k_bad_pdpte = {
    0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0xb8, 0x00, 0x00, 0x02,
    0x00, 0x0f, 0x22, 0xd8, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f,
    0x22, 0xc0, 0xc7, 0x05, 0x10, 0x00, 0x02, 0x00, 0x21, 0x40, 0x02, 0x00, 0x0f,
    0x20, 0xd8, 0x0f, 0x22, 0xd8, 0xbf, 0x01, 0x00, 0x00, 0x00, 0xf4};

// PDPTE0 identity-maps 0-8 MiB with 2 MiB pages; PDPTE1 (linear 1 GiB) maps
// 0x40000000 to 4 MiB through kPdOld, or to 6 MiB through kPdNew.
void setup(Machine& m, const std::vector<uint8_t>& code, const char* vendor) {
  m.cfg->set_override(std::string("cpu.vendor=") + vendor);
  m.e = std::make_unique<Engine>(m.bus, *m.cfg);
  m.poke<uint64_t>(kPdpt, kPd0 | 1);
  m.poke<uint64_t>(kPdpt + 8, kPdOld | 1);
  for (uint64_t i = 0; i < 4; ++i) m.poke<uint64_t>(kPd0 + 8 * i, (i << 21) | 0x83);
  m.poke<uint64_t>(kPdOld, 0x400000 | 0x83);
  m.poke<uint64_t>(kPdNew, 0x600000 | 0x83);
  m.poke<uint32_t>(0x400000, 0x1111);
  m.poke<uint32_t>(0x600000, 0x2222);
  m.enter_prot32();
  m.s().gpr[RSI] = 0xff;  // the 32-bit fault stubs write the vector here
  m.load(kCode, code);
}

TEST(PaePdpte, IntelWalksUseTheRegistersUntilTheNextLoad) {
  Machine m;
  setup(m, k_reload, "GenuineIntel");
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], 0x1111u);
  EXPECT_EQ(m.s().gpr[RCX], 0x1111u);  // memory changed, the register did not
  EXPECT_EQ(m.s().gpr[RDX], 0x2222u);  // MOV CR3 loaded the new PDPTE1
  EXPECT_EQ(m.s().pdpte[1], kPdNew | 1);
  EXPECT_EQ(m.s().gpr[RSI], 0xffu);
}

TEST(PaePdpte, AmdWalksReadTheEntriesInMemory) {
  Machine m;
  setup(m, k_reload, "AuthenticAMD");
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RBX], 0x1111u);
  EXPECT_EQ(m.s().gpr[RCX], 0x2222u);
  EXPECT_EQ(m.s().gpr[RDX], 0x2222u);
  EXPECT_EQ(m.s().pdpte_valid, 0u);
}

TEST(PaePdpte, IntelMovCr3WithAReservedBitIsGpAndLoadsNothing) {
  Machine m;
  setup(m, k_bad_pdpte, "GenuineIntel");
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSI], 13u);  // #GP
  EXPECT_EQ(m.s().gpr[RDI], 0u);
  EXPECT_EQ(m.s().pdpte[2], 0u);  // the registers kept the values of the last load
  EXPECT_EQ(m.s().pdpte[1], kPdOld | 1);
}

TEST(PaePdpte, AmdMovCr3WithAReservedBitLoadsNothingAndGoesOn) {
  Machine m;
  setup(m, k_bad_pdpte, "AuthenticAMD");
  RUN_TO_HLT(m);
  EXPECT_EQ(m.s().gpr[RSI], 0xffu);
  EXPECT_EQ(m.s().gpr[RDI], 1u);
}

}  // namespace
}  // namespace hvsim::core::testing
