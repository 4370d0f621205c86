#include "sim/platform/devices/fw_cfg.h"

namespace hvsim::platform {

namespace {
std::vector<uint8_t> le_bytes(uint64_t v, unsigned n) {
  std::vector<uint8_t> b(n);
  for (unsigned i = 0; i < n; ++i) b[i] = uint8_t(v >> (8 * i));
  return b;
}
}  // namespace

FwCfg::FwCfg(uint64_t ram_bytes, uint16_t nb_cpus) {
  items_[kSignature] = {'Q', 'E', 'M', 'U'};
  items_[kId] = le_bytes(1, 4);  // FW_CFG_VERSION: traditional interface only, no DMA
  items_[kRamSize] = le_bytes(ram_bytes, 8);
  items_[kNbCpus] = le_bytes(nb_cpus, 2);
}

uint8_t FwCfg::next_data_byte() {
  auto it = items_.find(selector_);
  uint8_t b = 0;
  if (it != items_.end() && offset_ < it->second.size()) b = it->second[offset_];
  ++offset_;
  return b;
}

uint32_t FwCfg::read(uint64_t offset, unsigned len) {
  if (offset != 1) return 0;  // the selector register is write-only
  uint32_t v = 0;
  for (unsigned i = 0; i < len; ++i) v |= uint32_t{next_data_byte()} << (8 * i);
  return v;
}

void FwCfg::write(uint64_t offset, uint32_t value, unsigned len) {
  if (offset != 0) return;  // data writes are deprecated and ignored (fw_cfg.rst)
  selector_ = uint16_t(len >= 2 ? value : value & 0xff);
  offset_ = 0;
}

}  // namespace hvsim::platform
