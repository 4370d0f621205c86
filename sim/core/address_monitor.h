// The address-range monitor MONITOR arms and MWAIT consumes (SDM Vol. 2B
// MONITOR, MWAIT; sys/priv.cc). Armed until an MWAIT returns or INIT. On a
// uniprocessor stores are not watched and MWAIT returns at once
// (architecturally allowed). On a multiprocessor (coherence.h) a store by
// any core into the 64-byte line sets `triggered`, and MWAIT sleeps until
// then (or an interrupt).
#pragma once

#include <cstdint>

namespace hvsim::core {

struct AddressMonitor {
  bool armed = false;
  bool triggered = false;  // a store hit the line since MONITOR
  bool sleeping = false;   // in MWAIT (multiprocessor): halted until woken
  bool break_masked = false;  // that MWAIT's ECX[0]: interrupts wake it even with IF = 0
  uint64_t pa = 0;         // physical address of the monitored byte

  void arm(uint64_t monitored_pa) {
    pa = monitored_pa;
    armed = true;
    triggered = false;
  }
  void disarm() { armed = false; }
};

}  // namespace hvsim::core
