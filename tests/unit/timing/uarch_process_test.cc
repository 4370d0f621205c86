// workloads/guests/uarch under the real hvsim. With timing.model = simple
// (today's engine) every kernel runs at IPC <= 1 and DRAM misses never
// overlap; the ooo expectations (4 ADDs/cycle, 2 loads/cycle, ...) are the
// synthetic-stream tests until the engine feeds the ooo model.
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

std::map<std::string, Kernel> run_uarch() {
  const fs::path dir = fs::temp_directory_path() / ("hvsim_uarch_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const hvsim_test::Outcome o = hvsim_test::run_in(
      dir, HVSIM_REAL_BIN, {"run", std::string(HVSIM_WORKLOADS_DIR) + "/uarch.elf"});
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

TEST(UarchWorkload, SimpleModelIpcAtMostOneAndNoOverlap) {
  std::map<std::string, Kernel> k = run_uarch();
  ASSERT_EQ(k.size(), 9u);
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

#else
TEST(UarchWorkload, NeedsTheRealBinary) {
  GTEST_SKIP() << "hvsim or the workloads are not built";
}
#endif

}  // namespace
