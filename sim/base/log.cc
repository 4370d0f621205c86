#include "sim/base/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <array>
#include <memory>

#include "sim/base/params.h"

namespace hvsim::base {

namespace {

constexpr std::array kNames = {
#define HVSIM_LOG_NAME(name) std::string_view(#name),
    HVSIM_LOG_COMPONENTS(HVSIM_LOG_NAME)
#undef HVSIM_LOG_NAME
};

// "[warning] cpu: message": no time stamps, so logs are deterministic.
constexpr const char* kPattern = "[%l] %n: %v";

std::array<std::shared_ptr<spdlog::logger>, kNames.size()>& loggers() {
  static std::array<std::shared_ptr<spdlog::logger>, kNames.size()> all = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    std::array<std::shared_ptr<spdlog::logger>, kNames.size()> made;
    for (size_t i = 0; i < kNames.size(); ++i) {
      made[i] = std::make_shared<spdlog::logger>(std::string(kNames[i]), sink);
      made[i]->set_pattern(kPattern);
      made[i]->set_level(kDefaultLogLevel);
      made[i]->flush_on(spdlog::level::warn);
    }
    return made;
  }();
  return all;
}

std::optional<spdlog::level::level_enum> level_from_name(std::string_view name) {
  using spdlog::level::level_enum;
  static constexpr std::pair<std::string_view, level_enum> kLevels[] = {
      {"trace", level_enum::trace},       {"debug", level_enum::debug},  {"info", level_enum::info},
      {"warn", level_enum::warn},         {"warning", level_enum::warn}, {"error", level_enum::err},
      {"critical", level_enum::critical}, {"off", level_enum::off},
  };
  for (const auto& [n, l] : kLevels) {
    if (n == name) return l;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view component_name(Component c) {
  return kNames[static_cast<size_t>(c)];
}

std::optional<Component> component_from_name(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Component>(i);
  }
  return std::nullopt;
}

std::string component_list() {
  std::string out;
  for (auto n : kNames) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

spdlog::logger& log(Component c) {
  return *loggers()[static_cast<size_t>(c)];
}

spdlog::logger& logger(std::string_view name) {
  auto c = component_from_name(name);
  if (!c) throw std::logic_error("no logging component '" + std::string(name) + "'");
  return log(*c);
}

LogSpec parse_log_spec(std::string_view spec) {
  LogSpec out;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    const std::string where = "--log " + std::string(item);
    const size_t eq = item.find('=');
    // A bare level ("debug") means every component.
    const std::string_view name = eq == std::string_view::npos ? "*" : trim(item.substr(0, eq));
    const std::string_view level_text =
        eq == std::string_view::npos ? item : trim(item.substr(eq + 1));
    const auto level = level_from_name(level_text);
    if (!level) {
      throw ConfigError(where + ": unknown level '" + std::string(level_text) +
                        "' (trace, debug, info, warn, error, critical, off)");
    }
    if (name == "*") {
      out.all = *level;
      continue;
    }
    const auto c = component_from_name(name);
    if (!c) {
      throw ConfigError(where + ": unknown component '" + std::string(name) + "' (" +
                        component_list() + ", *)");
    }
    out.components[*c] = *level;
  }
  return out;
}

void apply_log_spec(const LogSpec& spec) {
  if (spec.all) {
    for (auto& l : loggers()) l->set_level(*spec.all);
  }
  for (const auto& [c, level] : spec.components) log(c).set_level(level);
}

void configure_logging(std::string_view spec) {
  apply_log_spec(parse_log_spec(spec));
}

}  // namespace hvsim::base
