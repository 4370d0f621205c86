// The hypervisor workloads' shared C code (workloads/lib/hv_decode.c and
// hv_shadow.c), compiled for the host: instruction lengths, operands and
// effective addresses as the SDM encodes them; the guest page walk with its
// permission rules and A/D updates; shadow-table slots and INVLPG.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "hv_decode.h"
#include "hv_shadow.h"
}

namespace {

// CR0.WP and EFER.NXE (SDM Vol. 3A 2.5, 2.2.1).
constexpr uint64_t CR0_WP = 1ull << 16;
constexpr uint64_t EFER_NXE = 1ull << 11;

uint64_t g_regs[16];

}  // namespace

// lib/hv_decode.h's hook: the guest's GPRs by encoding.
extern "C" uint64_t hv_get_gpr(unsigned n) { return g_regs[n & 15]; }

namespace {

hv_insn decode(std::vector<uint8_t> b, int mode64 = 1, int* rc = nullptr) {
  hv_insn in;
  int r = hv_decode(b.data(), static_cast<unsigned>(b.size()), mode64, &in);
  if (rc) *rc = r;
  else EXPECT_EQ(r, 0);
  return in;
}

TEST(HvDecode, MovStoreWithRexW) {
  hv_insn in = decode({0x48, 0x89, 0x07});  // mov [rdi], rax
  EXPECT_EQ(in.len, 3u);
  EXPECT_EQ(in.opcode, 0x89);
  EXPECT_EQ(in.opsize, 8u);
  EXPECT_EQ(in.mod, 0);
  EXPECT_EQ(in.reg, 0);
  EXPECT_EQ(in.rm, 7);
}

TEST(HvDecode, RexExtendsRegAndRm) {
  hv_insn in = decode({0x4D, 0x89, 0x0C, 0x24});  // mov [r12], r9
  EXPECT_EQ(in.len, 4u);
  EXPECT_EQ(in.reg, 9);
  EXPECT_TRUE(in.has_sib);
  EXPECT_EQ(in.base, 12);
  EXPECT_EQ(in.index, 4);  // none
}

TEST(HvDecode, RepStos) {
  hv_insn in = decode({0xF3, 0x48, 0xAB});
  EXPECT_EQ(in.len, 3u);
  EXPECT_TRUE(in.prefixes & HV_PFX_REP);
  EXPECT_EQ(in.opcode, 0xAB);
  EXPECT_EQ(in.opsize, 8u);
  EXPECT_FALSE(in.has_modrm);
}

TEST(HvDecode, Immediates) {
  hv_insn in = decode({0x81, 0x0F, 0x00, 0x00, 0x00, 0x80});  // or dword [rdi], 0x80000000
  EXPECT_EQ(in.len, 6u);
  EXPECT_EQ(in.reg, 1);
  EXPECT_EQ(in.imm, static_cast<int64_t>(INT32_MIN));
  in = decode({0x66, 0x81, 0x0F, 0x34, 0x12});  // or word [rdi], 0x1234
  EXPECT_EQ(in.len, 5u);
  EXPECT_EQ(in.opsize, 2u);
  EXPECT_EQ(in.imm, 0x1234);
  in = decode({0xC7, 0x44, 0x24, 0x08, 0x01, 0x00, 0x00, 0x00});  // mov dword [rsp+8], 1
  EXPECT_EQ(in.len, 8u);
  EXPECT_EQ(in.disp, 8);
  EXPECT_EQ(in.imm, 1);
  in = decode({0x83, 0x20, 0xFE});  // and dword [rax], -2
  EXPECT_EQ(in.len, 3u);
  EXPECT_EQ(in.imm, -2);
}

TEST(HvDecode, MovCrIsAlwaysARegister) {
  hv_insn in = decode({0x0F, 0x22, 0x18});  // mov cr3, rax, written with mod = 0
  EXPECT_EQ(in.len, 3u);
  EXPECT_TRUE(in.two_byte);
  EXPECT_EQ(in.mod, 3);
  EXPECT_EQ(in.reg, 3);
  EXPECT_EQ(in.rm, 0);
  in = decode({0x44, 0x0F, 0x20, 0xC1});  // mov rcx, cr8
  EXPECT_EQ(in.reg, 8);
  EXPECT_EQ(in.rm, 1);
  in = decode({0x0F, 0x06});  // clts
  EXPECT_EQ(in.len, 2u);
}

TEST(HvDecode, EffectiveAddresses) {
  std::memset(g_regs, 0, sizeof g_regs);
  g_regs[1] = 0x10;        // rcx
  g_regs[3] = 0x7000;      // rbx
  g_regs[4] = 0xFFF000;    // rsp
  hv_insn in = decode({0x0F, 0x01, 0x7C, 0x8B, 0x10});  // invlpg [rbx+rcx*4+0x10]
  EXPECT_EQ(in.len, 5u);
  EXPECT_EQ(hv_insn_ea(&in, 1, 0x1000 + in.len), 0x7000u + 0x40 + 0x10);
  in = decode({0x0F, 0x01, 0x3C, 0x24});  // invlpg [rsp]
  EXPECT_EQ(hv_insn_ea(&in, 1, 0), 0xFFF000u);
  in = decode({0x0F, 0x01, 0x3D, 0x00, 0x10, 0x00, 0x00});  // invlpg [rip+0x1000]
  EXPECT_EQ(in.len, 7u);
  EXPECT_EQ(hv_insn_ea(&in, 1, 0x400007), 0x401007u);
  EXPECT_EQ(hv_insn_ea(&in, 0, 0x400007), 0x1000u);  // 32-bit mode: disp32 alone
  g_regs[0] = 0x1234567890ull;
  in = decode({0x67, 0x0F, 0x01, 0x38});  // invlpg [eax]
  EXPECT_EQ(hv_insn_ea(&in, 1, 0), 0x34567890u);
  in = decode({0x0F, 0x01, 0x3C, 0x25, 0x00, 0x20, 0x00, 0x00});  // invlpg [0x2000] (SIB, no base)
  EXPECT_EQ(hv_insn_ea(&in, 1, 0), 0x2000u);
}

TEST(HvDecode, RejectsUnknownAndTruncated) {
  int rc = 0;
  decode({0x0F, 0x05}, 1, &rc);  // syscall
  EXPECT_EQ(rc, -1);
  decode({0xE8, 0, 0, 0, 0}, 1, &rc);  // call
  EXPECT_EQ(rc, -1);
  decode({0x48, 0x89}, 1, &rc);  // no ModRM
  EXPECT_EQ(rc, -1);
  decode({0xC7, 0x07, 0x01, 0x00}, 1, &rc);  // imm32 cut short
  EXPECT_EQ(rc, -1);
  decode({0x48, 0x89, 0x07}, 0, &rc);  // 32-bit mode: 48 is DEC, not REX
  EXPECT_EQ(rc, -1);
}

// A guest with 4 MiB of RAM: PML4 at 0x1000, PDPT 0x2000, PD 0x3000, PT
// 0x4000; va 0x5000 -> 0x100000 (4 KiB, writable, user), va 0x200000 ->
// 0x200000 (2 MiB, read-only, user, NX).
struct GuestFixture : ::testing::Test {
  std::vector<uint64_t> mem = std::vector<uint64_t>((4u << 20) / 8);
  hv_guest g{};
  hv_guest_paging p{};
  uint64_t& q(uint64_t gpa) { return mem[gpa / 8]; }
  void SetUp() override {
    g.ram = reinterpret_cast<uint8_t*>(mem.data());
    g.ram_size = 4u << 20;
    q(0x1000) = 0x2000 | PTE_P | PTE_W | PTE_U;
    q(0x2000) = 0x3000 | PTE_P | PTE_W | PTE_U;
    q(0x3000) = 0x4000 | PTE_P | PTE_W | PTE_U;
    q(0x3008) = 0x200000 | PTE_P | PTE_U | PTE_PS | PTE_NX;
    q(0x4000 + 5 * 8) = 0x100000 | PTE_P | PTE_W | PTE_U;
    p.cr0 = (1ull << 31) | CR0_WP | 1;
    p.cr3 = 0x1000;
    p.efer = EFER_NXE;
  }
};

TEST_F(GuestFixture, WalkTranslatesAndSetsAccessedDirty) {
  hv_walk w;
  ASSERT_EQ(hv_walk_guest(&g, &p, 0x5123, HV_PF_W | HV_PF_U, 1, &w), HV_WALK_OK);
  EXPECT_EQ(w.gpa, 0x100123u);
  EXPECT_EQ(w.page_shift, 12u);
  EXPECT_EQ(w.n, 4);
  EXPECT_EQ(w.table_gpa[3], 0x4000u);
  EXPECT_TRUE(q(0x1000) & PTE_A);
  EXPECT_TRUE(q(0x4028) & PTE_A);
  EXPECT_TRUE(q(0x4028) & PTE_D);
  EXPECT_FALSE(q(0x3000) & PTE_D);  // D only on the leaf
  ASSERT_EQ(hv_walk_guest(&g, &p, 0x212345, 0, 0, &w), HV_WALK_OK);
  EXPECT_EQ(w.gpa, 0x212345u);
  EXPECT_EQ(w.page_shift, 21u);
  EXPECT_FALSE(q(0x3008) & PTE_A);  // no set_ad
}

TEST_F(GuestFixture, WalkFaultsWithTheGuestsErrorCode) {
  hv_walk w;
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x6000, HV_PF_W | HV_PF_U, 1, &w), HV_WALK_FAULT);  // not present
  EXPECT_EQ(w.pfec, HV_PF_W | HV_PF_U);
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x200000, HV_PF_W | HV_PF_U, 1, &w), HV_WALK_FAULT);  // read-only
  EXPECT_EQ(w.pfec, HV_PF_P | HV_PF_W | HV_PF_U);
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x200000, HV_PF_W, 1, &w), HV_WALK_FAULT);  // CR0.WP = 1
  EXPECT_EQ(w.pfec, HV_PF_P | HV_PF_W);
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x200000, HV_PF_I, 1, &w), HV_WALK_FAULT);  // NX
  EXPECT_EQ(w.pfec, HV_PF_P | HV_PF_I);
  EXPECT_FALSE(q(0x3008) & PTE_A);  // nothing set on a fault
  p.cr0 &= ~CR0_WP;
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x200000, HV_PF_W, 1, &w), HV_WALK_OK);
  p.efer = 0;  // NX ignored, and no I bit without EFER.NXE
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x200000, HV_PF_I, 1, &w), HV_WALK_OK);
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x6000, HV_PF_I, 1, &w), HV_WALK_FAULT);
  EXPECT_EQ(w.pfec, 0u);
  q(0x2000) = 0x800000 | PTE_P | PTE_W;  // PD outside RAM
  EXPECT_EQ(hv_walk_guest(&g, &p, 0x5000, 0, 0, &w), HV_WALK_BAD_TABLE);
  EXPECT_EQ(w.table_gpa[w.n], 0x800000u);
}

TEST_F(GuestFixture, FetchStopsAtAnUnmappedPage) {
  std::memcpy(g.ram + 0x100FFC, "\x01\x02\x03\x04", 4);
  uint8_t buf[15];
  EXPECT_EQ(hv_guest_fetch(&g, &p, 0x5FFC, buf, sizeof buf), 4u);  // 0x6000 is not mapped
  EXPECT_EQ(buf[3], 4);
  EXPECT_EQ(hv_guest_translate(&g, &p, 0x6000), -1);
  p.cr0 = 1;  // paging off: guest-linear = guest-physical
  EXPECT_EQ(hv_guest_translate(&g, &p, 0x100FFC), 0x100FFC);
  EXPECT_EQ(hv_guest_translate(&g, &p, 0x400000), -1);  // outside RAM
}

TEST_F(GuestFixture, LeafFlagsFollowDirtyAndWriteProtect) {
  hv_walk w;
  ASSERT_EQ(hv_walk_guest(&g, &p, 0x5000, HV_PF_U, 1, &w), HV_WALK_OK);
  EXPECT_EQ(hv_shadow_leaf_flags(&w, HV_PF_U, 1), PTE_P | PTE_A | PTE_D | PTE_U);  // clean: read-only
  ASSERT_EQ(hv_walk_guest(&g, &p, 0x5000, HV_PF_U | HV_PF_W, 1, &w), HV_WALK_OK);
  EXPECT_EQ(hv_shadow_leaf_flags(&w, HV_PF_U | HV_PF_W, 1), PTE_P | PTE_A | PTE_D | PTE_U | PTE_W);
  p.cr0 &= ~CR0_WP;
  ASSERT_EQ(hv_walk_guest(&g, &p, 0x200000, HV_PF_W, 1, &w), HV_WALK_OK);
  EXPECT_EQ(hv_shadow_leaf_flags(&w, HV_PF_W, 0), PTE_P | PTE_A | PTE_D | PTE_W | PTE_NX);  // supervisor only
}

TEST(HvShadow, SlotsAndInvlpg) {
  alignas(4096) static uint64_t pages[8][512];
  hv_spool pool{pages, 8, 0};
  uint64_t* root = hv_spool_reset(&pool);
  int resized = 0;
  const uint64_t flags = PTE_P | PTE_W | PTE_U;
  // A 4 KiB leaf under tables marked as shadowing a guest 2 MiB page.
  uint64_t* s = hv_shadow_slot(&pool, root, 0x40201000, 1, flags, 2, &resized);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(pool.used, 4u);
  *s = 0x1000 | PTE_P;
  EXPECT_EQ(resized, 0);
  EXPECT_FALSE(root[0] & HV_SPTE_SUBTREE);
  // INVLPG of another address in that 2 MiB range drops the whole subtree.
  hv_shadow_invlpg(root, 0x40300000);
  uint64_t* pdpt = reinterpret_cast<uint64_t*>(root[0] & PTE_ADDR);
  uint64_t* pd = reinterpret_cast<uint64_t*>(pdpt[1] & PTE_ADDR);
  EXPECT_EQ(pd[1], 0u);
  // A 2 MiB leaf where a table was: resized.
  s = hv_shadow_slot(&pool, root, 0x40000000, 1, flags, 0, &resized);
  *s = 0x2000 | PTE_P;
  s = hv_shadow_slot(&pool, root, 0x40000000, 2, flags, 0, &resized);
  EXPECT_EQ(resized, 1);
  *s = 0x200000 | PTE_P | PTE_PS;
  hv_shadow_invlpg(root, 0x40012345);
  EXPECT_EQ(pd[0], 0u);
  // Out of pool pages.
  while (hv_spool_alloc(&pool)) {
  }
  resized = 0;
  EXPECT_EQ(hv_shadow_slot(&pool, root, 0x7f0000000000, 1, flags, 0, &resized), nullptr);
}

}  // namespace
