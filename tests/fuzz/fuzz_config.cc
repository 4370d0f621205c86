// Fuzz target (b): the TOML config parser, `--set key=value` and `--vary`.
// Input: TOML text, then NUL-separated arguments: "--vary SPEC" is a sweep
// axis, anything else a --set. Checks: only ConfigError escapes (anything
// else is "internal error" in hvsim); an accepted config prints as TOML that
// loads back to the very same text; an accepted sweep grid is within its cap.
#include <string>
#include <vector>

#include "sim/app/param_registry_all.h"
#include "sim/app/sweep_grid.h"
#include "sim/base/params.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using hvsim::fuzz::fail;
namespace base = hvsim::base;
namespace app = hvsim::app;

const base::ParamRegistry& registry() {
  static const base::ParamRegistry reg = [] {
    base::ParamRegistry r;
    app::declare_all_params(r);
    return r;
  }();
  return reg;
}

std::vector<std::string> split_nul(const uint8_t* data, size_t size) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      if (parts.size() == 16) break;  // enough arguments for one input
      parts.emplace_back();
    } else {
      parts.back().push_back(static_cast<char>(data[i]));
    }
  }
  return parts;
}

void write_seeds(const std::string& dir) {
  base::Config defaults(registry());
  hvsim::fuzz::write_seed(dir, "defaults", hvsim::fuzz::bytes_of(defaults.to_toml()));
  using namespace std::string_literals;  // "..."s keeps the NULs
  const std::string sets =
      "[memory]\nsize_mib = 256\n\0cpu.vendor=AuthenticAMD\0platform.cpu_mhz=0x10_00\0"
      "--vary memory.size_mib=64:256:64\0--vary platform.quantum_cycles=1,100,10_000"s;
  hvsim::fuzz::write_seed(dir, "sets-and-varies", hvsim::fuzz::bytes_of(sets));
  const std::string decimals =
      "\0--vary platform.cpu_mhz=0.5:2:0.25\0--vary memory.size_mib=-5:5:1\0memory.size_mib"s;
  hvsim::fuzz::write_seed(dir, "decimal-range", hvsim::fuzz::bytes_of(decimals));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hvsim::fuzz::maybe_write_seeds(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = split_nul(data, size);
  base::Config cfg(registry());
  std::vector<app::SweepAxis> axes;
  try {
    cfg.load_string(parts[0], "fuzz.toml");
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i].rfind("--vary ", 0) == 0) {
        axes.push_back(app::parse_vary(parts[i].substr(7)));
      } else {
        cfg.set_override(parts[i]);
      }
    }
    app::check_axes(axes, registry());
    const uint64_t points = app::grid_size(axes);
    if (points > app::kMaxGridPoints) fail("grid above its cap accepted");
  } catch (const base::ConfigError&) {
    return 0;  // bad input, reported as one line with status 2
  }
  const std::string text = cfg.to_toml();
  base::Config again(registry());
  try {
    again.load_string(text, "resolved");
  } catch (const base::ConfigError& e) {
    fail(std::string("resolved TOML does not load back: ") + e.what());
  }
  if (again.to_toml() != text) fail("resolved TOML changes when loaded back");
  return 0;
}
