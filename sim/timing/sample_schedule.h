// Fast-forward and sampled simulation: which instructions run under which
// kind of timing (docs/timing.md, "Fast-forward and sampling").
//
//   timing.fast_forward = "insns:N"   (hvsim run --fast-forward insns:N)
//   timing.sample = "PERIOD:WINDOW:WARMUP"   (hvsim run --sample P:W:U)
//
// Counts are instructions of each core (each core follows its own count).
// The first N instructions run functionally (no core model, no cache
// model); then, without sampling, the rest is detailed under timing.model.
// With sampling, every PERIOD instructions from there are split into
// PERIOD - WINDOW - WARMUP functional instructions, WARMUP of functional
// warming (the cache model, TLBs and branch predictor see them; no cycles are
// charged by the model) and WINDOW measured in detail: SMARTS, Wunderlich,
// Wenisch, Falsafi and Hoe, "SMARTS: Accelerating Microarchitecture
// Simulation via Rigorous Statistical Sampling", ISCA 2003.
#pragma once

#include <cstdint>
#include <string>

#include "sim/base/params.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::timing {

enum class Phase : uint8_t {
  kDetailed,    // the core model (timing.model) times every instruction
  kFunctional,  // fast-forward: 1 cycle per instruction, no caches consulted
  kWarming,     // functional warming: caches, TLBs, predictor updated; no model cycles
};

struct SampleSchedule {
  uint64_t fast_forward = 0;  // instructions run functionally first (0: none)
  uint64_t period = 0;        // 0: no sampling (detailed after the fast-forward)
  uint64_t window = 0;        // detailed instructions measured per period
  uint64_t warmup = 0;        // functional-warming instructions before each window

  bool sampling() const { return period != 0; }
  bool active() const { return fast_forward != 0 || period != 0; }

  // Declares timing.fast_forward and timing.sample (strings; "" = off).
  static void declare_params(base::ParamRegistry& reg);
  // Throws base::ConfigError (one line naming the key) on a malformed value.
  static SampleSchedule from_config(const base::Config& cfg);
  // The parsers behind them and behind --fast-forward / --sample: they throw
  // base::ConfigError with the reason only ("expected insns:N", ...).
  static uint64_t parse_fast_forward(const std::string& text);
  static void parse_sample(const std::string& text, SampleSchedule* s);

  // The phase instruction `icount` (0-based, of this core) belongs to, and
  // the first instruction after that phase (~0: it never ends).
  Phase phase_at(uint64_t icount, uint64_t* phase_end) const;
};

// The CPI of each measured window: mean, standard deviation and the
// half-width of the 95 % confidence interval of the mean (Student's t with
// n - 1 degrees of freedom). No allocation: running sums (Welford).
class WindowStats {
 public:
  friend struct checkpoint::Access;
  void add(uint64_t cycles, uint64_t instructions);
  uint64_t windows() const { return n_; }
  uint64_t cycles() const { return cycles_; }
  uint64_t instructions() const { return insns_; }
  double mean_cpi() const;    // NaN without a window
  double stddev_cpi() const;  // sample standard deviation; NaN below 2 windows
  double ci95() const;        // half-width of the 95 % interval; NaN below 2 windows
  // t_{0.975, df}: two-sided 95 % quantile of Student's t (df >= 1).
  static double t975(uint64_t df);

 private:
  uint64_t n_ = 0, cycles_ = 0, insns_ = 0;
  double mean_ = 0, m2_ = 0;
};

}  // namespace hvsim::timing
