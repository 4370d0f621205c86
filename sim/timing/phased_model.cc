#include "sim/timing/phased_model.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace hvsim::timing {

namespace {

std::string commas(uint64_t n) {
  std::string d = std::to_string(n), out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i != 0 && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return out;
}

}  // namespace

PhasedModel::PhasedModel(CoreModel detailed, const SampleSchedule& s)
    : detailed_(std::move(detailed)), sched_(s), scheduled_(s.active()) {
  phase_ = sched_.phase_at(0, &phase_end_);
  enter(0);
}

void PhasedModel::advance(uint64_t count) {
  if (count < phase_end_) return;
  leave(count);
  phase_ = sched_.phase_at(count, &phase_end_);
  enter(count);
}

void PhasedModel::leave(uint64_t count) {
  done_[static_cast<unsigned>(phase_)] += count - phase_start_;
  if (phase_ != Phase::kDetailed) return;
  std::visit(
      [&](auto& m) {
        clock_ = base_ + m.cycles();
        // A window closes at its end (a partial one, cut by the end of the
        // run, never reaches here and is not counted).
        windows_.add(m.cycles() - win_cycles_, count - phase_start_);
        m.drain();  // in-flight stores committed, outside any window
      },
      detailed_);
}

void PhasedModel::enter(uint64_t count) {
  phase_start_ = count;
  if (phase_ != Phase::kDetailed) return;
  std::visit(
      [&](auto& m) {
        m.drain();  // an empty pipeline: fetch starts at the model's clock
        base_ = clock_ - m.cycles();
        win_cycles_ = m.cycles();
      },
      detailed_);
}

uint64_t PhasedModel::phase_instructions(Phase p, uint64_t count) const {
  uint64_t n = done_[static_cast<unsigned>(p)];
  if (p == phase_ && count > phase_start_) n += count - phase_start_;
  return n;
}

double PhasedModel::extrapolated_cycles(uint64_t count) const {
  return windows_.mean_cpi() * static_cast<double>(count);
}

double PhasedModel::cpi(uint64_t insns, uint64_t count) const {
  return insns ? extrapolated_cycles(count) / static_cast<double>(insns)
               : std::numeric_limits<double>::quiet_NaN();
}

double PhasedModel::cpi_ci95(uint64_t insns, uint64_t count) const {
  return insns ? windows_.ci95() * static_cast<double>(count) / static_cast<double>(insns)
               : std::numeric_limits<double>::quiet_NaN();
}

void PhasedModel::register_stats(base::StatRegistry& reg, std::function<uint64_t()> insns,
                                 std::function<uint64_t()> count) const {
  if (!sched_.active()) return;
  static const struct {
    Phase p;
    const char* name;
    const char* desc;
  } kPhases[] = {
      {Phase::kFunctional, "phase.functional_instructions",
       "instructions run functionally (fast-forward: no core or cache model)"},
      {Phase::kWarming, "phase.warming_instructions",
       "instructions of functional warming (caches, TLBs, predictor; no model cycles)"},
      {Phase::kDetailed, "phase.detailed_instructions",
       "instructions timed by timing.model (what timing.* counts)"},
  };
  for (const auto& k : kPhases) {
    const Phase p = k.p;
    reg.add_formula(
        k.name, [this, p, count] { return double(phase_instructions(p, count())); }, "instructions",
        std::string(k.desc) + ", each REP iteration counted (whole run)");
  }
  if (!sched_.sampling()) return;
  const WindowStats* w = &windows_;
  reg.add_formula(
      "sample.windows", [w] { return double(w->windows()); }, "count",
      "complete detailed windows measured (whole run)");
  reg.add_formula(
      "sample.window_instructions", [w] { return double(w->instructions()); }, "instructions",
      "instructions measured in the windows, each REP iteration counted");
  reg.add_formula(
      "sample.window_cycles", [w] { return double(w->cycles()); }, "cycles",
      "core-model cycles measured in the windows");
  reg.add_formula(
      "sample.window_cpi", [w] { return w->mean_cpi(); }, "cycles/instruction",
      "mean of the windows' cycles per instruction (REP iterations counted)");
  reg.add_formula(
      "sample.window_cpi_stddev", [w] { return w->stddev_cpi(); }, "cycles/instruction",
      "standard deviation of the windows' cycles per instruction");
  reg.add_formula(
      "sample.total_instructions", [insns] { return double(insns()); }, "instructions",
      "instructions of the whole run (cpu.instructions: a REP instruction counts once)");
  reg.add_formula(
      "sample.total_counted", [count] { return double(count()); }, "instructions",
      "instructions of the whole run, each REP iteration counted");
  reg.add_formula(
      "sample.extrapolated_cycles", [this, count] { return extrapolated_cycles(count()); },
      "cycles", "estimated cycles of a detailed run: sample.window_cpi x sample.total_counted");
  reg.add_formula(
      "sample.cpi", [this, insns, count] { return cpi(insns(), count()); }, "cycles/instruction",
      "CPI estimate: sample.extrapolated_cycles / sample.total_instructions");
  reg.add_formula(
      "sample.cpi_ci95", [this, insns, count] { return cpi_ci95(insns(), count()); },
      "cycles/instruction",
      "half-width of the 95 % confidence interval of sample.cpi (Student's t, n - 1 dof)");
}

std::string PhasedModel::summary(uint64_t insns, uint64_t count) const {
  if (!sched_.active()) return "";
  char buf[320];
  if (!sched_.sampling()) {
    std::snprintf(buf, sizeof buf,
                  "fast-forward: %s instructions functional, %s detailed (timing.* counts those; "
                  "REP iterations counted)",
                  commas(phase_instructions(Phase::kFunctional, count)).c_str(),
                  commas(phase_instructions(Phase::kDetailed, count)).c_str());
    return buf;
  }
  const WindowStats& w = windows_;
  if (w.windows() == 0) {
    std::snprintf(buf, sizeof buf,
                  "sampling: no complete window in %s instructions (period %s): no estimate",
                  commas(count).c_str(), commas(sched_.period).c_str());
    return buf;
  }
  const double c = cpi(insns, count), ci = cpi_ci95(insns, count);
  std::snprintf(buf, sizeof buf,
                "sampling: %s windows of %s instructions (period %s, warming %s): CPI %.4f "
                "+- %.4f (95%%, %.2f%%), extrapolated %s cycles (measured %s)",
                commas(w.windows()).c_str(), commas(sched_.window).c_str(),
                commas(sched_.period).c_str(), commas(sched_.warmup).c_str(), c,
                std::isnan(ci) ? 0.0 : ci, std::isnan(ci) ? 0.0 : 100.0 * ci / c,
                commas(static_cast<uint64_t>(std::llround(extrapolated_cycles(count)))).c_str(),
                commas(w.cycles()).c_str());
  return buf;
}

}  // namespace hvsim::timing
