// The PC keyboard controller (Intel 8042 as the PC/AT uses it; the command
// set of QEMU's hw/input/pckbd.c): status/command at port 0x64, data at
// 0x60 (0x61 between them belongs to the PIT's port B). The controller's
// own commands work: read/write the command byte (0x20/0x60), self-test
// (0xAA -> 0x55), interface tests (0xAB, 0xA9 -> 0x00), enable/disable the
// ports (0xAD/0xAE, 0xA7/0xA8), the output port (0xD0/0xD1), echo bytes as
// if from a device (0xD2/0xD3) and the output-line pulses (0xF0-0xFF).
// Output port bit 0 is the CPU's reset line: pulsing it low (0xFE, what
// Linux's "reboot=kbd" writes) or writing it 0 through 0xD1 calls on_reset.
// No keyboard or mouse is attached: a byte for a device (data port, 0xD4)
// answers 0xFE with the timeout status bit, as a controller whose device
// does not respond. IRQ 1 / IRQ 12 follow the output buffer when enabled in
// the command byte.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "sim/platform/device.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class I8042 {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kDataPort = 0x60, kCommandPort = 0x64;
  // Status register bits.
  static constexpr uint8_t kObf = 0x01, kSysFlag = 0x04, kCmdData = 0x08, kUnlocked = 0x10,
                           kAuxData = 0x20, kTimeout = 0x40;
  // Command byte bits.
  static constexpr uint8_t kKbdInt = 0x01, kAuxInt = 0x02, kCtrSys = 0x04, kKbdDisable = 0x10,
                           kAuxDisable = 0x20;

  I8042(std::function<void()> on_reset, std::function<void(unsigned irq, bool level)> irq);

  uint8_t read_data();
  uint8_t read_status() const;
  void write_data(uint8_t v);
  void write_command(uint8_t v);

  uint8_t command_byte() const { return ctr_; }
  uint64_t resets = 0;

  // The two ports as devices (one byte each) for the I/O bus.
  class Port : public ByteRegisterDevice {
   public:
    Port(I8042& c, bool command) : c_(c), command_(command) {}

   protected:
    uint8_t read8(uint64_t) override { return command_ ? c_.read_status() : c_.read_data(); }
    void write8(uint64_t, uint8_t v) override {
      command_ ? c_.write_command(v) : c_.write_data(v);
    }

   private:
    I8042& c_;
    bool command_;
  };
  Port data_port{*this, false}, command_port{*this, true};

 private:
  struct Byte {
    uint8_t value;
    bool aux;
  };
  void queue(uint8_t v, bool aux = false);
  void write_output_port(uint8_t v);
  void update_irqs();

  std::function<void()> on_reset_;
  std::function<void(unsigned, bool)> irq_;
  std::deque<Byte> out_;
  uint8_t ctr_ = kKbdInt | kCtrSys | 0x40;  // keyboard interrupt, system flag, translation
  uint8_t pending_ = 0;                     // a command waiting for its data byte
  uint8_t output_port_ = 0x03;              // bit 0: reset line high; bit 1: A20
  bool timeout_ = false, last_was_command_ = false;
  bool irq1_ = false, irq12_ = false;
};

}  // namespace hvsim::platform
