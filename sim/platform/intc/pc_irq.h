// The PC's ISA interrupt wiring (as QEMU's pc machine): ISA IRQ n goes to the
// 8259 pair (0-7 master, 8-15 slave, the slave's INT on master IR2) and to
// I/O APIC pin n, except IRQ 0 (the PIT) which reaches pin 2 (the MP/ACPI
// interrupt source override; pin 0 stays free) and IRQ 2 (the cascade),
// which has no I/O APIC pin. The master's INT drives the local APIC's LINT0,
// and the pair is the local APIC's ExtINT controller.
#pragma once

#include <array>
#include <cstdint>

#include "sim/platform/devices/pic8259.h"
#include "sim/platform/intc/apic_bus.h"
#include "sim/platform/intc/io_apic.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform::intc {

class LocalApic;

class PcIrqRouter : public ExtIntController {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr unsigned kIsaIrqs = 16;
  // Connects slave to master (IR2) and, when `lapic` is given, the master's
  // INT to LINT0 and the pair as its ExtINT controller.
  PcIrqRouter(Pic8259& master, Pic8259& slave, IoApic& ioapic, LocalApic* lapic);

  static unsigned ioapic_pin(unsigned isa_irq) { return isa_irq == 0 ? 2 : isa_irq; }
  void set_irq(unsigned isa_irq, bool level);

  // ExtIntController: the master answers INTA (and asks the slave).
  bool int_output() const override { return master_.int_output(); }
  int peek_vector() const override { return master_.peek_vector(); }
  int inta() override { return master_.inta(); }

  std::array<uint64_t, kIsaIrqs> raised{};  // rising edges per ISA IRQ

 private:
  Pic8259& master_;
  Pic8259& slave_;
  IoApic& ioapic_;
  std::array<bool, kIsaIrqs> level_{};
};

}  // namespace hvsim::platform::intc
