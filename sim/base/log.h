// Logging: one spdlog logger per component, all writing to stderr (stdout
// carries only the guest's serial output), with no wall-clock timestamps so
// that two runs log the same text. Levels are set per component with a spec
// such as "cpu=debug,mmu=trace,*=warn" (--log).
#pragma once

#include <spdlog/spdlog.h>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hvsim::base {

// The one list of components that log.
#define HVSIM_LOG_COMPONENTS(X) \
  X(cpu)                        \
  X(mmu) X(decode) X(platform) X(loader) X(uart) X(vmx) X(svm) X(virt) X(timing) X(app) X(ext)

enum class Component {
#define HVSIM_LOG_ENUM(name) name,
  HVSIM_LOG_COMPONENTS(HVSIM_LOG_ENUM)
#undef HVSIM_LOG_ENUM
};

inline constexpr spdlog::level::level_enum kDefaultLogLevel = spdlog::level::warn;

std::string_view component_name(Component c);
std::optional<Component> component_from_name(std::string_view name);
std::string component_list();  // "cpu, mmu, ..." for messages

// The component's logger; logger() throws std::logic_error for an unknown name.
spdlog::logger& log(Component c);
spdlog::logger& logger(std::string_view name);

// A parsed --log spec: a level for '*' (every component not named) and per component.
struct LogSpec {
  std::optional<spdlog::level::level_enum> all;
  std::map<Component, spdlog::level::level_enum> components;
};

// Throws ConfigError naming the bad item: "--log cpu=loud: unknown level 'loud' (...)".
LogSpec parse_log_spec(std::string_view spec);
// Parses and applies: components not named (and no '*') keep their level.
void configure_logging(std::string_view spec);
void apply_log_spec(const LogSpec& spec);

}  // namespace hvsim::base
