// What the core asks of the interrupt controller (the local APIC, or the 8259
// in virtual-wire mode) at instruction boundaries (SDM Vol. 3 6.8, 11.8).
#pragma once

#include <cstdint>

namespace hvsim::core {

class InterruptSource {
 public:
  virtual ~InterruptSource() = default;
  // The vector of the highest-priority maskable interrupt that the controller
  // would deliver now (IRR above PPR), or -1. Does not change state.
  virtual int pending_vector() const = 0;
  // The core takes that interrupt (INTA): IRR -> ISR. Returns the vector.
  virtual int acknowledge() = 0;
  // An NMI is pending (edge-triggered; cleared by take_nmi).
  virtual bool nmi_pending() const = 0;
  virtual void take_nmi() = 0;
};

}  // namespace hvsim::core
