// One-line loader errors: "<file>: <problem>".
#pragma once

#include <cstdio>
#include <string>

#include "sim/platform/simulation.h"

namespace hvsim::platform {

[[noreturn]] inline void load_fail(const std::string& path, const std::string& what) {
  throw LoadError(path + ": " + what);
}

inline std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace hvsim::platform
