// workloads/guests/uarch under the real hvsim, with each core model. Under
// timing.model = simple every kernel runs at IPC <= 1 and DRAM misses never
// overlap; under ooo (the Skylake-class defaults) the kernels show the
// documented widths and latencies. Ranges, not exact values: the guest's
// loop overheads are in the counts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "tests/unit/app/hvsim_process.h"

namespace {

namespace fs = std::filesystem;

#if defined(HVSIM_REAL_BIN) && defined(HVSIM_WORKLOADS_DIR)

struct Kernel {
  unsigned long insns = 0, cycles = 0;
  double cpi() const { return static_cast<double>(cycles) / static_cast<double>(insns); }
};

// The kernels' loop counts (workloads/guests/uarch/uarch.c).
constexpr double kIters = 20000, kBrIters = 320 * 64, kDramLoads = 256 * 1024;

std::map<std::string, Kernel> run_uarch(const std::string& model) {
  const fs::path dir =
      fs::temp_directory_path() / ("hvsim_uarch_" + model + "_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const hvsim_test::Outcome o =
      hvsim_test::run_in(dir, HVSIM_REAL_BIN,
                         {"run", std::string(HVSIM_WORKLOADS_DIR) + "/uarch.elf", "--set",
                          "timing.model=" + model});
  EXPECT_EQ(o.status, 0) << o.err;
  std::map<std::string, Kernel> k;
  for (const std::string& line : hvsim_test::lines_of(o.out)) {
    char name[32];
    Kernel v;
    unsigned long cpi = 0;
    if (std::sscanf(line.c_str(), "timing: uarch %31s insns=%lu cycles=%lu cpi_x100=%lu", name,
                    &v.insns, &v.cycles, &cpi) == 4)
      k[name] = v;
  }
  fs::remove_all(dir);
  return k;
}

constexpr size_t kKernels = 11;

TEST(UarchWorkload, SimpleModelIpcAtMostOneAndNoOverlap) {
  std::map<std::string, Kernel> k = run_uarch("simple");
  ASSERT_EQ(k.size(), kKernels);
  for (const auto& [name, v] : k) EXPECT_GE(v.cpi(), 1.0) << name;
  // 16 IMULs of timing.mul_cycles (3) and a DEC/JNZ per 18 instructions.
  EXPECT_GE(k["imul_chain"].cpi(), 2.8);
  // A DRAM miss (cache.memory_cycles, 200) per load (8 loads in 10
  // instructions, 64 in 66), and eight independent chases cost what one chase costs.
  const double per_load_chain = k["chase_dram"].cycles / (k["chase_dram"].insns * 0.8);
  const double per_load_eight = k["dram8"].cycles / (k["dram8"].insns * 64.0 / 66.0);
  EXPECT_GE(per_load_chain, 200.0);
  EXPECT_NEAR(per_load_eight / per_load_chain, 1.0, 0.1);
}

// The figures for a Skylake-class core: 4 ALU ops and 2 loads per
// cycle, a 3-cycle IMUL, a 4-5-cycle L1 load-to-use latency, DRAM misses
// that overlap, and a 15-20-cycle mispredict penalty.
TEST(UarchWorkload, OooModelWidthsLatenciesOverlapAndPenalty) {
  std::map<std::string, Kernel> k = run_uarch("ooo");
  ASSERT_EQ(k.size(), kKernels);
  // 32 independent ADDs and a DEC/JNZ per iteration: about 4 per cycle.
  const double alu_per_cycle = k["alu4"].insns / static_cast<double>(k["alu4"].cycles);
  EXPECT_GE(alu_per_cycle, 3.5);
  EXPECT_LE(alu_per_cycle, 4.05);
  // One dependent chain: an ADD per cycle, no faster.
  EXPECT_NEAR(k["add_chain"].cycles / (kIters * 32), 1.0, 0.1);
  // Dependent IMULs: 3 cycles each.
  const double imul = k["imul_chain"].cycles / (kIters * 16);
  EXPECT_GE(imul, 2.9);
  EXPECT_LE(imul, 3.3);
  // 16 independent L1D loads per iteration: two load ports.
  const double loads_per_cycle = kIters * 16 / k["load2"].cycles;
  EXPECT_GE(loads_per_cycle, 1.8);
  EXPECT_LE(loads_per_cycle, 2.05);
  // Pointer chase in L1D: the load-to-use latency.
  const double l1 = k["chase_l1"].cycles / (kIters * 16);
  EXPECT_GE(l1, 3.9);
  EXPECT_LE(l1, 5.1);
  // DRAM: a chase pays each miss; eight chases overlap their misses.
  const double chase = k["chase_dram"].cycles / kDramLoads;
  const double eight = k["dram8"].cycles / kDramLoads;
  EXPECT_GE(chase, 190.0);
  EXPECT_LE(eight * 4, chase) << "independent misses must overlap";
  // Store-to-load forwarding: a store/load pair costs about the forwarding
  // latency, far less than the simple model's serial sum.
  const double pair = k["stlf"].cycles / (kIters * 8);
  EXPECT_GE(pair, 4.0);
  EXPECT_LE(pair, 7.0);
  // Dependent DIVs: the divider's latency (timing.div_cycles, 26) each.
  EXPECT_GE(k["div_chain"].cycles / (kIters / 4 * 8), 25.0);
  // Half of br_random's branches are mispredicted; br_fixed's none.
  const double penalty =
      (static_cast<double>(k["br_random"].cycles) - k["br_fixed"].cycles) / (kBrIters / 2);
  EXPECT_GE(penalty, 15.0);
  EXPECT_LE(penalty, 20.0);
}

#else
TEST(UarchWorkload, NeedsTheRealBinary) {
  GTEST_SKIP() << "hvsim or the workloads are not built";
}
#endif

}  // namespace
