// The gdb stub's plain parts: framing, encodings, the packet reader, the
// register layout and the target description.
#include <gtest/gtest.h>

#include <string>

#include "sim/core/arch_state.h"
#include "sim/gdb/registers.h"
#include "sim/gdb/rsp.h"

namespace {

using namespace hvsim::gdb;

TEST(GdbRsp, FramesWithModulo256Checksum) {
  EXPECT_EQ(frame("OK"), "$OK#9a");
  EXPECT_EQ(frame(""), "$#00");
  EXPECT_EQ(checksum("qSupported"), 0x37);
}

TEST(GdbRsp, EscapesBinaryData) {
  EXPECT_EQ(escape_binary("a#b$c}d*e"), "a}\x03" "b}\x04" "c}]d}\x0a" "e");
}

TEST(GdbRsp, HexBothWays) {
  const uint8_t b[3] = {0x00, 0xab, 0x7f};
  EXPECT_EQ(to_hex(b, 3), "00ab7f");
  EXPECT_EQ(le_hex(0x1122334455667788ull, 8), "8877665544332211");
  EXPECT_EQ(le_hex(0x100, 4), "00010000");
  EXPECT_EQ(le_hex(1, 10), "01000000000000000000");
  ASSERT_TRUE(from_hex("00ab7F"));
  EXPECT_EQ(*from_hex("00ab7F"), (std::vector<uint8_t>{0, 0xab, 0x7f}));
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_EQ(parse_hex("1f4"), 500u);
  EXPECT_FALSE(parse_hex(""));
  EXPECT_FALSE(parse_hex("12345678123456781"));
  EXPECT_FALSE(parse_hex("x"));
}

TEST(GdbRsp, ReaderFindsPacketsAcksAndInterrupts) {
  PacketReader r;
  using K = PacketReader::Kind;
  EXPECT_EQ(r.feed('+'), K::kAck);
  EXPECT_EQ(r.feed('\x03'), K::kInterrupt);
  K last = K::kNone;
  for (char c : std::string("$m100,4#5e")) last = r.feed(c);
  EXPECT_EQ(last, K::kPacket);
  EXPECT_EQ(r.packet(), "m100,4");
  for (char c : std::string("$m100,4#00")) last = r.feed(c);
  EXPECT_EQ(last, K::kBadChecksum);
}

TEST(GdbRegisters, LayoutFollowsTheTargetDescription) {
  const std::string& xml = target_xml();
  for (const char* f : {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
                        "org.gnu.gdb.i386.segments", "org.hvsim.x86.sys",
                        "<architecture>i386:x86-64</architecture>", "name=\"cr3\"",
                        "name=\"fs_base\"", "name=\"eflags\" bitsize=\"32\""})
    EXPECT_NE(xml.find(f), std::string::npos) << f;
  unsigned regs = 0;
  for (size_t p = 0; (p = xml.find("<reg ", p)) != std::string::npos; ++p) ++regs;
  EXPECT_EQ(regs, kNumRegs);
  EXPECT_EQ(reg_size(0), 8u);
  EXPECT_EQ(reg_size(17), 4u);   // eflags
  EXPECT_EQ(reg_size(24), 10u);  // st0
  EXPECT_EQ(reg_size(40), 16u);  // xmm0
  EXPECT_EQ(reg_size(64), 8u);   // efer
  EXPECT_EQ(reg_size(kNumRegs), 0u);
}

TEST(GdbRegisters, ReadsAndWritesTheArchitecturalState) {
  hvsim::core::ArchState s;
  s.gpr[hvsim::core::RBX] = 0x1234;  // gdb's register 1
  s.rip = 0xffffffff81000000ull;
  s.seg[hvsim::core::CS].selector = 0x10;
  s.seg[hvsim::core::FS].base = 0x7000;
  s.cr3 = 0xabc000;
  auto le = [](uint64_t v, unsigned n) {
    std::vector<uint8_t> b;
    for (unsigned i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return b;
  };
  EXPECT_EQ(read_reg(s, 1), le(0x1234, 8));
  EXPECT_EQ(read_reg(s, 16), le(0xffffffff81000000ull, 8));
  EXPECT_EQ(read_reg(s, 18), le(0x10, 4));
  EXPECT_EQ(read_reg(s, 57), le(0x7000, 8));
  EXPECT_EQ(read_reg(s, 61), le(0xabc000, 8));
  // GPRs, RIP and the FS base are writable; a changed selector or CR3 is not.
  EXPECT_TRUE(write_reg(s, 7, le(0x5000, 8).data()));  // rsp
  EXPECT_EQ(s.gpr[hvsim::core::RSP], 0x5000u);
  EXPECT_TRUE(write_reg(s, 17, le(0x246, 4).data()));
  EXPECT_EQ(s.rflags, 0x246u);
  EXPECT_TRUE(write_reg(s, 18, le(0x10, 4).data()));   // unchanged: accepted
  EXPECT_FALSE(write_reg(s, 18, le(0x18, 4).data()));
  EXPECT_FALSE(write_reg(s, 61, le(0, 8).data()));
  EXPECT_EQ(s.cr3, 0xabc000u);
}

}  // namespace
