/* QEMU fw_cfg, legacy I/O interface: a 16-bit selector write to port 0x510,
 * then byte reads from the data port 0x511 (QEMU docs/specs/fw_cfg.rst). */
#ifndef WL_FW_CFG_H
#define WL_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#define FW_CFG_SIGNATURE 0x0000 /* "QEMU" */
#define FW_CFG_RAM_SIZE 0x0003  /* 64-bit little-endian */
#define FW_CFG_NB_CPUS 0x0005   /* 16-bit little-endian */

void fw_cfg_read(uint16_t key, void *buf, size_t len);
uint64_t fw_cfg_read_u64(uint16_t key);
uint16_t fw_cfg_read_u16(uint16_t key);

#endif
