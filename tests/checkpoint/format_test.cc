// The checkpoint file (sim/checkpoint/format.h): header, version, size and
// CRC checks before anything is deserialized; sparse RAM; --checkpoint-at.
#include "sim/checkpoint/format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "sim/checkpoint/writer.h"

namespace hvsim::checkpoint {
namespace {

namespace fs = std::filesystem;

class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("hvsim_ckpt_format_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
           "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    path = (dir / "machine.ckpt").string();
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string bytes() {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void put(const std::string& b) { std::ofstream(path, std::ios::binary | std::ios::trunc) << b; }
  std::string refusal() {
    try {
      read_archive_file(path);
    } catch (const CheckpointError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir;
  std::string path;
};

std::string payload() {
  std::string p;
  for (int i = 0; i < 100000; ++i) p.push_back(char(i * 7 % 251));
  return p;
}

TEST_F(FormatTest, RoundTripAndCompression) {
  const std::string zeros(1 << 20, '\0');
  write_archive_file(path, zeros);
  EXPECT_LT(fs::file_size(path), 10000u);  // zlib makes 1 MiB of zeros small
  EXPECT_EQ(read_archive_file(path), zeros);
  write_archive_file(path, payload());
  EXPECT_EQ(read_archive_file(path), payload());
  EXPECT_EQ(bytes().substr(0, 8), "HVSIMCKP");
}

TEST_F(FormatTest, RefusesOlderAndNewerVersions) {
  write_archive_file(path, payload());
  std::string b = bytes();
  b[8] = char(kFormatVersion + 1);
  put(b);
  EXPECT_NE(refusal().find("(newer)"), std::string::npos) << refusal();
  b[8] = char(kFormatVersion - 1);
  put(b);
  EXPECT_NE(refusal().find("(older)"), std::string::npos) << refusal();
}

TEST_F(FormatTest, RefusesTruncatedDamagedAndForeignFiles) {
  write_archive_file(path, payload());
  const std::string good = bytes();
  put(good.substr(0, good.size() - 10));
  EXPECT_NE(refusal().find("truncated"), std::string::npos) << refusal();
  put(good + "x");
  EXPECT_NE(refusal().find("truncated or damaged"), std::string::npos) << refusal();
  std::string bad = good;
  bad[kHeaderBytes + 50] ^= 0x40;
  put(bad);
  EXPECT_NE(refusal().find("CRC-32"), std::string::npos) << refusal();
  put("HVSIM");
  EXPECT_NE(refusal().find("not an hvsim checkpoint"), std::string::npos) << refusal();
  put(std::string(100, 'z'));
  EXPECT_NE(refusal().find("bad magic"), std::string::npos) << refusal();
  fs::remove(path);
  EXPECT_NE(refusal().find("cannot be read"), std::string::npos) << refusal();
}

TEST(SparsePages, SkipsZeroPagesAndRestoresExactly) {
  std::vector<uint8_t> mem(64 * 4096 + 100, 0);
  mem[5] = 1;
  mem[10 * 4096 + 7] = 0xaa;
  mem[64 * 4096 + 99] = 0x55;  // the partial last page
  const SparsePages p = pack_pages(mem);
  EXPECT_EQ(p.index, (std::vector<uint64_t>{0, 10, 64}));
  EXPECT_EQ(p.bytes.size(), 3u * 4096);
  std::vector<uint8_t> back(mem.size(), 0xff);  // non-zero pages must become zero
  ASSERT_TRUE(unpack_pages(p, back));
  EXPECT_EQ(back, mem);
  std::vector<uint8_t> other(mem.size() + 4096);
  EXPECT_FALSE(unpack_pages(p, other));  // another RAM size
}

TEST(Trigger, ParsesTheFourForms) {
  EXPECT_EQ(parse_trigger("insns:1000").kind, Trigger::kInsns);
  EXPECT_EQ(parse_trigger("insns:1000").n, 1000u);
  EXPECT_EQ(parse_trigger("cycles:5").kind, Trigger::kCycles);
  EXPECT_EQ(parse_trigger("magic").kind, Trigger::kMagic);
  EXPECT_EQ(parse_trigger("exit").kind, Trigger::kExit);
  for (const char* bad : {"insns", "insns:", "insns:x", "cycle:5", "magic:1", ""})
    EXPECT_THROW(parse_trigger(bad), base::ConfigError) << bad;
}

}  // namespace
}  // namespace hvsim::checkpoint
