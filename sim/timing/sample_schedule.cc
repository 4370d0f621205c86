#include "sim/timing/sample_schedule.h"

#include <cmath>
#include <limits>

#include "sim/base/param_value.h"

namespace hvsim::timing {

namespace {

// A count as --set takes it (decimal, 0x hex, '_' separators).
uint64_t parse_count(const std::string& what, const std::string& text) {
  base::ParamSpec spec;
  spec.key = what;
  spec.type = base::ParamType::UInt;
  spec.min = 0;
  if (text.empty()) throw base::ConfigError(what + " is empty");
  try {
    return std::get<uint64_t>(base::parse_value_text(spec, text));
  } catch (const base::ConfigError& e) {
    throw base::ConfigError(what + " '" + text + "': " + e.what());
  }
}

}  // namespace

void SampleSchedule::declare_params(base::ParamRegistry& reg) {
  reg.add_string("timing.fast_forward", "",
                 "insns:N: run each core's first N instructions functionally (1 cycle each, no "
                 "core or cache model), then timing.model (\"\": off)");
  reg.add_string("timing.sample", "",
                 "PERIOD:WINDOW:WARMUP instructions: SMARTS sampling; in each period, functional, "
                 "then WARMUP of cache/TLB/predictor warming, then WINDOW measured (\"\": off)");
}

uint64_t SampleSchedule::parse_fast_forward(const std::string& text) {
  const std::string prefix = "insns:";
  if (text.compare(0, prefix.size(), prefix) != 0)
    throw base::ConfigError("expected insns:N (N instructions), got '" + text + "'");
  const uint64_t n = parse_count("N", text.substr(prefix.size()));
  if (n == 0) throw base::ConfigError("insns:0 fast-forwards nothing (leave it unset)");
  return n;
}

void SampleSchedule::parse_sample(const std::string& text, SampleSchedule* s) {
  uint64_t v[3];
  size_t at = 0;
  static const char* const kNames[3] = {"PERIOD", "WINDOW", "WARMUP"};
  for (unsigned i = 0; i < 3; ++i) {
    const size_t colon = text.find(':', at);
    if ((i < 2) != (colon != std::string::npos))
      throw base::ConfigError("expected PERIOD:WINDOW:WARMUP (three counts), got '" + text + "'");
    v[i] = parse_count(kNames[i], text.substr(at, i < 2 ? colon - at : std::string::npos));
    at = colon + 1;
  }
  if (v[1] == 0) throw base::ConfigError("WINDOW must be at least 1 instruction");
  if (v[1] > v[0] || v[2] > v[0] - v[1])
    throw base::ConfigError("WINDOW + WARMUP (" + std::to_string(v[1]) + " + " +
                            std::to_string(v[2]) + ") exceeds PERIOD (" + std::to_string(v[0]) +
                            ")");
  s->period = v[0];
  s->window = v[1];
  s->warmup = v[2];
}

SampleSchedule SampleSchedule::from_config(const base::Config& cfg) {
  SampleSchedule s;
  const std::string& ff = cfg.get_string("timing.fast_forward");
  const std::string& sm = cfg.get_string("timing.sample");
  try {
    if (!ff.empty()) s.fast_forward = parse_fast_forward(ff);
  } catch (const base::ConfigError& e) {
    throw base::ConfigError(std::string("timing.fast_forward: ") + e.what());
  }
  try {
    if (!sm.empty()) parse_sample(sm, &s);
  } catch (const base::ConfigError& e) {
    throw base::ConfigError(std::string("timing.sample: ") + e.what());
  }
  return s;
}

Phase SampleSchedule::phase_at(uint64_t icount, uint64_t* phase_end) const {
  if (icount < fast_forward) {
    *phase_end = fast_forward;
    return Phase::kFunctional;
  }
  if (!sampling()) {
    *phase_end = ~0ull;
    return Phase::kDetailed;
  }
  const uint64_t off = (icount - fast_forward) % period;
  const uint64_t start = icount - off;
  const uint64_t functional = period - window - warmup;
  if (off < functional) {
    *phase_end = start + functional;
    return Phase::kFunctional;
  }
  if (off < functional + warmup) {
    *phase_end = start + functional + warmup;
    return Phase::kWarming;
  }
  *phase_end = start + period;
  return Phase::kDetailed;
}

void WindowStats::add(uint64_t cycles, uint64_t instructions) {
  if (instructions == 0) return;
  const double cpi = static_cast<double>(cycles) / static_cast<double>(instructions);
  ++n_;
  cycles_ += cycles;
  insns_ += instructions;
  const double d = cpi - mean_;
  mean_ += d / static_cast<double>(n_);
  m2_ += d * (cpi - mean_);
}

double WindowStats::mean_cpi() const {
  return n_ ? mean_ : std::numeric_limits<double>::quiet_NaN();
}

double WindowStats::stddev_cpi() const {
  return n_ >= 2 ? std::sqrt(m2_ / static_cast<double>(n_ - 1))
                 : std::numeric_limits<double>::quiet_NaN();
}

double WindowStats::ci95() const {
  if (n_ < 2) return std::numeric_limits<double>::quiet_NaN();
  return t975(n_ - 1) * stddev_cpi() / std::sqrt(static_cast<double>(n_));
}

double WindowStats::t975(uint64_t df) {
  // Student's t, two-sided 95 % (any statistics table); beyond 30 degrees of
  // freedom 1.96 + 2.4 / df is within 0.003 of the table (40: 2.021,
  // 60: 2.000, 120: 1.980) and tends to the normal 1.960.
  static const double kT[31] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                                2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                                2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                                2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (df == 0) return std::numeric_limits<double>::quiet_NaN();
  if (df <= 30) return kT[df];
  return 1.96 + 2.4 / static_cast<double>(df);
}

}  // namespace hvsim::timing
