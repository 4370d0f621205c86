// ParamRegistry: the declare-once table of every parameter.
#include "sim/base/params.h"

#include <utility>

namespace hvsim::base {

namespace {

ParamSpec make_spec(const std::string& key, ParamType type, ParamValue def, const std::string& unit,
                    const std::string& desc) {
  ParamSpec s;
  s.key = key;
  s.type = type;
  s.default_value = std::move(def);
  s.unit = unit;
  s.description = desc;
  return s;
}

}  // namespace

void ParamRegistry::add(ParamSpec spec) {
  if (spec.key.empty() || spec.key.front() == '.' || spec.key.back() == '.' ||
      spec.key.find("..") != std::string::npos) {
    throw std::logic_error("parameter key '" + spec.key + "' is not a dotted path");
  }
  if (index_.count(spec.key) != 0) {
    throw std::logic_error("parameter '" + spec.key + "' declared twice");
  }
  // A key cannot be both a value and a table: "a.b" and "a.b.c".
  for (size_t dot = spec.key.find('.'); dot != std::string::npos;
       dot = spec.key.find('.', dot + 1)) {
    if (index_.count(spec.key.substr(0, dot)) != 0) {
      throw std::logic_error("parameter '" + spec.key + "' is inside parameter '" +
                             spec.key.substr(0, dot) + "'");
    }
  }
  if (is_table(spec.key)) {
    throw std::logic_error("parameter '" + spec.key + "' is already a table of parameters");
  }
  index_.emplace(spec.key, specs_.size());
  specs_.push_back(std::move(spec));
}

void ParamRegistry::add_uint(const std::string& key, uint64_t def, const std::string& unit,
                             const std::string& desc, uint64_t min, uint64_t max) {
  if (def < min || def > max) throw std::logic_error("default of '" + key + "' out of range");
  ParamSpec s = make_spec(key, ParamType::UInt, def, unit, desc);
  s.min = static_cast<double>(min);
  s.max = static_cast<double>(max);
  add(std::move(s));
}

void ParamRegistry::add_int(const std::string& key, int64_t def, const std::string& unit,
                            const std::string& desc, int64_t min, int64_t max) {
  if (def < min || def > max) throw std::logic_error("default of '" + key + "' out of range");
  ParamSpec s = make_spec(key, ParamType::Int, def, unit, desc);
  s.min = static_cast<double>(min);
  s.max = static_cast<double>(max);
  add(std::move(s));
}

void ParamRegistry::add_double(const std::string& key, double def, const std::string& unit,
                               const std::string& desc, double min, double max) {
  if (!(def >= min && def <= max)) throw std::logic_error("default of '" + key + "' out of range");
  ParamSpec s = make_spec(key, ParamType::Double, def, unit, desc);
  s.min = min;
  s.max = max;
  add(std::move(s));
}

void ParamRegistry::add_bool(const std::string& key, bool def, const std::string& desc) {
  add(make_spec(key, ParamType::Bool, def, "", desc));
}

void ParamRegistry::add_string(const std::string& key, const std::string& def,
                               const std::string& desc, std::vector<std::string> choices) {
  ParamSpec s = make_spec(key, ParamType::String, def, "", desc);
  s.choices = std::move(choices);
  bool ok = s.choices.empty();
  for (const auto& c : s.choices) ok = ok || c == def;
  if (!ok) throw std::logic_error("default of '" + key + "' is not one of its choices");
  add(std::move(s));
}

const ParamSpec* ParamRegistry::find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

bool ParamRegistry::is_table(const std::string& prefix) const {
  const std::string p = prefix + ".";
  auto it = index_.lower_bound(p);
  return it != index_.end() && it->first.compare(0, p.size(), p) == 0;
}

}  // namespace hvsim::base
