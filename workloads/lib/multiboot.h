/* Multiboot v1 information (Multiboot Specification 0.6.96, section 3.3). */
#ifndef WL_MULTIBOOT_H
#define WL_MULTIBOOT_H

#include <stdint.h>

#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)

struct mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
  uint32_t mods_count, mods_addr;
  uint32_t syms[4];
  uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap_entry {
  uint32_t size; /* of the rest of the entry, excluding this field */
  uint64_t base, length;
  uint32_t type; /* 1 = available RAM */
} __attribute__((packed));

struct mb_module {
  uint32_t start, end, string, reserved;
} __attribute__((packed));

#define MB_MAX_MMAP 32
#define MB_MAX_MODS 8

/* Parsed copy (the loader's structures are only read once). */
struct wl_mbi {
  int valid;             /* magic was 0x2BADB002 */
  uint32_t flags;
  uint32_t mem_lower, mem_upper; /* KiB */
  const char *cmdline;   /* "" when absent */
  const char *args;      /* cmdline after its first word (the program name) */
  char progname[64];     /* first word, without directories or .elf/.elf32 */
  int mmap_count;
  struct { uint64_t base, length; uint32_t type; } mmap[MB_MAX_MMAP];
  int mod_count;
  struct { uint32_t start, end; const char *string; } mods[MB_MAX_MODS];
};

extern struct wl_mbi wl_mbi;
void mb_parse(uint32_t magic, uint32_t mbi);

#endif
