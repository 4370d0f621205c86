// Statistics of the ooo model: IPC, the CPI stack, branch MPKI, occupancy
// histograms of the ROB, scheduler and load/store queues, and MLP.
#include <string>

#include "sim/timing/ooo/ooo_core.h"

namespace hvsim::timing::ooo {

namespace {

void add_histogram(base::StatRegistry& reg, const std::string& name, const Histogram& h,
                   const char* what) {
  for (unsigned b = 0; b < Histogram::kBuckets; ++b) {
    const unsigned lo = b * 100 / Histogram::kBuckets, hi = (b + 1) * 100 / Histogram::kBuckets;
    reg.add_counter(name + ".p" + std::to_string(lo) + "_" + std::to_string(hi), &h.bucket[b],
                    "renames",
                    std::string("instructions renamed while the ") + what + " was " +
                        std::to_string(lo) + "-" + std::to_string(hi) + "% full");
  }
}

}  // namespace

void OooCore::register_stats(base::StatRegistry& reg, const std::string& prefix) {
  const std::string p = prefix + ".";
  reg.add_counter(p + "cycles", &retire_cycle_, "cycles",
                  "cycle at which the last instruction retired (the model's clock, "
                  "which runs in detailed phases only)");
  reg.add_counter(p + "instructions", &st_.instructions, "instructions",
                  "instructions retired through the ooo model (detailed phases only: "
                  "timing.fast_forward, timing.sample)");
  reg.add_counter(p + "uops", &st_.uops, "uops", "uops retired (computation and memory uops)");
  reg.add_formula(
      p + "ipc",
      [&reg, p] {
        return reg.value(p + "instructions") / static_cast<double>(reg.value(p + "cycles"));
      },
      "instructions/cycle", "instructions retired per cycle");
  static constexpr const char* kNames[] = {
#define HVSIM_X(name, desc) #name,
      HVSIM_CPI_COMPONENTS(HVSIM_X)
#undef HVSIM_X
  };
  static constexpr const char* kDescs[] = {
#define HVSIM_X(name, desc) desc,
      HVSIM_CPI_COMPONENTS(HVSIM_X)
#undef HVSIM_X
  };
  for (unsigned c = 0; c < static_cast<unsigned>(Cpi::kCount); ++c)
    reg.add_counter(p + "cpi_stack." + kNames[c], &st_.cpi[c], "cycles",
                    std::string("CPI stack: ") + kDescs[c]);
  reg.add_counter(p + "serializations", &st_.serializations, "count",
                  "pipeline drains (serializing instructions, world switches, faults)");

  const PredictorStats& b = bp_.stats();
  reg.add_counter(p + "branch.cond", &b.cond, "branches", "conditional branches");
  reg.add_counter(p + "branch.cond_mispredicts", &b.cond_mispredicts, "branches",
                  "conditional branches predicted in the wrong direction");
  reg.add_counter(p + "branch.indirect", &b.indirect, "branches", "indirect jumps and calls");
  reg.add_counter(p + "branch.indirect_mispredicts", &b.indirect_mispredicts, "branches",
                  "indirect jumps and calls predicted to the wrong target");
  reg.add_counter(p + "branch.returns", &b.returns, "branches", "near returns");
  reg.add_counter(p + "branch.return_mispredicts", &b.return_mispredicts, "branches",
                  "returns the return address stack predicted wrong");
  reg.add_counter(p + "branch.btb_misses", &b.btb_misses, "branches",
                  "taken direct branches missing in the BTB (a decode redirect)");
  reg.add_counter(p + "branch.far", &b.far, "branches", "far transfers (never predicted)");
  reg.add_formula(
      p + "branch.mpki",
      [&reg, p] {
        const double m = static_cast<double>(reg.value(p + "branch.cond_mispredicts") +
                                             reg.value(p + "branch.indirect_mispredicts") +
                                             reg.value(p + "branch.return_mispredicts"));
        return 1000.0 * m / static_cast<double>(reg.value(p + "instructions"));
      },
      "mispredicts/kilo-instruction", "branch mispredicts per thousand instructions");

  add_histogram(reg, p + "rob_occupancy", st_.rob, "reorder buffer");
  add_histogram(reg, p + "scheduler_occupancy", st_.scheduler, "scheduler");
  add_histogram(reg, p + "lq_occupancy", st_.lq, "load queue");
  add_histogram(reg, p + "sq_occupancy", st_.sq, "store queue");

  const MissStats& m = miss_.stats();
  reg.add_counter(p + "mem.misses", &m.misses, "count", "L1D misses that took an MSHR");
  reg.add_counter(p + "mem.merged", &m.merged, "count",
                  "accesses to a line already being filled (merged into its MSHR)");
  reg.add_counter(p + "mem.mshr_full", &m.mshr_full, "count", "misses that waited for a free MSHR");
  reg.add_counter(p + "mem.miss_cycles", &m.miss_cycles, "cycles", "sum of the misses' latencies");
  reg.add_counter(p + "mem.miss_busy_cycles", &m.busy_cycles, "cycles",
                  "cycles with at least one miss outstanding");
  reg.add_counter(p + "mem.forwarded", &m.forwarded, "count",
                  "loads served by store-to-load forwarding");
  reg.add_counter(p + "mem.forward_stalls", &m.forward_stalls, "count",
                  "loads partly overlapping an older queued store (wait for its write)");
  reg.add_formula(
      p + "mem.mlp",
      [&reg, p] {
        return reg.value(p + "mem.miss_cycles") /
               static_cast<double>(reg.value(p + "mem.miss_busy_cycles"));
      },
      "misses", "memory-level parallelism: average misses outstanding while any is");
}

}  // namespace hvsim::timing::ooo
