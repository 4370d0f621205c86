// A restored run's time base (docs/checkpoint.md, "The time base"): SystemC
// time cannot be set back, so SystemC time 0 of a run restored from a
// checkpoint stands for `ps` picoseconds of the run that wrote it. One per
// machine, owned by the System; every CPU module (Cpu::kernel_cycles) and
// every timer host (deadline cycle -> sc_time) reads this one value.
#pragma once

#include <cstdint>

#include <systemc>

namespace hvsim::platform {

struct TimeBase {
  uint64_t ps = 0;  // 0 in a run that did not start from a checkpoint
  // The SystemC kernel's time with the base added (ps).
  uint64_t now_ps() const { return sc_core::sc_time_stamp().value() + ps; }
  static const TimeBase& none() {
    static const TimeBase zero;
    return zero;
  }
};

}  // namespace hvsim::platform
