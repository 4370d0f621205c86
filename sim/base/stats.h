// The statistics registry: every statistic is declared once, next to the
// component that owns the counter, with a unit and a one-line description.
// Counters stay plain uint64_t fields in their owners (the hot loop bumps them
// directly); the registry only holds pointers to them. Snapshots subtract, so
// a region of interest is the difference of two snapshots (ChampSim style).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores the region-of-interest base
}

namespace hvsim::base {

struct StatSpec {
  std::string name;  // dotted, e.g. "cpu.instructions"
  std::string unit;  // "instructions", "cycles", "count", ...
  std::string description;
  const uint64_t* counter = nullptr;  // a counter owned by a component, or
  std::function<double()> formula;    // a derived value (IPC, MIPS, ...)
};

using StatSnapshot = std::map<std::string, uint64_t>;

class StatRegistry {
  friend struct ::hvsim::checkpoint::Access;
 public:
  void add_counter(const std::string& name, const uint64_t* counter, const std::string& unit,
                   const std::string& desc);
  void add_formula(const std::string& name, std::function<double()> f, const std::string& unit,
                   const std::string& desc);

  StatSnapshot snapshot() const;  // counters only
  // Region of interest: when set, dumps report (current - base) for counters.
  void set_base(const StatSnapshot& base) {
    base_ = base;
    has_base_ = true;
  }
  void clear_base() { has_base_ = false; }

  // gem5 style: "name value # description (unit)" per line.
  std::string to_text() const;
  // {"stats": {"name": value, ...}, "units": {...}, "descriptions": {...}},
  // in declaration order; a formula that is NaN or infinite is null.
  std::string to_json() const;
  uint64_t value(const std::string& name) const;  // counter value (ROI-adjusted)
  // Any statistic as a number: a counter (ROI-adjusted) or a formula's result.
  // A formula that should follow the region of interest reads its inputs
  // through value(), not from the raw counters.
  double as_double(const std::string& name) const;
  const std::vector<StatSpec>& all() const { return specs_; }

 private:
  std::vector<StatSpec> specs_;
  StatSnapshot base_;
  bool has_base_ = false;
};

}  // namespace hvsim::base
