#include "sim/platform/devices/pc_testdev.h"

namespace hvsim::platform {

namespace {
constexpr uint64_t kFlushPort = 4;  // 0xe4 - kBase
// The scratch register's bytes [k, k+len) as a mask, clipped at its 4 bytes.
uint32_t byte_mask(unsigned k, unsigned len) {
  const unsigned n = k + len > 4 ? 4 - k : len;
  return (n >= 4 ? ~0u : (1u << (8 * n)) - 1) << (8 * k);
}
}  // namespace

uint32_t PcTestdevPorts::read(uint64_t offset, unsigned len) {
  if (offset >= kFlushPort && offset < kFlushPort + 4) return 0;
  const unsigned k = offset & 3;
  return (data & byte_mask(k, len)) >> (8 * k);
}

void PcTestdevPorts::write(uint64_t offset, uint32_t value, unsigned len) {
  if (offset >= kFlushPort && offset < kFlushPort + 4) {
    ++flushes;
    return;
  }
  const unsigned k = offset & 3;
  const uint32_t m = byte_mask(k, len);
  data = (data & ~m) | ((value << (8 * k)) & m);
}

}  // namespace hvsim::platform
