// The address-range monitor MONITOR arms and MWAIT consumes (SDM Vol. 2B
// MONITOR, MWAIT; sys/priv.cc). Armed until an MWAIT returns or INIT.
// Stores to the range are not watched: MWAIT does not wait (architecturally
// allowed), so nothing could observe them.
#pragma once

#include <cstdint>

namespace hvsim::core {

struct AddressMonitor {
  bool armed = false;
  uint64_t pa = 0;  // physical address of the monitored byte

  void arm(uint64_t monitored_pa) {
    pa = monitored_pa;
    armed = true;
  }
  void disarm() { armed = false; }
};

}  // namespace hvsim::core
