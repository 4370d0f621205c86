#include "sim/platform/intc/pc_irq.h"

#include "sim/platform/intc/local_apic.h"

namespace hvsim::platform::intc {

PcIrqRouter::PcIrqRouter(Pic8259& master, Pic8259& slave, IoApic& ioapic, LocalApic* lapic)
    : master_(master), slave_(slave), ioapic_(ioapic) {
  master_.attach_slave(slave_, Pic8259::kCascadeLine);
  if (lapic) {
    master_.set_output([lapic](bool level) { lapic->set_lint(0, level); });
    lapic->set_ext_int(this);
  }
}

void PcIrqRouter::set_irq(unsigned isa_irq, bool level) {
  if (isa_irq >= kIsaIrqs) return;
  if (level && !level_[isa_irq]) ++raised[isa_irq];
  level_[isa_irq] = level;
  if (isa_irq < 8)
    master_.set_irq(isa_irq, level);
  else
    slave_.set_irq(isa_irq - 8, level);
  if (isa_irq != 2) ioapic_.set_pin(ioapic_pin(isa_irq), level);
}

}  // namespace hvsim::platform::intc
