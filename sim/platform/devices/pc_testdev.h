// QEMU's pc-testdev (hw/misc/pc-testdev.c), the device kvm-unit-tests runs
// with (`-device pc-testdev`):
// - I/O 0xe0-0xe3: a 32-bit scratch register; an access of len bytes at
//   offset k reads or writes its bytes k..k+len-1;
// - I/O 0xe4-0xe7: "flush page": QEMU drops its host mapping of the page
//   written there; hvsim's RAM has no host-side protection to cycle, so the
//   write is counted and has no other effect; reads return 0;
// - I/O 0xe8-0xeb: the same scratch register, reached byte by byte;
// - I/O 0x2000-0x2017: IRQ lines: writing v to 0x2000+n sets ISA IRQ n's
//   level to (v != 0) (lines 16-23 reach nothing: the PC has 16 ISA IRQs);
//   reads return 0;
// - 64 KiB of memory at 0xff000000 (its "iomem"): System maps a RAM there
//   (kIomemBase, kIomemSize).
#pragma once

#include <cstdint>
#include <functional>

#include "sim/platform/device.h"

namespace hvsim::platform {

class PcTestdevPorts : public RegisterDevice {
 public:
  static constexpr uint16_t kBase = 0xe0;
  static constexpr uint64_t kSize = 12;
  static constexpr uint64_t kIomemBase = 0xff000000, kIomemSize = 0x10000;

  uint32_t read(uint64_t offset, unsigned len) override;
  void write(uint64_t offset, uint32_t value, unsigned len) override;

  uint32_t data = 0;     // the scratch register
  uint64_t flushes = 0;  // writes to the flush-page port
};

class PcTestdevIrq : public ByteRegisterDevice {
 public:
  static constexpr uint16_t kBase = 0x2000;
  static constexpr uint64_t kSize = 24;
  using SetIrq = std::function<void(unsigned line, bool level)>;
  explicit PcTestdevIrq(SetIrq set_irq) : set_irq_(std::move(set_irq)) {}

  uint64_t writes = 0;

 protected:
  uint8_t read8(uint64_t) override { return 0; }
  void write8(uint64_t offset, uint8_t value) override {
    ++writes;
    if (set_irq_) set_irq_(unsigned(offset), value != 0);
  }

 private:
  SetIrq set_irq_;
};

}  // namespace hvsim::platform
