// The I/O APIC (Intel 82093AA datasheet) as plain C++: the indirect register
// window IOREGSEL (offset 0x00) / IOWIN (0x10) in the 4 KiB page at
// 0xfec00000, the ID, version and arbitration registers, and 24 redirection
// entries (datasheet 3.2.4). 24 input pins take edge or level assertions;
// unmasked ones become ApicMessages on the ApicBus (the local APIC). A
// level-triggered entry sets Remote IRR on delivery and is cleared by the
// local APIC's EOI broadcast for its vector, after which a still-asserted
// pin is delivered again.
//
// Pins are logical: set_pin(n, true) means "asserted". The polarity bit is
// kept for software to read back; the board's inversion is implied.
#pragma once

#include <array>
#include <cstdint>

#include "sim/platform/device.h"
#include "sim/platform/intc/apic_bus.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform::intc {

class IoApic : public RegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint64_t kDefaultBase = 0xfec00000, kSize = 0x1000;
  static constexpr unsigned kPins = 24;
  static constexpr uint32_t kVersion = 0x00170011;  // 82093AA: version 0x11, 24 entries
  static constexpr uint64_t kRegSel = 0x00, kWindow = 0x10;

  explicit IoApic(ApicBus& bus, uint8_t id = 0);
  void reset();

  // RegisterDevice: 32-bit IOREGSEL and IOWIN.
  uint32_t read(uint64_t offset, unsigned len) override;
  void write(uint64_t offset, uint32_t value, unsigned len) override;

  // An input pin's level (asserted or not). Edge entries deliver on the
  // assertion edge; level entries while asserted and Remote IRR is clear.
  void set_pin(unsigned pin, bool asserted);
  // EOI broadcast from a local APIC: clears Remote IRR of level entries with
  // this vector (datasheet 3.2.4, bit 14).
  void eoi(uint8_t vector);

  uint64_t entry(unsigned pin) const { return redir_[pin]; }
  bool remote_irr(unsigned pin) const { return redir_[pin] & kRemoteIrr; }

  // statistics
  std::array<uint64_t, kPins> asserts{};     // assertion edges per pin
  std::array<uint64_t, kPins> delivered{};   // messages sent per pin
  uint64_t masked_edges = 0;                 // edges lost to a mask
  uint64_t eois = 0;                         // EOI broadcasts that cleared Remote IRR

  static constexpr uint64_t kMask = 1u << 16, kTrigger = 1u << 15, kRemoteIrr = 1u << 14,
                            kPolarity = 1u << 13, kDeliveryStatus = 1u << 12;

 private:
  uint32_t read_reg(uint8_t index) const;
  void write_reg(uint8_t index, uint32_t value);
  void service(unsigned pin);  // deliver a level-triggered pin if it should be
  void send(unsigned pin);

  ApicBus& bus_;
  uint8_t regsel_ = 0;
  uint8_t id_ = 0, reset_id_ = 0;
  std::array<uint64_t, kPins> redir_{};
  std::array<bool, kPins> level_{};
};

}  // namespace hvsim::platform::intc
