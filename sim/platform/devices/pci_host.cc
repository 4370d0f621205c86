#include "sim/platform/devices/pci_host.h"

namespace hvsim::platform {

PciHost::PciHost(std::function<void()> on_reset) : on_reset_(std::move(on_reset)) {
  auto put16 = [this](unsigned r, uint16_t v) {
    config_[r] = uint8_t(v);
    config_[r + 1] = uint8_t(v >> 8);
  };
  put16(0x00, kVendorIntel);
  put16(0x02, kDevice440fx);
  put16(0x04, 0x0006);  // command: memory space and bus master enabled
  put16(0x06, 0x0280);  // status: fast back-to-back capable, medium DEVSEL timing
  config_[0x08] = 0x02;  // revision
  config_[0x0a] = 0x00;  // sub-class: host bridge
  config_[0x0b] = 0x06;  // base class: bridge
  config_[0x0e] = 0x00;  // header type 0, single function
}

// Bit 31 enables, bus 23:16, device 15:11, function 10:8; 00:00.0 is the bridge.
bool PciHost::host_selected() const {
  return (address_ & 0x80000000u) && (address_ & 0x00ffff00u) == 0;
}

// Writable: the command register's low byte, the latency timer and the
// chipset registers from 0x40 (PAM, SMRAM, ...), kept as written.
void PciHost::write_byte(unsigned reg, uint8_t v) {
  if (reg == 0x04 || reg == 0x0d || reg >= 0x40) config_[reg] = v;
}

uint32_t PciHost::read(uint64_t offset, unsigned len) {
  if (offset == 0 && len == 4) return address_;
  if (offset == 1 && len == 1) return reset_control_;
  if (offset < 4) return 0xffffffffu >> (32 - 8 * len);  // not decoded: ISA floats high
  ++config_reads;
  if (!host_selected()) return 0xffffffffu >> (32 - 8 * len);
  const unsigned reg = (address_ & 0xfc) + unsigned(offset - 4);
  uint32_t v = 0;
  for (unsigned i = 0; i < len; ++i) v |= uint32_t(reg_byte((reg + i) & 0xff)) << (8 * i);
  return v;
}

void PciHost::write(uint64_t offset, uint32_t value, unsigned len) {
  if (offset == 0 && len == 4) {
    address_ = value & 0x80fffffcu;  // reserved bits 30:24 and 1:0 read 0
    return;
  }
  if (offset == 1 && len == 1) {  // PIIX reset control register
    const bool rst_cpu = (value & 0x04) && !(reset_control_ & 0x04);
    reset_control_ = uint8_t(value & 0x0a);  // RST_CPU self-clears
    if (rst_cpu) on_reset_();
    return;
  }
  if (offset < 4) return;
  ++config_writes;
  if (!host_selected()) return;
  const unsigned reg = (address_ & 0xfc) + unsigned(offset - 4);
  for (unsigned i = 0; i < len; ++i) write_byte((reg + i) & 0xff, uint8_t(value >> (8 * i)));
}

}  // namespace hvsim::platform
