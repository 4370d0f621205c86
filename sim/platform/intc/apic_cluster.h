// The system bus between the local APICs and the I/O APIC of a
// multiprocessor (SDM Vol. 3 11.6 "Issuing interprocessor interrupts",
// 11.6.2 "Determining IPI destination", 11.6.2.4 "Lowest priority
// delivery"): an interrupt message goes to every local APIC its destination
// selects; a lowest-priority message goes to exactly one of them. The ICR's
// destination shorthands (self, all including self, all excluding self) are
// resolved here, against the sending APIC.
//
// Lowest priority picks the selected APIC with the lowest arbitration
// priority (APR, 11.8.3.1); a tie goes to the lowest APIC ID. Hardware
// breaks ties by a rotating arbitration ID or a "focus" processor; the
// fixed rule keeps runs deterministic.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/platform/intc/apic_bus.h"
#include "sim/platform/intc/local_apic.h"

namespace hvsim::platform::intc {

class ApicCluster : public ApicBus {
 public:
  void add(LocalApic& apic) { apics_.push_back(&apic); }
  size_t size() const { return apics_.size(); }
  LocalApic& apic(size_t i) { return *apics_[i]; }

  // From the I/O APIC (or any message source without a shorthand).
  bool deliver(const ApicMessage& m) override;
  // From a local APIC's ICR (LocalApic::set_ipi_sender): shorthand is
  // ICR[19:18] (0 none, 1 self, 2 all including self, 3 all excluding self).
  void send_ipi(LocalApic& from, const ApicMessage& m, unsigned shorthand);

  // ICR messages some APIC accepted, all APICs together.
  uint64_t ipis_delivered = 0;

 private:
  // Delivers `m` to `to` alone (destination rewritten to its physical ID).
  bool deliver_to(LocalApic& to, ApicMessage m);
  // The APIC a lowest-priority message goes to, or null when none matches.
  LocalApic* pick_lowest(const ApicMessage& m);

  std::vector<LocalApic*> apics_;
};

}  // namespace hvsim::platform::intc
