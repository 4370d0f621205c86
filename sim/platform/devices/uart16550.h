// COM1: a National Semiconductor PC16550D UART as the PC sees it at 0x3f8
// (8 byte registers, PC16550D datasheet table 2 "Register Addresses").
// Transmitted bytes go to a SerialSink at once (the line never backs up, so
// LSR always reports THRE|TEMT); nothing is ever received except in loopback
// mode (MCR bit 4). Interrupts (datasheet table 4, "Interrupt Control
// Functions"): received data (IER bit 0, loopback only) and THR empty
// (IER bit 1) are identified in IIR by priority; the THRE interrupt is set
// when THR empties (at once: transmission is instant) and when ETBEI is
// enabled with THR empty, and cleared by reading IIR while it is the source
// or by writing THR. No line-status or modem-status interrupt ever becomes
// pending (no errors, no modem). The PC gates the INTR output with MCR
// OUT2 (bit 3): the IRQ line is INTR && OUT2.
#pragma once

#include <cstdint>
#include <functional>

#include "sim/platform/device.h"
#include "sim/platform/devices/serial_sink.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class Uart16550 : public ByteRegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kCom1Base = 0x3f8;
  static constexpr uint64_t kSize = 8;

  // Register offsets (DLAB = LCR bit 7 selects DLL/DLM at 0/1).
  enum Reg : uint8_t {
    RBR_THR_DLL = 0,
    IER_DLM = 1,
    IIR_FCR = 2,
    LCR = 3,
    MCR = 4,
    LSR = 5,
    MSR = 6,
    SCR = 7
  };
  // LSR bits: data ready, THR empty, transmitter empty.
  static constexpr uint8_t kLsrDr = 0x01, kLsrThre = 0x20, kLsrTemt = 0x40;

  explicit Uart16550(SerialSink& sink) : sink_(&sink) {}
  // The IRQ line (ISA IRQ 4 for COM1), called when its level changes.
  void set_irq_output(std::function<void(bool)> irq) { irq_ = std::move(irq); }
  bool irq_level() const { return irq_level_; }

  uint64_t bytes_written = 0;  // bytes sent to the sink (stat "platform.uart.bytes_written")

 protected:
  uint8_t read8(uint64_t offset) override;
  void write8(uint64_t offset, uint8_t value) override;

 private:
  bool dlab() const { return lcr_ & 0x80; }
  bool loopback() const { return mcr_ & 0x10; }
  uint8_t modem_status() const;
  uint8_t interrupt_id() const;  // IIR bits 3:0
  void update_irq();

  SerialSink* sink_;
  uint8_t rbr_ = 0;
  bool data_ready_ = false;
  uint8_t ier_ = 0, fcr_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0;
  uint8_t dll_ = 0x0c, dlm_ = 0;  // 9600 baud at 1.8432 MHz, the BIOS default
  bool thre_pending_ = false;     // the THR-empty interrupt
  std::function<void(bool)> irq_;
  bool irq_level_ = false;
};

}  // namespace hvsim::platform
