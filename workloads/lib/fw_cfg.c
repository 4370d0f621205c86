#include "fw_cfg.h"

#include "x86.h"

void fw_cfg_read(uint16_t key, void *buf, size_t len) {
  uint8_t *p = buf;
  outw(0x510, key);
  for (size_t i = 0; i < len; i++) p[i] = inb(0x511);
}

uint64_t fw_cfg_read_u64(uint16_t key) {
  uint8_t b[8];
  fw_cfg_read(key, b, sizeof b);
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
  return v;
}

uint16_t fw_cfg_read_u16(uint16_t key) {
  uint8_t b[2];
  fw_cfg_read(key, b, sizeof b);
  return (uint16_t)(b[0] | b[1] << 8);
}
