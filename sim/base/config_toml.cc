// Config::load_file / load_string: a TOML document whose nested tables are
// the dotted parameter keys. Every value is checked before any is applied.
#include <toml++/toml.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "sim/base/param_value.h"
#include "sim/base/params.h"

namespace hvsim::base {

namespace {

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string where(const std::string& origin, const toml::node& node) {
  const auto& src = node.source();
  if (src.begin.line == 0) return origin;
  return origin + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

[[noreturn]] void wrong_type(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::UInt:
      throw ConfigError("expected an unsigned integer");
    case ParamType::Int:
      throw ConfigError("expected an integer");
    case ParamType::Double:
      throw ConfigError("expected a number");
    case ParamType::Bool:
      throw ConfigError("expected true or false");
    case ParamType::String:
      throw ConfigError("expected a string");
  }
  throw ConfigError("unsupported type");
}

// Integers may also be written as strings ("0xffff_ffff", beyond INT64_MAX).
ParamValue convert(const ParamSpec& spec, const toml::node& node) {
  const bool integral = spec.type == ParamType::UInt || spec.type == ParamType::Int;
  if (integral && node.is_integer()) {
    return parse_value_text(spec, std::to_string(*node.value<int64_t>()));
  }
  if (integral && node.is_string()) return parse_value_text(spec, *node.value<std::string>());
  if (spec.type == ParamType::Double && node.is_number()) return *node.value<double>();
  if (spec.type == ParamType::Bool && node.is_boolean()) return *node.value<bool>();
  if (spec.type == ParamType::String && node.is_string()) return *node.value<std::string>();
  wrong_type(spec);
}

std::string written(const toml::node& node) {
  std::ostringstream os;
  node.visit([&os](const auto& n) { os << n; });
  return one_line(os.str());
}

void collect(const ParamRegistry& reg, const toml::table& table, const std::string& prefix,
             const std::string& origin, std::map<std::string, ParamValue>& out) {
  for (const auto& [k, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const ParamSpec* spec = reg.find(key)) {
      try {
        ParamValue v = convert(*spec, node);
        check_value(*spec, v);
        out[key] = std::move(v);
      } catch (const ConfigError& e) {
        throw ConfigError(where(origin, node) + ": " + key + " = " + written(node) + ": " +
                          e.what());
      }
    } else if (node.is_table() && reg.is_table(key)) {
      collect(reg, *node.as_table(), key, origin, out);
    } else {
      throw ConfigError(where(origin, node) + ": unknown key '" + key + "'");
    }
  }
}

}  // namespace

void Config::load_string(const std::string& toml_text, const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(origin + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                      ": " + one_line(std::string(e.description())));
  }
  std::map<std::string, ParamValue> parsed;
  collect(reg_, doc, "", origin, parsed);
  for (auto& [k, v] : parsed) values_[k] = std::move(v);
}

void Config::load_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw ConfigError(path + ": no such file");
  if (!std::filesystem::is_regular_file(path, ec)) throw ConfigError(path + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw ConfigError(path + ": cannot read file");
  load_string(text.str(), path);
}

}  // namespace hvsim::base
