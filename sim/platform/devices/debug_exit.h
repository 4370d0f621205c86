// QEMU's isa-debug-exit device (hw/misc/debugexit.c) as `pc` workloads place
// it: `-device isa-debug-exit,iobase=0xf4,iosize=0x04`. Any write ends the
// run; hvsim's exit status is the value written, low 8 bits (QEMU's own
// process exits with (v << 1) | 1). Reads return 0.
#pragma once

#include <cstdint>
#include <functional>

#include "sim/platform/device.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class DebugExit : public RegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kBase = 0xf4;
  static constexpr uint64_t kSize = 4;

  // Called with (status, port) on the first write; later writes are ignored.
  using ExitFn = std::function<void(uint8_t status, uint16_t port)>;
  explicit DebugExit(ExitFn on_exit) : on_exit_(std::move(on_exit)) {}

  uint32_t read(uint64_t, unsigned) override { return 0; }
  void write(uint64_t offset, uint32_t value, unsigned len) override;

  bool fired() const { return fired_; }

 private:
  ExitFn on_exit_;
  bool fired_ = false;
};

}  // namespace hvsim::platform
