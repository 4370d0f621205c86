// PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2)
// at ports 0xCF8-0xCFF with one device: an Intel 440FX host bridge at
// 00:00.0 (82441FX datasheet, "PCI Configuration Registers"), as QEMU's pc
// has it. CONFIG_ADDRESS is 0xCF8 for 32-bit accesses only; CONFIG_DATA is
// 0xCFC-0xCFF at any width. Every other bus/device/function is absent:
// reads are all ones, writes are dropped. Byte port 0xCF9 is the PIIX
// reset control register: setting RST_CPU (bit 2) calls on_reset.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "sim/platform/device.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class PciHost : public RegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kBase = 0xcf8;
  static constexpr uint64_t kSize = 8;
  static constexpr uint16_t kVendorIntel = 0x8086, kDevice440fx = 0x1237;

  explicit PciHost(std::function<void()> on_reset);

  uint32_t read(uint64_t offset, unsigned len) override;
  void write(uint64_t offset, uint32_t value, unsigned len) override;

  uint32_t config_address() const { return address_; }
  uint64_t config_reads = 0, config_writes = 0;

 private:
  // The host bridge's register at `reg` (byte), or nullptr when the
  // selected function is absent.
  bool host_selected() const;
  uint8_t reg_byte(unsigned reg) const { return config_[reg]; }
  void write_byte(unsigned reg, uint8_t v);

  std::function<void()> on_reset_;
  uint32_t address_ = 0;
  uint8_t reset_control_ = 0;
  std::array<uint8_t, 256> config_{};
};

}  // namespace hvsim::platform
