// StatRegistry: declaration, snapshots and region-of-interest values.
#include "sim/base/stats.h"

#include <stdexcept>
#include <utility>

namespace hvsim::base {

namespace {

void check_new_name(const std::vector<StatSpec>& specs, const std::string& name) {
  if (name.empty()) throw std::logic_error("statistic with an empty name");
  for (const auto& s : specs) {
    if (s.name == name) throw std::logic_error("statistic '" + name + "' declared twice");
  }
}

}  // namespace

void StatRegistry::add_counter(const std::string& name, const uint64_t* counter,
                               const std::string& unit, const std::string& desc) {
  check_new_name(specs_, name);
  if (counter == nullptr) throw std::logic_error("statistic '" + name + "' has no counter");
  specs_.push_back(StatSpec{name, unit, desc, counter, {}});
}

void StatRegistry::add_formula(const std::string& name, std::function<double()> f,
                               const std::string& unit, const std::string& desc) {
  check_new_name(specs_, name);
  if (!f) throw std::logic_error("statistic '" + name + "' has no formula");
  specs_.push_back(StatSpec{name, unit, desc, nullptr, std::move(f)});
}

StatSnapshot StatRegistry::snapshot() const {
  StatSnapshot snap;
  for (const auto& s : specs_) {
    if (s.counter != nullptr) snap[s.name] = *s.counter;
  }
  return snap;
}

uint64_t StatRegistry::value(const std::string& name) const {
  for (const auto& s : specs_) {
    if (s.name != name) continue;
    if (s.counter == nullptr) throw std::logic_error("statistic '" + name + "' is a formula");
    const uint64_t now = *s.counter;
    if (!has_base_) return now;
    auto it = base_.find(name);
    const uint64_t base = it == base_.end() ? 0 : it->second;
    return now >= base ? now - base : 0;  // a counter reset after the snapshot reads as 0
  }
  throw std::logic_error("statistic '" + name + "' is not declared");
}

double StatRegistry::as_double(const std::string& name) const {
  for (const auto& s : specs_) {
    if (s.name == name)
      return s.counter != nullptr ? static_cast<double>(value(name)) : s.formula();
  }
  throw std::logic_error("statistic '" + name + "' is not declared");
}

}  // namespace hvsim::base
