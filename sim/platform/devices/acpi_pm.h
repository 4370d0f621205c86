// The ACPI fixed hardware the FADT points at (ACPI 6.4, 4.8 "ACPI Hardware
// Specification"), at I/O ports firmware::kPmBase..+12:
//   +0 PM1_STS (16 bits, write 1 to clear)   +2 PM1_EN (16 bits)
//   +4 PM1_CNT (16 bits): SCI_EN (bit 0) reads 1, as the FADT has no
//      SMI_CMD (always in ACPI mode); SLP_TYP (12:10), SLP_EN (13, write-only)
//   +8 PM_TMR (32 bits, read-only): 3.579545 MHz from the CPU's cycle clock.
// Writing SLP_EN with SLP_TYP = firmware::kS5SlpTyp enters S5 (soft off):
// the on_soft_off callback ends the run. Other sleep states are ignored
// (no S1-S4 objects in the DSDT). No status bit is ever raised, so the SCI
// is never asserted (the 32-bit timer wraps after 20 minutes; TMR_STS is
// not modelled).
#pragma once

#include <cstdint>
#include <functional>

#include "sim/platform/device.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class AcpiPm : public RegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kSciEn = 1u << 0, kSlpEn = 1u << 13;
  static constexpr unsigned kSlpTypShift = 10;

  // now_cycles is the CPU's cycle clock at hz.
  AcpiPm(std::function<uint64_t()> now_cycles, uint64_t hz,
         std::function<void(unsigned slp_typ)> on_soft_off);

  uint32_t read(uint64_t offset, unsigned len) override;
  void write(uint64_t offset, uint32_t value, unsigned len) override;

  uint32_t timer() const;  // PM_TMR
  uint64_t timer_reads = 0;

 private:
  uint8_t read8(uint64_t offset) const;
  void write8(uint64_t offset, uint8_t value);

  std::function<uint64_t()> now_cycles_;
  uint64_t hz_;
  std::function<void(unsigned)> on_soft_off_;
  uint16_t sts_ = 0, en_ = 0, cnt_ = kSciEn;
};

}  // namespace hvsim::platform
