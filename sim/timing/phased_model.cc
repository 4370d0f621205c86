#include "sim/timing/phased_model.h"

#include <cmath>
#include <cstdio>

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
    : detailed_(std::move(detailed)), sched_(s) {
  phase_ = sched_.phase_at(0, &phase_end_);
  enter(0);
}

void PhasedModel::advance(uint64_t icount) {
  if (icount < phase_end_) return;
  leave(icount);
  phase_ = sched_.phase_at(icount, &phase_end_);
  enter(icount);
}

void PhasedModel::leave(uint64_t icount) {
  done_[static_cast<unsigned>(phase_)] += icount - phase_start_;
  if (phase_ != Phase::kDetailed) return;
  std::visit(
      [&](auto& m) {
        clock_ = base_ + m.cycles();
        // A window closes at its end (a partial one, cut by the end of the
        // run, never reaches here and is not counted).
        windows_.add(m.cycles() - win_cycles_, m.instructions() - win_insns_);
        m.drain();  // in-flight stores committed, outside any window
      },
      detailed_);
}

void PhasedModel::enter(uint64_t icount) {
  phase_start_ = icount;
  if (phase_ != Phase::kDetailed) return;
  std::visit(
      [&](auto& m) {
        m.drain();  // an empty pipeline: fetch starts at the model's clock
        base_ = clock_ - m.cycles();
        win_cycles_ = m.cycles();
        win_insns_ = m.instructions();
      },
      detailed_);
}

uint64_t PhasedModel::phase_instructions(Phase p, uint64_t icount) const {
  uint64_t n = done_[static_cast<unsigned>(p)];
  if (p == phase_ && icount > phase_start_) n += icount - phase_start_;
  return n;
}

void PhasedModel::register_stats(base::StatRegistry& reg, const uint64_t* icount) const {
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
        k.name, [this, p, icount] { return double(phase_instructions(p, *icount)); },
        "instructions", k.desc);
  }
  if (!sched_.sampling()) return;
  const WindowStats* w = &windows_;
  reg.add_formula(
      "sample.windows", [w] { return double(w->windows()); }, "count",
      "complete detailed windows measured (whole run)");
  reg.add_formula(
      "sample.window_instructions", [w] { return double(w->instructions()); }, "instructions",
      "instructions measured in the windows");
  reg.add_formula(
      "sample.window_cycles", [w] { return double(w->cycles()); }, "cycles",
      "core-model cycles measured in the windows");
  reg.add_formula(
      "sample.cpi", [w] { return w->mean_cpi(); }, "cycles/instruction",
      "CPI estimate: the mean of the windows' CPIs");
  reg.add_formula(
      "sample.cpi_stddev", [w] { return w->stddev_cpi(); }, "cycles/instruction",
      "standard deviation of the windows' CPIs");
  reg.add_formula(
      "sample.cpi_ci95", [w] { return w->ci95(); }, "cycles/instruction",
      "half-width of the 95 % confidence interval of sample.cpi (Student's t, n - 1 dof)");
  reg.add_formula(
      "sample.total_instructions", [icount] { return double(*icount); }, "instructions",
      "instructions of the whole run (every phase)");
  reg.add_formula(
      "sample.extrapolated_cycles", [w, icount] { return w->mean_cpi() * double(*icount); },
      "cycles", "sample.cpi x sample.total_instructions: the detailed run's cycles, estimated");
}

std::string PhasedModel::summary(uint64_t icount) const {
  if (!sched_.active()) return "";
  char buf[320];
  if (!sched_.sampling()) {
    std::snprintf(buf, sizeof buf,
                  "fast-forward: %s instructions functional, %s detailed (timing.* counts those)",
                  commas(phase_instructions(Phase::kFunctional, icount)).c_str(),
                  commas(phase_instructions(Phase::kDetailed, icount)).c_str());
    return buf;
  }
  const WindowStats& w = windows_;
  if (w.windows() == 0) {
    std::snprintf(buf, sizeof buf,
                  "sampling: no complete window in %s instructions (period %s): no estimate",
                  commas(icount).c_str(), commas(sched_.period).c_str());
    return buf;
  }
  const double cpi = w.mean_cpi(), ci = w.ci95();
  std::snprintf(buf, sizeof buf,
                "sampling: %s windows of %s instructions (period %s, warming %s): CPI %.4f "
                "+- %.4f (95%%, %.2f%%), extrapolated %s cycles (measured %s cycles)",
                commas(w.windows()).c_str(), commas(sched_.window).c_str(),
                commas(sched_.period).c_str(), commas(sched_.warmup).c_str(), cpi,
                std::isnan(ci) ? 0.0 : ci, std::isnan(ci) ? 0.0 : 100.0 * ci / cpi,
                commas(static_cast<uint64_t>(std::llround(cpi * double(icount)))).c_str(),
                commas(w.cycles()).c_str());
  return buf;
}

}  // namespace hvsim::timing
