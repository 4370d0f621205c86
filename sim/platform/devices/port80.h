// ISA port 0x80, the POST diagnostic port. Firmware and Linux write it as a
// delay: an ISA bus I/O cycle takes about 1 us (Linux arch/x86/kernel/
// io_delay.c, "port 0x80 based delay"), so each access costs a configurable
// number of cycles (platform.port80_cycles). Writes are kept (last_value);
// reads return 0xff as on QEMU's pc machine.
#pragma once

#include <cstdint>

#include "sim/platform/device.h"

namespace hvsim::platform {

class Port80 : public RegisterDevice {
 public:
  static constexpr uint16_t kBase = 0x80;
  static constexpr uint64_t kSize = 1;

  explicit Port80(uint64_t access_cycles) : cycles_(access_cycles) {}

  uint32_t read(uint64_t, unsigned len) override { return len >= 4 ? ~0u : (1u << (8 * len)) - 1; }
  void write(uint64_t, uint32_t value, unsigned) override {
    last_value = uint8_t(value);
    ++writes;
  }
  uint64_t access_cycles() const override { return cycles_; }

  uint8_t last_value = 0;
  uint64_t writes = 0;  // stat "platform.port80.writes"

 private:
  uint64_t cycles_;
};

}  // namespace hvsim::platform
