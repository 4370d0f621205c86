/* ELF identification, file and program headers (only the fields the
 * workloads' guest loaders use: lib/hv_guest_loader.c, hv/pv/main.c).
 * Packed: a loader reads them at whatever offset the image gives. */
#ifndef WL_ELF_H
#define WL_ELF_H

#include <stdint.h>

#define EI_CLASS 4
#define ELFCLASS32 1
#define ELFCLASS64 2
#define PT_LOAD 1
#define PT_NOTE 4

struct elf64_ehdr {
  uint8_t ident[16];
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, phoff, shoff;
  uint32_t flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));
struct elf64_phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
} __attribute__((packed));
struct elf32_ehdr {
  uint8_t ident[16];
  uint16_t type, machine;
  uint32_t version, entry, phoff, shoff, flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));
struct elf32_phdr {
  uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
} __attribute__((packed));

#endif
