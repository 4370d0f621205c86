// A device's registers as plain C++ (VCML style): the TLM wrapper
// (device_target.h) turns b_transport into read()/write() calls, and unit
// tests drive the same calls without a SystemC kernel. Offsets are relative
// to the device's base address; values are little-endian, len is 1, 2 or 4.
#pragma once

#include <cstdint>

namespace hvsim::platform {

class RegisterDevice {
 public:
  virtual ~RegisterDevice() = default;
  virtual uint32_t read(uint64_t offset, unsigned len) = 0;
  virtual void write(uint64_t offset, uint32_t value, unsigned len) = 0;
  // Extra cycles one access costs on top of the CPU's own cost (e.g. the
  // ISA bus timing of port 0x80); the wrapper adds them to the TLM delay.
  virtual uint64_t access_cycles() const { return 0; }
};

// A device whose registers are bytes (8250/16550, 8259): a wider access is
// split into byte accesses at consecutive offsets, as the ISA bus does.
class ByteRegisterDevice : public RegisterDevice {
 public:
  uint32_t read(uint64_t offset, unsigned len) final {
    uint32_t v = 0;
    for (unsigned i = 0; i < len; ++i) v |= uint32_t{read8(offset + i)} << (8 * i);
    return v;
  }
  void write(uint64_t offset, uint32_t value, unsigned len) final {
    for (unsigned i = 0; i < len; ++i) write8(offset + i, uint8_t(value >> (8 * i)));
  }

 protected:
  virtual uint8_t read8(uint64_t offset) = 0;
  virtual void write8(uint64_t offset, uint8_t value) = 0;
};

}  // namespace hvsim::platform
