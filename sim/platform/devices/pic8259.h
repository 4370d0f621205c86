// One Intel 8259A programmable interrupt controller (8259A datasheet,
// "Programming the 8259A"): the master sits at 0x20/0x21, the slave at
// 0xa0/0xa1. It accepts the initialization sequence ICW1..ICW4 and the
// operation commands OCW1 (mask, read back at the data port), OCW2 (EOI,
// rotation: accepted) and OCW3 (choose IRR or ISR for command-port reads).
// No interrupt lines yet: IRR and ISR stay 0.
#pragma once

#include <cstdint>

#include "sim/platform/device.h"

namespace hvsim::platform {

class Pic8259 : public ByteRegisterDevice {
 public:
  static constexpr uint16_t kMasterBase = 0x20, kSlaveBase = 0xa0;
  static constexpr uint64_t kSize = 2;

  uint8_t imr() const { return imr_; }
  uint8_t vector_base() const { return vector_base_; }  // ICW2, bits 7:3
  bool initialized() const { return init_step_ == kReady; }

 protected:
  uint8_t read8(uint64_t offset) override;
  void write8(uint64_t offset, uint8_t value) override;

 private:
  enum Step : uint8_t { kReady, kWantIcw2, kWantIcw3, kWantIcw4 };
  void write_command(uint8_t v);
  void write_data(uint8_t v);

  Step init_step_ = kReady;
  bool single_ = false, need_icw4_ = false;
  bool read_isr_ = false;  // OCW3 RR/RIS
  uint8_t imr_ = 0, irr_ = 0, isr_ = 0;
  uint8_t vector_base_ = 0, icw3_ = 0, icw4_ = 0;
};

}  // namespace hvsim::platform
