// StatRegistry dumps: gem5-style text and deterministic JSON, in declaration order.
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "sim/base/json.h"
#include "sim/base/stats.h"

namespace hvsim::base {

namespace {

std::string text_number(const StatRegistry& reg, const StatSpec& s) {
  char buf[64];
  if (s.counter != nullptr) {
    std::snprintf(buf, sizeof buf, "%" PRIu64, reg.value(s.name));
  } else {
    const double v = s.formula();
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    std::snprintf(buf, sizeof buf, "%.6f", v);
  }
  return buf;
}

// Shortest text that reads back as the same double; JSON has no NaN or inf.
std::string json_number(const StatRegistry& reg, const StatSpec& s) {
  if (s.counter != nullptr) return std::to_string(reg.value(s.name));
  const double v = s.formula();
  if (!std::isfinite(v)) return "null";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}


template <typename F>
void json_object(std::ostringstream& os, const char* name, const std::vector<StatSpec>& specs,
                 F value_of, bool last) {
  os << "  \"" << name << "\": {";
  for (size_t i = 0; i < specs.size(); ++i) {
    os << (i == 0 ? "\n" : ",\n") << "    " << json_string(specs[i].name) << ": "
       << value_of(specs[i]);
  }
  os << (specs.empty() ? "}" : "\n  }") << (last ? "\n" : ",\n");
}

}  // namespace

std::string StatRegistry::to_text() const {
  size_t name_width = 0, value_width = 0;
  std::vector<std::string> values;
  for (const auto& s : specs_) {
    values.push_back(text_number(*this, s));
    name_width = std::max(name_width, s.name.size());
    value_width = std::max(value_width, values.back().size());
  }
  std::ostringstream os;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const StatSpec& s = specs_[i];
    os << s.name << std::string(name_width - s.name.size() + 2, ' ')
       << std::string(value_width - values[i].size(), ' ') << values[i] << "  # " << s.description;
    if (!s.unit.empty()) os << " (" << s.unit << ")";
    os << '\n';
  }
  return os.str();
}

std::string StatRegistry::to_json() const {
  std::ostringstream os;
  os << "{\n";
  json_object(
      os, "stats", specs_, [this](const StatSpec& s) { return json_number(*this, s); }, false);
  json_object(
      os, "units", specs_, [](const StatSpec& s) { return json_string(s.unit); }, false);
  json_object(
      os, "descriptions", specs_, [](const StatSpec& s) { return json_string(s.description); },
      true);
  os << "}\n";
  return os.str();
}

}  // namespace hvsim::base
