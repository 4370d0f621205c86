// Config::to_toml: every declared parameter with its value in force, one
// table per key prefix, tables in the order their first key was declared.
#include <sstream>
#include <utility>

#include "sim/base/param_value.h"
#include "sim/base/params.h"

namespace hvsim::base {

namespace {

bool is_bare_key(const std::string& part) {
  if (part.empty()) return false;
  for (char c : part) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string toml_key(const std::string& part) {
  return is_bare_key(part) ? part : toml_quoted(part);
}

std::string toml_path(const std::string& dotted) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    out += toml_key(dotted.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    out += '.';
    start = dot + 1;
  }
}

void emit_param(std::ostringstream& os, const ParamSpec& spec, const std::string& name,
                const ParamValue& value) {
  os << "# " << (spec.unit.empty() ? "" : spec.unit + ": ") << spec.description;
  if (!spec.choices.empty()) {
    os << " (one of:";
    for (const auto& c : spec.choices) os << ' ' << c;
    os << ')';
  }
  os << '\n' << toml_key(name) << " = " << toml_literal(value) << '\n';
}

}  // namespace

std::string Config::to_toml() const {
  // table path -> its parameters, tables kept in first-declaration order
  std::vector<std::pair<std::string, std::vector<const ParamSpec*>>> tables;
  std::map<std::string, size_t> table_index;
  for (const auto& spec : reg_.all()) {
    const size_t dot = spec.key.rfind('.');
    const std::string table = dot == std::string::npos ? "" : spec.key.substr(0, dot);
    auto [it, fresh] = table_index.emplace(table, tables.size());
    if (fresh) tables.push_back({table, {}});
    tables[it->second].second.push_back(&spec);
  }
  std::ostringstream os;
  os << "# hvsim configuration: every parameter with the value in force.\n";
  // Top-level keys must precede every [table] header.
  if (auto it = table_index.find(""); it != table_index.end()) {
    for (const ParamSpec* spec : tables[it->second].second) {
      os << '\n';
      emit_param(os, *spec, spec->key, value(spec->key));
    }
  }
  for (const auto& [table, specs] : tables) {
    if (table.empty()) continue;
    os << "\n[" << toml_path(table) << "]\n";
    for (size_t i = 0; i < specs.size(); ++i) {
      if (i != 0) os << '\n';
      emit_param(os, *specs[i], specs[i]->key.substr(table.size() + 1), value(specs[i]->key));
    }
  }
  return os.str();
}

}  // namespace hvsim::base
