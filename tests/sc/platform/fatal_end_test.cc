// How a run ends when the guest goes wrong, through the real `hvsim run`:
// one line naming what happened, a register dump where it helps, and a
// distinct exit status (sim/base/exit_status.h). Stdout stays the guest's.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "subprocess.h"
#include "tests/unit/platform/elf_builder.h"

namespace hvsim::platform::test {
namespace {

namespace fs = std::filesystem;

hvsim_test::ProcResult run_code(const std::string& name, const std::vector<uint8_t>& code,
                                const std::vector<std::string>& extra = {}) {
  const fs::path dir =
      fs::path(testing::TempDir()) / ("hvsim_fatal_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ElfSpec spec;
  spec.entry = 0x100000;
  spec.segments.push_back({0x100000, 0x100000, code, 0x1000});
  const fs::path kernel = dir / (name + ".elf");
  const std::vector<uint8_t> elf = build_elf(spec);
  std::ofstream(kernel, std::ios::binary)
      .write(reinterpret_cast<const char*>(elf.data()), std::streamsize(elf.size()));
  std::vector<std::string> argv = {HVSIM_BIN, "run", kernel.string(), "--out",
                                   (dir / "out").string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  hvsim_test::ProcResult r = hvsim_test::run_process(argv, std::chrono::seconds(60));
  fs::remove_all(dir);
  return r;
}

bool has_register_dump(const std::string& err) {
  return err.find("RIP=") != std::string::npos && err.find("CR0=") != std::string::npos &&
         err.find("RAX=") != std::string::npos;
}

// The multiboot IDT (base 0, limit 0xffff) holds zeros: #UD finds a
// not-present gate (#NP), whose gate is not present either (#DF, SDM Vol. 3
// Table 6-5), whose gate is not present: shutdown.
TEST(FatalEnd, TripleFaultPrintsReasonDumpAndStatus80) {
  const auto r = run_code("triple", {0x0f, 0x0b});  // ud2
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 80) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("^hvsim: triple fault: .*vector", std::regex::multiline)))
      << r.err;
  EXPECT_TRUE(has_register_dump(r.err)) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(FatalEnd, HltWithInterruptsOffPrintsDumpAndStatus81) {
  const auto r = run_code("clihlt", {0xfa, 0xf4});  // cli; hlt
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 81) << r.err;
  EXPECT_NE(r.err.find("HLT with interrupts disabled at RIP=0x100001"), std::string::npos) << r.err;
  EXPECT_TRUE(has_register_dump(r.err)) << r.err;
}

// INIT to self (ICR 0x44500 at the xAPIC page): the core resets and waits
// for a SIPI no other CPU can send; the run ends like a halted CPU.
TEST(FatalEnd, SelfInitWaitsForSipiStatus81) {
  // mov dword [0xfee00300], 0x44500 ; jmp $
  const auto r = run_code("selfinit", {0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x04, 0x00,
                                       0xeb, 0xfe},
                          {"--max-insns", "100000"});
  EXPECT_EQ(r.exit_code, 81) << r.err;
  EXPECT_NE(r.err.find("CPU waiting for SIPI after INIT"), std::string::npos) << r.err;
}

TEST(FatalEnd, SpinningGuestEndsAtCycleLimitWithStatus83) {
  const auto r = run_code("spin", {0xeb, 0xfe}, {"--max-cycles", "2000000"});  // jmp $
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 83) << r.err;
  EXPECT_NE(r.err.find("cycle limit of 2000000 reached"), std::string::npos) << r.err;
}

TEST(FatalEnd, SpinningGuestEndsAtInstructionLimitWithStatus82) {
  const auto r = run_code("spin2", {0xeb, 0xfe}, {"--max-insns", "12345"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 82) << r.err;
  EXPECT_NE(r.err.find("12,345 instructions"), std::string::npos) << r.err;
}

// A bad-input kernel: REP MOVSB with ECX = 2^32 - 1 between addresses no
// RAM or device backs. Each iteration counts toward --max-insns, and an
// unbacked access costs no TLM transaction, so the run ends at once (before,
// each REP pass counted once and ran 4096 iterations of allocating
// transactions: this limit took minutes).
TEST(FatalEnd, HugeRepOverUnbackedMemoryEndsPromptlyAtInstructionLimit) {
  // mov ecx, 0xffffffff; mov esi, 0xd0000000; mov edi, 0xe0000000; cld; rep movsb; cli; hlt
  const std::vector<uint8_t> code = {0xb9, 0xff, 0xff, 0xff, 0xff, 0xbe, 0x00, 0x00, 0x00, 0xd0,
                                     0xbf, 0x00, 0x00, 0x00, 0xe0, 0xfc, 0xf3, 0xa4, 0xfa, 0xf4};
  const auto r = run_code("hugerep", code, {"--max-insns", "200000"});
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 82) << r.err;
  EXPECT_NE(r.err.find("instruction limit of 200000 reached"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hvsim::platform::test
