// What the core needs from the platform: physical memory and port I/O.
// RAM is reached through DMI host pointers (no call per access); everything
// else (MMIO, unmapped holes, ports) through these slow-path calls, which the
// SystemC CPU module turns into TLM b_transport with the core's local time.
#pragma once

#include <cstdint>

namespace hvsim::core {

// A directly accessible host range for physical addresses [start, end].
struct DmiRegion {
  uint64_t start = 0;
  uint64_t end = 0;  // inclusive
  uint8_t* host = nullptr;
  uint32_t read_cycles = 0;  // the target's read latency from its DMI grant, in core cycles
};

class Bus {
 public:
  virtual ~Bus() = default;
  // Physical memory, any address. Unmapped reads return all-ones bytes and
  // unmapped writes are dropped (as on a PC); the return value says whether
  // anything answered.
  virtual bool mem_read(uint64_t pa, void* data, unsigned len) = 0;
  virtual bool mem_write(uint64_t pa, const void* data, unsigned len) = 0;
  // Port I/O, len 1, 2 or 4. Unmapped ports read as all-ones.
  virtual uint32_t io_in(uint16_t port, unsigned len) = 0;
  virtual void io_out(uint16_t port, uint32_t value, unsigned len) = 0;
  // A host pointer range for RAM that contains pa; false if pa is not RAM.
  virtual bool get_dmi(uint64_t pa, DmiRegion& out) = 0;
};

}  // namespace hvsim::core
