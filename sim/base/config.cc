// Config: the value in force for every declared parameter, and --set.
#include <utility>

#include "sim/base/param_value.h"
#include "sim/base/params.h"

namespace hvsim::base {

Config::Config(const ParamRegistry& reg) : reg_(reg) {
  for (const auto& spec : reg.all()) values_.emplace(spec.key, spec.default_value);
}

void Config::set_override(const std::string& key_eq_value) {
  const std::string where = "--set " + key_eq_value;
  const auto eq = key_eq_value.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError(where + ": expected key=value");
  const std::string key = key_eq_value.substr(0, eq);
  const ParamSpec* spec = reg_.find(key);
  if (spec == nullptr) throw ConfigError(where + ": unknown key '" + key + "'");
  try {
    ParamValue v = parse_value_text(*spec, std::string_view(key_eq_value).substr(eq + 1));
    check_value(*spec, v);
    values_[key] = std::move(v);
  } catch (const ConfigError& e) {
    throw ConfigError(where + ": " + e.what());
  }
}

const ParamValue& Config::value(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::logic_error("parameter '" + key + "' is not declared");
  return it->second;
}

const ParamValue& Config::checked(const std::string& key, ParamType type) const {
  const ParamSpec* spec = reg_.find(key);
  if (spec == nullptr) throw std::logic_error("parameter '" + key + "' is not declared");
  if (spec->type != type) {
    throw std::logic_error("parameter '" + key + "' is " + std::string(type_name(spec->type)) +
                           ", read as " + std::string(type_name(type)));
  }
  return value(key);
}

uint64_t Config::get_uint(const std::string& key) const {
  return std::get<uint64_t>(checked(key, ParamType::UInt));
}
int64_t Config::get_int(const std::string& key) const {
  return std::get<int64_t>(checked(key, ParamType::Int));
}
double Config::get_double(const std::string& key) const {
  return std::get<double>(checked(key, ParamType::Double));
}
bool Config::get_bool(const std::string& key) const {
  return std::get<bool>(checked(key, ParamType::Bool));
}
const std::string& Config::get_string(const std::string& key) const {
  return std::get<std::string>(checked(key, ParamType::String));
}

}  // namespace hvsim::base
