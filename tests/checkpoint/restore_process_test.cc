// End to end with the hvsim binary: a run checkpointed at N instructions and
// restored ends exactly as the uninterrupted run (serial output after the
// checkpoint, instructions, cycles, stats.txt, exits.txt), natively, in a
// VMX guest and in an SVM guest; and every refusal is one line, exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;
using hvsim_test::Outcome;
using hvsim_test::read_all;
using hvsim_test::run_in;

const std::string kBin = HVSIM_BIN;
const std::string kWl = HVSIM_WORKLOADS_DIR;

fs::path fresh_dir(const std::string& name) {
  // Per process: two suites running at once (two build trees) must not share it.
  const fs::path d =
      fs::temp_directory_path() / ("hvsim_ckpt_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// The end-of-run line: "N instructions, M cycles".
std::string counts(const std::string& err) {
  std::smatch m;
  const std::regex re("([0-9,]+ instructions, [0-9,]+ cycles)");
  return std::regex_search(err, m, re) ? m[1].str() : "no end-of-run line in: " + err;
}

// stats.txt without what depends on the host (wall time, MIPS) or on the
// simulator's derived caches, which a restore rebuilds (decoded blocks and
// their invalidations by stores, the host-pointer TLB, DMI grants):
// docs/checkpoint.md.
std::string model_stats(const fs::path& out) {
  std::istringstream in(read_all(out / "stats.txt"));
  std::string line, kept;
  const std::regex host("^(sim\\.|cpu\\.blocks_|cpu\\.block_|cpu\\.host_tlb|cpu\\.chain|"
                        "cpu[0-9]*\\.smc_invalidations|platform\\.cpu\\.dmi_grants)");
  while (std::getline(in, line))
    if (!std::regex_search(line, host)) kept += line + "\n";
  return kept;
}

std::string only_checkpoint(const fs::path& out) {
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().filename().string().rfind("checkpoint-", 0) == 0) return e.path().string();
  return "";
}

struct Setup {
  std::string name;
  std::vector<std::string> args;  // after `run`
  uint64_t at;                    // --checkpoint-at insns:N
};

void expect_identical_restore(const Setup& s) {
  const fs::path dir = fresh_dir(s.name);
  std::vector<std::string> full = {"run"};
  full.insert(full.end(), s.args.begin(), s.args.end());
  full.insert(full.end(), {"--quiet", "--out", "full"});
  const Outcome a = run_in(dir, kBin, full, "_full");
  ASSERT_EQ(a.status, 0) << a.err;

  std::vector<std::string> ck = {"run"};
  ck.insert(ck.end(), s.args.begin(), s.args.end());
  ck.insert(ck.end(), {"--quiet", "--out", "ck", "--checkpoint-at", "insns:" + std::to_string(s.at)});
  const Outcome b = run_in(dir, kBin, ck, "_ck");
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.out, a.out) << "writing a checkpoint changed the run";
  EXPECT_EQ(counts(b.err), counts(a.err));
  const std::string cp = only_checkpoint(dir / "ck");
  ASSERT_FALSE(cp.empty()) << b.err;
  EXPECT_TRUE(fs::exists(fs::path(cp) / "config.toml"));
  EXPECT_NE(read_all(fs::path(cp) / "checkpoint.toml").find("kernel_crc32"), std::string::npos);

  const Outcome r = run_in(dir, kBin, {"restore", cp, "--quiet", "--out", "restored"}, "_r");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(counts(r.err), counts(a.err));
  ASSERT_FALSE(r.out.empty());
  ASSERT_LT(r.out.size(), a.out.size());  // only what came after the checkpoint
  EXPECT_EQ(a.out.substr(a.out.size() - r.out.size()), r.out);
  EXPECT_EQ(model_stats(dir / "restored"), model_stats(dir / "full"));
  EXPECT_EQ(read_all(dir / "restored" / "exits.txt"), read_all(dir / "full" / "exits.txt"));
  fs::remove_all(dir);
}

TEST(Restore, NativeDemoIsIdentical) {
  expect_identical_restore({"native", {kWl + "/demo.elf32"}, 30'000'000});
}

TEST(Restore, NativeMiniKernelWithUserModeAndTimersIsIdentical) {
  expect_identical_restore({"minikernel", {kWl + "/minikernel.elf32"}, 20'000'000});
}

TEST(Restore, VmxGuestWithEptIsIdentical) {
  expect_identical_restore({"vmx",
                            {kWl + "/hv_vmx.elf32", "--module",
                             kWl + "/minikernel.elf32:bench=all", "--cmdline", "mmu=ept"},
                            20'000'000});
}

TEST(Restore, SvmGuestWithNptIsIdentical) {
  expect_identical_restore({"svm",
                            {kWl + "/hv_svm.elf32", "--module",
                             kWl + "/minikernel.elf32:bench=all", "--cmdline", "mmu=npt", "--set",
                             "cpu.vendor=AuthenticAMD", "--set", "memory.size_mib=256"},
                            20'000'000});
}

// Multiprocessors (platform.cpus > 1): the BSP writes the checkpoint at its
// quantum boundary while every other CPU waits (quantum sync, HLT, wait for
// SIPI); each restored CPU resumes in its own wait at the same absolute time.
TEST(Restore, FourCoreSmpIsIdentical) {
  expect_identical_restore(
      {"smp4", {kWl + "/smp.elf", "--set", "platform.cpus=4"}, 15'000'000});
}

TEST(Restore, VmxTwoVcpuGuestIsIdentical) {
  expect_identical_restore({"vmx_smp",
                            {kWl + "/hv_vmx.elf", "--module", kWl + "/vsmp.elf", "--cmdline",
                             "mmu=ept", "--set", "platform.cpus=2"},
                            9'000'000});
}

TEST(Restore, SvmTwoVcpuGuestIsIdentical) {
  expect_identical_restore({"svm_smp",
                            {kWl + "/hv_svm.elf", "--module", kWl + "/vsmp.elf", "--cmdline",
                             "mmu=npt", "--set", "platform.cpus=2", "--set",
                             "cpu.vendor=AuthenticAMD"},
                            9'000'000});
}

// timing.model = ooo: the pipeline and (warm) the predictor are saved exactly.
TEST(Restore, OutOfOrderModelIsIdentical) {
  expect_identical_restore({"ooo", {kWl + "/demo.elf", "--set", "timing.model=ooo"}, 30'000'000});
}

TEST(Restore, OutOfOrderFourCoresIsIdentical) {
  expect_identical_restore({"ooo_smp4",
                            {kWl + "/smp.elf", "--set", "platform.cpus=4", "--set",
                             "timing.model=ooo"},
                            5'000'000});
}

// The ooo pipeline's in-flight state fits only its own sizes: a changed ROB
// is refused (one line, exit 2); a changed width or a predictor size (the
// predictor starts cold) is a timing parameter like any other.
TEST(Restore, OutOfOrderPipelineSizesAreFixed) {
  const fs::path dir = fresh_dir("ooo_sizes");
  const Outcome ck = run_in(dir, kBin,
                            {"run", kWl + "/demo.elf", "--set", "timing.model=ooo", "--max-insns",
                             "3000000", "--checkpoint-at", "insns:1000000", "--quiet", "--out", "ck"},
                            "_ck");
  const std::string cp = only_checkpoint(dir / "ck");
  ASSERT_FALSE(cp.empty()) << ck.err;
  const Outcome rob = run_in(
      dir, kBin, {"restore", cp, "--set", "timing.ooo.rob_entries=100", "--quiet", "--out", "r1"},
      "_rob");
  EXPECT_EQ(rob.status, 2) << rob.err;
  EXPECT_EQ(std::count(rob.err.begin(), rob.err.end(), '\n'), 1) << rob.err;
  EXPECT_NE(rob.err.find("timing.ooo.rob_entries"), std::string::npos) << rob.err;
  for (const char* set : {"timing.ooo.fetch_width=4", "timing.ooo.btb_entries=1024"}) {
    const Outcome ok = run_in(dir, kBin,
                              {"restore", cp, "--set", set, "--max-insns", "2000000", "--quiet",
                               "--out", "r2"},
                              "_ok");
    EXPECT_NE(ok.err.find("instruction limit"), std::string::npos) << set << ": " << ok.err;
  }
  fs::remove_all(dir);
}

// Fast-forward and sampling: the phase, its start and the windows so far.
TEST(Restore, FastForwardedRunIsIdentical) {
  expect_identical_restore(
      {"ff", {kWl + "/demo.elf", "--fast-forward", "insns:20000000"}, 30'000'000});
}

TEST(Restore, SampledOutOfOrderRunIsIdentical) {
  expect_identical_restore({"sample",
                            {kWl + "/demo.elf", "--sample", "1000000:20000:20000", "--set",
                             "timing.model=ooo"},
                            30'000'000});
}

// The architect's flow: fast-forward, checkpoint, restore in detail (the
// schedule cleared): the restored run times everything after the checkpoint,
// its clock continuing from the checkpoint's cycle.
TEST(Restore, CheckpointDuringFastForwardRestoresInDetail) {
  const fs::path dir = fresh_dir("ff_detail");
  const Outcome ck = run_in(dir, kBin,
                            {"run", kWl + "/demo.elf", "--fast-forward", "insns:60000000",
                             "--checkpoint-at", "insns:15000000", "--quiet", "--out", "ck"},
                            "_ck");
  ASSERT_EQ(ck.status, 0) << ck.err;
  const std::string cp = only_checkpoint(dir / "ck");
  ASSERT_FALSE(cp.empty()) << ck.err;
  const Outcome same = run_in(dir, kBin, {"restore", cp, "--quiet", "--out", "same"}, "_same");
  const Outcome det = run_in(
      dir, kBin, {"restore", cp, "--set", "timing.fast_forward=", "--quiet", "--out", "det"}, "_det");
  ASSERT_EQ(same.status, 0) << same.err;
  ASSERT_EQ(det.status, 0) << det.err;
  EXPECT_EQ(counts(same.err), counts(ck.err));
  EXPECT_NE(same.err.find("fast-forward:"), std::string::npos) << same.err;
  EXPECT_EQ(det.err.find("fast-forward:"), std::string::npos) << det.err;
  // In detail the 45M instructions the fast-forward ran at 1 cycle each
  // take the model's cycles: more cycles than under the fast-forward.
  auto cycles = [](const std::string& err) {
    std::smatch m;
    const std::regex re("instructions, ([0-9,]+) cycles");
    if (!std::regex_search(err, m, re)) return uint64_t(0);
    std::string d = m[1].str();
    d.erase(std::remove(d.begin(), d.end(), ','), d.end());
    return uint64_t(std::stoull(d));
  };
  EXPECT_GT(cycles(det.err), cycles(same.err) + 1'000'000) << det.err;
  fs::remove_all(dir);
}

// A multiboot kernel (a.out kludge, multiboot 0.6.96 3.1.3) written here:
// it prints "hi", issues the checkpoint magic operation (op 5,
// core/magic_ops.h), counts ECX down from 2^20, prints "ok" and exits
// through isa-debug-exit.
std::string magic_kernel(const fs::path& dir) {
  std::vector<uint8_t> k;
  auto u32 = [&k](uint32_t v) {
    for (int i = 0; i < 4; ++i) k.push_back(uint8_t(v >> (8 * i)));
  };
  const uint32_t flags = 1u << 16;  // the a.out kludge's address fields
  u32(0x1badb002);
  u32(flags);
  u32(uint32_t(-(0x1badb002u + flags)));
  u32(0x100000);       // header_addr
  u32(0x100000);       // load_addr
  u32(0);              // load_end_addr: the whole file
  u32(0);              // bss_end_addr: none
  u32(0x100000 + 32);  // entry_addr
  const std::vector<uint8_t> code = {
      0x66, 0xba, 0xf8, 0x03,                                // mov dx, 0x3f8
      0xb0, 'h', 0xee, 0xb0, 'i', 0xee, 0xb0, '\n', 0xee,    // "hi\n"
      0xbf, 0x07, 0x00, 0x00, 0x00,                          // mov edi, 7
      0x66, 0x0f, 0x1f, 0x84, 0x00, 0x05, 0x00, 0x56, 0x48,  // nopw 0x48560005(%eax,%eax,1)
      0xb9, 0x00, 0x00, 0x10, 0x00,                          // mov ecx, 0x100000
      0x49, 0x75, 0xfd,                                      // dec ecx; jnz
      0xb0, 'o', 0xee, 0xb0, 'k', 0xee, 0xb0, '\n', 0xee,    // "ok\n"
      0xb0, 0x00, 0xe6, 0xf4,                                // out 0xf4, al (exit 0)
      0xf4, 0xeb, 0xfd};                                     // hlt; jmp
  for (uint8_t b : code) k.push_back(b);
  const fs::path f = dir / "magic.bin";
  std::ofstream(f, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(k.data()), std::streamsize(k.size()));
  return f.string();
}

// --checkpoint-at magic: the guest asks, the checkpoint is written at the
// next quantum boundary, and the restored run prints only what followed.
TEST(Restore, MagicTriggerWritesWhereTheGuestAsks) {
  const fs::path dir = fresh_dir("magic");
  const std::string kernel = magic_kernel(dir);
  const Outcome a = run_in(dir, kBin, {"run", kernel, "--quiet", "--out", "full"}, "_full");
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(a.out, "hi\nok\n");
  const Outcome b = run_in(
      dir, kBin, {"run", kernel, "--quiet", "--out", "ck", "--checkpoint-at", "magic"}, "_ck");
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.out, a.out);
  EXPECT_EQ(counts(b.err), counts(a.err));
  const std::string cp = only_checkpoint(dir / "ck");
  ASSERT_FALSE(cp.empty()) << b.err;
  // Taken inside the count-down loop: after the magic op, before its end.
  const uint64_t at = std::stoull(fs::path(cp).filename().string().substr(11));
  EXPECT_GT(at, 10u);
  EXPECT_LT(at, 2u * 0x100000);
  const Outcome r = run_in(dir, kBin, {"restore", cp, "--quiet", "--out", "restored"}, "_r");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_EQ(counts(r.err), counts(a.err));
  // The checkpoint stops the core inside the loop's chained block: the
  // restored core, with no decoded blocks, looks that fetch up in the ITLB
  // once more (one mmu.itlb.fetch_hits, no cycle; docs/checkpoint.md).
  auto no_fetch_hits = [](std::string st) {
    return std::regex_replace(st, std::regex("mmu\\.itlb\\.fetch_hits[^\n]*\n"), "");
  };
  EXPECT_EQ(no_fetch_hits(model_stats(dir / "restored")), no_fetch_hits(model_stats(dir / "full")));
  fs::remove_all(dir);
}

// A 2-CPU run stopped by --max-cycles with --checkpoint-at exit (the CPU
// that hit the limit is mid-quantum) continues to the uninterrupted end.
TEST(Restore, SmpExitCheckpointContinuesToTheSameEnd) {
  const fs::path dir = fresh_dir("smp_exit");
  const std::vector<std::string> args = {kWl + "/hv_vmx.elf", "--module", kWl + "/vsmp.elf",
                                         "--cmdline", "mmu=ept", "--set", "platform.cpus=2",
                                         "--quiet"};
  std::vector<std::string> full = {"run"}, ck = {"run"};
  full.insert(full.end(), args.begin(), args.end());
  ck.insert(ck.end(), args.begin(), args.end());
  full.insert(full.end(), {"--out", "full"});
  ck.insert(ck.end(), {"--out", "ck", "--checkpoint-at", "exit", "--max-cycles", "12000000"});
  const Outcome a = run_in(dir, kBin, full, "_full");
  const Outcome b = run_in(dir, kBin, ck, "_ck");
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_NE(b.status, 0) << b.err;  // the cycle limit
  const std::string cp = only_checkpoint(dir / "ck");
  ASSERT_FALSE(cp.empty()) << b.err;
  const Outcome r = run_in(dir, kBin, {"restore", cp, "--quiet", "--out", "restored"}, "_r");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(counts(r.err), counts(a.err));
  EXPECT_EQ(b.out + r.out, a.out);
  fs::remove_all(dir);
}

class Refusal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Each test runs in its own process under CTest, maybe at once: own folder.
    dir = fresh_dir("refusal_" + std::to_string(::getpid()));
    const Outcome o = run_in(dir, kBin,
                             {"run", kWl + "/demo.elf32", "--quiet", "--out", "ck",
                              "--checkpoint-at", "insns:1000000", "--checkpoint-at", "exit",
                              "--max-insns", "2000000"});
    ASSERT_NE(o.status, 0);  // the instruction limit
    std::vector<std::string> cps;
    for (const auto& e : fs::directory_iterator(dir / "ck"))
      if (e.path().filename().string().rfind("checkpoint-", 0) == 0) cps.push_back(e.path());
    ASSERT_EQ(cps.size(), 2u) << o.err;  // insns:1000000 and the end
    std::sort(cps.begin(), cps.end());
    good = cps[0];
    at_exit = cps[1];
  }
  static void TearDownTestSuite() { fs::remove_all(dir); }
  // A copy of the checkpoint with its archive changed by `edit`.
  static std::string damaged(const std::string& name, void (*edit)(std::string&)) {
    const fs::path d = dir / name;
    fs::remove_all(d);
    fs::copy(good, d);
    std::string bytes = read_all(d / "machine.ckpt");
    edit(bytes);
    std::ofstream(d / "machine.ckpt", std::ios::binary | std::ios::trunc) << bytes;
    return d.string();
  }
  static void expect_refused(const std::vector<std::string>& args, const std::string& what) {
    const Outcome o = run_in(dir, kBin, args, "_refused");
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_NE(o.err.find(what), std::string::npos) << o.err;
  }
  static fs::path dir;
  static std::string good, at_exit;
};
fs::path Refusal::dir;
std::string Refusal::good, Refusal::at_exit;

// --checkpoint-at exit after --max-insns (mid-quantum, with the stop that
// ended the run pending) continues to the uninterrupted run's end.
TEST_F(Refusal, ExitCheckpointContinuesToTheSameEnd) {
  const Outcome full = run_in(dir, kBin, {"run", kWl + "/demo.elf32", "--quiet", "--out", "f"}, "_f");
  const Outcome r = run_in(dir, kBin, {"restore", at_exit, "--quiet", "--out", "x"}, "_x");
  ASSERT_EQ(full.status, 0) << full.err;
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(counts(r.err), counts(full.err));
  // Not stats.txt as a whole: the run stopped inside a decoded block, and the
  // restored core looks that block's fetch up in the ITLB again (a few more
  // mmu.itlb.fetch_hits, no cycle): docs/checkpoint.md.
}

TEST_F(Refusal, OlderAndNewerFormatVersions) {
  expect_refused({"restore", damaged("newer", [](std::string& b) { b[8]++; })}, "(newer)");
  expect_refused({"restore", damaged("older", [](std::string& b) { b[8]--; })}, "(older)");
}

TEST_F(Refusal, TruncatedAndDamagedArchives) {
  expect_refused({"restore", damaged("short", [](std::string& b) { b.resize(b.size() / 2); })},
                 "truncated");
  expect_refused({"restore", damaged("flip", [](std::string& b) { b[b.size() / 2] ^= 1; })},
                 "CRC-32");
}

TEST_F(Refusal, MissingFolderAndFixedParameters) {
  expect_refused({"restore", (dir / "nothing-here").string()}, "no such checkpoint folder");
  expect_refused({"restore", good, "--set", "platform.cpus=2"}, "platform.cpus");
  expect_refused({"restore", good, "--set", "memory.size_mib=64"}, "memory.size_mib");
  expect_refused({"restore", good, "--set", "cpu.vendor=AuthenticAMD"}, "cpu.vendor");
}

TEST_F(Refusal, TimingParametersMayChange) {
  const Outcome same = run_in(dir, kBin, {"restore", good, "--quiet", "--out", "same"}, "_same");
  const Outcome slow = run_in(
      dir, kBin, {"restore", good, "--quiet", "--out", "slow", "--set", "cache.l1d.hit_cycles=9"},
      "_slow");
  ASSERT_EQ(same.status, 0) << same.err;
  ASSERT_EQ(slow.status, 0) << slow.err;
  auto checksums = [](const std::string& out) {  // the guest prints its cycles too
    std::string sums;
    for (const auto& l : hvsim_test::lines_of(out))
      if (l.find("checksum") != std::string::npos) sums += l + "\n";
    return sums;
  };
  EXPECT_FALSE(checksums(same.out).empty());
  EXPECT_EQ(checksums(slow.out), checksums(same.out));
  EXPECT_NE(counts(slow.err), counts(same.err));  // more cycles, same instructions
}

TEST_F(Refusal, SweepFromCheckpointStartsEveryPointThere) {
  const Outcome same = run_in(dir, kBin, {"restore", good, "--quiet", "--out", "base"}, "_base");
  ASSERT_EQ(same.status, 0) << same.err;
  const Outcome sw = run_in(dir, kBin,
                            {"sweep", "--from-checkpoint", good, "--vary",
                             "cache.l1d.hit_cycles=4,9", "--out", "sw", "--quiet"},
                            "_sweep");
  ASSERT_EQ(sw.status, 0) << sw.err;
  const auto rows = hvsim_test::lines_of(read_all(dir / "sw" / "sweep.csv"));
  ASSERT_EQ(rows.size(), 3u);
  // The default point is the plain restore: the same cycles as its stats.
  const std::string cycles = std::to_string(
      std::stoull(model_stats(dir / "base").substr(model_stats(dir / "base").find("cpu.cycles") + 10)));
  EXPECT_NE(rows[1].find("," + cycles + ","), std::string::npos) << rows[1] << " vs " << cycles;
  EXPECT_EQ(rows[2].find("," + cycles + ","), std::string::npos) << rows[2];
  const Outcome both = run_in(dir, kBin,
                              {"sweep", kWl + "/demo.elf32", "--from-checkpoint", good, "--vary",
                               "cache.l1d.hit_cycles=4", "--out", "sw2"},
                              "_both");
  EXPECT_EQ(both.status, 2) << both.err;
}

TEST(Checkpoint, BadTriggerIsBadInput) {
  const fs::path dir = fresh_dir("trigger");
  const Outcome o =
      run_in(dir, kBin, {"run", kWl + "/demo.elf32", "--checkpoint-at", "insns:x", "--quiet"});
  EXPECT_EQ(o.status, 2) << o.err;
  EXPECT_NE(o.err.find("--checkpoint-at insns:x"), std::string::npos) << o.err;
  fs::remove_all(dir);
}

}  // namespace
