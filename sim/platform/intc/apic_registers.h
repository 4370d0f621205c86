// The local APIC registers the core reaches without the memory bus
// (core::ApicRegisters): IA32_APIC_BASE (0x1b), IA32_TSC_DEADLINE (0x6e0),
// the x2APIC MSRs 0x800-0x8ff (SDM Vol. 3 11.12.1) and CR8 as TPR[7:4]
// (11.8.6). A thin adapter over LocalApic, which decides what faults.
#pragma once

#include <cstdint>
#include <functional>

#include "sim/core/interrupt_source.h"
#include "sim/platform/intc/local_apic.h"

namespace hvsim::platform::intc {

class LocalApicRegisters : public core::ApicRegisters {
 public:
  explicit LocalApicRegisters(LocalApic& apic) : apic_(apic) {}

  bool handles_msr(uint32_t msr) const override { return LocalApic::handles_msr(msr); }
  bool read_msr(uint32_t msr, uint64_t& value) override;
  bool write_msr(uint32_t msr, uint64_t value) override;
  // CR8[3:0] = TPR[7:4]; a CR8 write clears TPR[3:0] (11.8.6.1).
  uint8_t cr8() const override { return uint8_t(apic_.tpr() >> 4); }
  void set_cr8(uint8_t v) override { apic_.set_tpr(uint8_t((v & 0xf) << 4)); }
  void eoi() override { apic_.eoi(); }
  void performance_interrupt(bool mask_after) override {
    apic_.performance_counter_interrupt(mask_after);
  }
  // Where a PMU overflow deadline goes (System: the CPU ends its quantum there).
  void set_performance_deadline_listener(std::function<void(uint64_t)> f) {
    perf_deadline_ = std::move(f);
  }
  void performance_deadline(uint64_t cycle) override {
    if (perf_deadline_) perf_deadline_(cycle);
  }

 private:
  LocalApic& apic_;
  std::function<void(uint64_t)> perf_deadline_;
};

}  // namespace hvsim::platform::intc
