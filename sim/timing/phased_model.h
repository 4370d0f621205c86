// The model holder: the core model (timing.model) plus the phases of a
// fast-forwarded or sampled run (sample_schedule.h). The engine keeps one
// PhasedModel and, once per block, visit()s it: the callback receives the
// view of the current phase, a final class with the core-model interface the
// run loop uses (retire, stall, cycles, kTimesFetch, kReadsDeps), so the
// per-instruction call stays direct and inlinable in every phase.
//
// Phases are counted in instructions with each REP string iteration counted
// as one (Engine::limit_count(), as --max-insns counts): a REP
// chunk can cost thousands of cycles, and the boot code's REP STOS that
// zeroes .bss would otherwise be one enormous sampling unit.
//
// The engine's clock (cpu.cycles) runs on across phases: in a functional or
// warming phase an instruction costs 1 cycle plus the flat costs charged to
// it (device stalls, VMX/SVM costs, exception delivery, page walks: the
// record's extra_cycles and fetch_latency), and time between instructions
// (HLT, device stalls) passes as usual, so devices and timers progress; in a
// detailed phase the core model's cycles are added on top. The core model's
// own statistics (timing.*) therefore count the detailed phases only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <variant>

#include "sim/base/stats.h"
#include "sim/timing/core_model.h"
#include "sim/timing/sample_schedule.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the private state
}

namespace hvsim::timing {

// Fast-forward: no core model; the cache model is not consulted (the engine
// skips data accesses while data_timed() is false, and kTimesFetch is false).
class FunctionalCore final {
 public:
  static constexpr bool kTimesFetch = false;
  static constexpr bool kReadsDeps = false;
  explicit FunctionalCore(uint64_t& clock) : clock_(clock) {}
  void retire(const RetireInfo& r) { clock_ += 1 + r.extra_cycles + r.fetch_latency; }
  // The run loop's plain retire (no flat cost, no fetch stall: kCharged
  // clear): 1 cycle. The engine runs functional blocks in its own loop
  // (exec_block_functional); these keep the generic one valid.
  uint64_t plain_cost(uint32_t, uint64_t) const { return 1; }
  void retire_plain(uint64_t) { ++clock_; }
  void stall(uint64_t c, StallKind = StallKind::kIdle) { clock_ += c; }
  uint64_t cycles() const { return clock_; }

 private:
  uint64_t& clock_;
};

// Functional warming under model M: the same clock as FunctionalCore, but
// the engine charges accesses to the cache model (and fetches through the
// L1I when M does) and branches train M's predictor (M::warm).
template <class M>
class WarmingCore final {
 public:
  static constexpr bool kTimesFetch = M::kTimesFetch;
  static constexpr bool kReadsDeps = M::kReadsDeps;
  WarmingCore(M& m, uint64_t& clock) : m_(m), clock_(clock) {}
  void retire(const RetireInfo& r) {
    clock_ += 1 + r.extra_cycles + r.fetch_latency;
    if (r.branch != BranchKind::kNone) m_.warm(r);
  }
  // The plain retire of a model without kReadsDeps (simple: nothing to
  // warm): 1 cycle.
  uint64_t plain_cost(uint32_t, uint64_t) const { return 1; }
  void retire_plain(uint64_t) { ++clock_; }
  void stall(uint64_t c, StallKind = StallKind::kIdle) { clock_ += c; }
  uint64_t cycles() const { return clock_; }

 private:
  M& m_;
  uint64_t& clock_;
};

// A detailed phase: model M, its clock offset to the engine's.
template <class M>
class DetailedCore final {
 public:
  static constexpr bool kTimesFetch = M::kTimesFetch;
  static constexpr bool kReadsDeps = M::kReadsDeps;
  DetailedCore(M& m, uint64_t base) : m_(m), base_(base) {}
  void retire(const RetireInfo& r) { m_.retire(r); }
  uint64_t plain_cost(uint32_t cls_cost, uint64_t mem) const { return m_.plain_cost(cls_cost, mem); }
  void retire_plain(uint64_t c) { m_.retire_plain(c); }
  void stall(uint64_t c, StallKind k = StallKind::kIdle) { m_.stall(c, k); }
  uint64_t cycles() const { return base_ + m_.cycles(); }

 private:
  M& m_;
  uint64_t base_;
};

class PhasedModel {
 public:
  friend struct checkpoint::Access;
  PhasedModel(CoreModel detailed, const SampleSchedule& s);

  CoreModel& detailed() { return detailed_; }
  const CoreModel& detailed() const { return detailed_; }
  const SampleSchedule& schedule() const { return sched_; }
  // A fast-forward or sampling schedule is set (else the engine runs the
  // model directly, as without this holder).
  bool scheduled() const { return scheduled_; }
  Phase phase() const { return phase_; }
  // False in fast-forward: data accesses are not charged to the cache model.
  bool data_timed() const { return phase_ != Phase::kFunctional; }
  // The count (REP iterations counted) where the next phase starts; ~0: none.
  uint64_t phase_end() const { return phase_end_; }
  // The nearer of phase_end() and `limit` (an instruction limit; 0: none).
  uint64_t phase_end_within(uint64_t limit) const {
    return limit && limit < phase_end_ ? limit : phase_end_;
  }
  // Called once count >= phase_end(): closes the phase (a window's cycles
  // per counted instruction recorded, the ooo model drained) and opens the
  // one `count` is in.
  void advance(uint64_t count);

  // The run loop of a functional phase keeps the clock itself
  // (Engine::exec_block_functional) and hands it back after each block.
  void set_functional_clock(uint64_t c) { clock_ = c; }
  // Calls f with the current phase's view (see above).
  template <class F>
  void visit(F&& f) {
    if (__builtin_expect(phase_ == Phase::kDetailed, 1)) {
      std::visit(
          [&](auto& m) {
            DetailedCore<std::remove_reference_t<decltype(m)>> d(m, base_);
            f(d);
          },
          detailed_);
    } else if (phase_ == Phase::kFunctional) {
      FunctionalCore c(clock_);
      f(c);
    } else {
      std::visit(
          [&](auto& m) {
            WarmingCore<std::remove_reference_t<decltype(m)>> w(m, clock_);
            f(w);
          },
          detailed_);
    }
  }

  const WindowStats& windows() const { return windows_; }
  // Counted instructions run so far in each phase, `count` being the core's.
  uint64_t phase_instructions(Phase p, uint64_t count) const;
  // The estimate: cycles of the whole run (mean cycles per counted
  // instruction x `count`), and CPI over the `insns` instructions retired.
  double extrapolated_cycles(uint64_t count) const;
  double cpi(uint64_t insns, uint64_t count) const;
  double cpi_ci95(uint64_t insns, uint64_t count) const;
  // sample.* and phase.* when a schedule is set: insns() is the core's
  // instruction count (cpu.instructions), count() with REP iterations.
  void register_stats(base::StatRegistry& reg, std::function<uint64_t()> insns,
                      std::function<uint64_t()> count) const;
  // One line for the end-of-run summary ("" without a schedule).
  std::string summary(uint64_t insns, uint64_t count) const;

 private:
  void leave(uint64_t count);
  void enter(uint64_t count);

  CoreModel detailed_;
  SampleSchedule sched_;
  uint64_t phase_start_ = 0;  // count where the current phase began
  uint64_t done_[3] = {};     // instructions of closed phases, by Phase
  uint64_t clock_ = 0;        // the engine's clock outside detailed phases
  uint64_t base_ = 0;         // in a detailed phase: engine clock - model cycles
  uint64_t win_cycles_ = 0;   // the model's cycles at the window's start
  WindowStats windows_;
  // Read per block or per access: last, next to what the engine keeps after
  // its PhasedModel (the retire record).
  uint64_t phase_end_ = ~0ull;
  bool scheduled_ = false;  // sched_.active()
  Phase phase_ = Phase::kDetailed;
};

}  // namespace hvsim::timing
