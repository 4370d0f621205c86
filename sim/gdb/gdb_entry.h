// What `hvsim run --gdb PORT` hands the platform: a factory that puts a gdb
// stub (stub.h) on the CPU before the simulation starts. Kept apart from
// stub.h so the command line needs neither SystemC nor the core.
#pragma once

#include <cstdint>

#include "sim/platform/simulation.h"

namespace hvsim::gdb {

decltype(platform::RunSpec::run_control) make_run_control(uint16_t port);

}  // namespace hvsim::gdb
