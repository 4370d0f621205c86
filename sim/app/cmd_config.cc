#include "sim/app/cmd_config.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include "sim/app/param_registry_all.h"
#include "sim/app/resolve_config.h"
#include "sim/base/exit_status.h"
#include "sim/base/param_value.h"

namespace hvsim::app {

namespace {

using Row = std::array<std::string, 5>;

std::string description_of(const base::ParamSpec& spec) {
  std::string d = spec.description;
  if (!spec.choices.empty()) {
    d += " (one of:";
    for (const auto& c : spec.choices) d += " " + c;
    d += ")";
  }
  return d;
}

}  // namespace

std::string param_table(const base::ParamRegistry& reg) {
  std::vector<Row> rows{{"KEY", "TYPE", "DEFAULT", "UNIT", "DESCRIPTION"}};
  for (const auto& spec : reg.all()) {
    rows.push_back({spec.key, std::string(base::type_name(spec.type)),
                    base::format_value(spec.default_value), spec.unit, description_of(spec)});
  }
  std::array<size_t, 5> width{};
  for (const Row& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const Row& r : rows) {
    for (size_t i = 0; i + 1 < r.size(); ++i)
      out += r[i] + std::string(width[i] - r[i].size() + 2, ' ');
    out += r.back() + "\n";
  }
  return out;
}

int config_list_command(const ConfigArgs&) {
  base::ParamRegistry reg;
  declare_all_params(reg);
  std::fputs(param_table(reg).c_str(), stdout);
  return base::kExitOk;
}

int config_show_command(const ConfigArgs& args) {
  base::ParamRegistry reg;
  declare_all_params(reg);
  base::Config cfg(reg);
  resolve_config(cfg, args.file, args.sets);
  std::fputs(cfg.to_toml().c_str(), stdout);
  return base::kExitOk;
}

}  // namespace hvsim::app
