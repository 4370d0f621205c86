// Why Core::run() returned to its caller (the SystemC CPU thread).
#pragma once

#include <cstdint>

namespace hvsim::core {

enum class RunExit : uint8_t {
  kBudget,        // the cycle budget of this quantum is used up
  kStopRequested, // request_stop() was called (e.g. the debug-exit port)
  kHalted,        // HLT with IF=1: wait for an interrupt, then call run() again
  kHaltedForever, // HLT with IF=0 and no NMI source: the CPU can never wake
  kTripleFault,   // shutdown outside guest mode
  kInsnLimit,     // the instruction limit set with set_insn_limit() is reached
  kWaitForSipi,   // INIT was taken: the core waits for a STARTUP IPI (start_at_sipi)
};

}  // namespace hvsim::core
