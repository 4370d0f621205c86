#include "sim/platform/intc/apic_registers.h"

namespace hvsim::platform::intc {

bool LocalApicRegisters::read_msr(uint32_t msr, uint64_t& value) {
  return apic_.read_msr(msr, value) == MsrStatus::kOk;
}

bool LocalApicRegisters::write_msr(uint32_t msr, uint64_t value) {
  return apic_.write_msr(msr, value) == MsrStatus::kOk;
}

}  // namespace hvsim::platform::intc
