#include "sim/platform/devices/debug_exit.h"

namespace hvsim::platform {

void DebugExit::write(uint64_t offset, uint32_t value, unsigned /*len*/) {
  if (fired_) return;
  fired_ = true;
  if (on_exit_) on_exit_(uint8_t(value & 0xff), uint16_t(kBase + offset));
}

}  // namespace hvsim::platform
