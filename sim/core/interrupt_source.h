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
  // An INIT is pending (SDM Vol. 3 10.1 / 11.6.1 INIT delivery mode; cleared by
  // take_init, which also applies the controller's own INIT response).
  virtual bool init_pending() const { return false; }
  virtual void take_init() {}
  // An SMI is pending (SMI delivery mode, SDM Vol. 3 11.6.1; cleared by
  // take_smi). SMM is not modelled: the core drops it unless a guest's
  // intercept turns it into an exit.
  virtual bool smi_pending() const { return false; }
  virtual void take_smi() {}
};

// The local APIC registers the core reaches without the memory bus (SDM Vol. 3
// 11.8.6 CR8 as TPR; 11.12 x2APIC MSRs; IA32_APIC_BASE; IA32_TSC_DEADLINE).
class ApicRegisters {
 public:
  virtual ~ApicRegisters() = default;
  virtual bool handles_msr(uint32_t msr) const = 0;
  // false: the access raises #GP(0).
  virtual bool read_msr(uint32_t msr, uint64_t& value) = 0;
  virtual bool write_msr(uint32_t msr, uint64_t value) = 0;
  // CR8[3:0] is TPR[7:4].
  virtual uint8_t cr8() const = 0;
  virtual void set_cr8(uint8_t v) = 0;
  // A performance counter overflowed with its interrupt enabled: the LVT
  // performance-counter entry fires (11.5.1); `mask_after` sets its mask bit.
  virtual void performance_interrupt(bool /*mask_after*/) {}
  // The counters were reprogrammed: the next overflow interrupt may come at
  // core cycle `cycle`, so the platform should stop the core by then.
  virtual void performance_deadline(uint64_t /*cycle*/) {}
  // An EOI as the EOI register write makes it (VMX posted-interrupt
  // processing dismisses the notification this way, SDM Vol. 3 29.6).
  virtual void eoi() {}
};

}  // namespace hvsim::core
