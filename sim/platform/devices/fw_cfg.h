// QEMU's firmware configuration device, traditional I/O interface
// (QEMU docs/specs/fw_cfg.rst): a 16-bit selector written at 0x510 picks an
// item and resets its offset; each byte read at 0x511 returns the next byte
// of the item (0 past its end). Items: signature "QEMU" (0x0000), ID
// (0x0001, bit 0 = traditional interface), RAM_SIZE (0x0003, uint64 LE) and
// NB_CPUS (0x0005, uint16 LE); every other key reads as 0.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "sim/platform/device.h"

namespace hvsim::checkpoint {
struct Access;  // sim/checkpoint: saves and restores private state
}

namespace hvsim::platform {

class FwCfg : public RegisterDevice {
  friend struct ::hvsim::checkpoint::Access;
 public:
  static constexpr uint16_t kBase = 0x510;  // selector; data is kBase + 1
  static constexpr uint64_t kSize = 2;
  enum Key : uint16_t { kSignature = 0x0000, kId = 0x0001, kRamSize = 0x0003, kNbCpus = 0x0005 };

  FwCfg(uint64_t ram_bytes, uint16_t nb_cpus);

  uint32_t read(uint64_t offset, unsigned len) override;
  void write(uint64_t offset, uint32_t value, unsigned len) override;

 private:
  uint8_t next_data_byte();

  std::map<uint16_t, std::vector<uint8_t>> items_;
  uint16_t selector_ = 0;
  uint32_t offset_ = 0;
};

}  // namespace hvsim::platform
