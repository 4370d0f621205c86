#include "hv_guest_loader.h"

#include "elf.h"
#include "wl.h"

#define MIB (1024ul * 1024)

extern char __image_end[];

int hv_guest_place_ram(struct hv_guest *g, uint64_t min_host, uint64_t want, uint64_t align, uint64_t reserve) {
  uint64_t best_base = 0, best_size = 0;
  for (int i = 0; i < wl_mbi.mmap_count; i++) {
    if (wl_mbi.mmap[i].type != 1) continue;
    uint64_t lo = wl_mbi.mmap[i].base, hi = lo + wl_mbi.mmap[i].length;
    if (hi > 0x100000000ull) hi = 0x100000000ull; /* the host's identity map */
    if (lo < min_host) lo = min_host;
    lo = (lo + align - 1) & ~(align - 1);
    if (hi < lo + reserve) continue;
    hi = lo + ((hi - reserve - lo) & ~(align - 1));
    uint64_t size = hi - lo < want ? hi - lo : want;
    if (size > best_size) {
      best_base = lo;
      best_size = size;
    }
  }
  if (!best_size && wl_mbi.mmap_count == 0 && wl_mbi.mem_upper) { /* no map: mem_upper only */
    uint64_t lo = min_host < MIB ? MIB : min_host;
    lo = (lo + align - 1) & ~(align - 1);
    uint64_t hi = MIB + (uint64_t)wl_mbi.mem_upper * 1024;
    if (hi >= lo + reserve) {
      hi = lo + ((hi - reserve - lo) & ~(align - 1));
      best_base = lo;
      best_size = hi - lo < want ? hi - lo : want;
    }
  }
  if (best_size < 4 * MIB) return -1;
  g->ram = (uint8_t *)(uintptr_t)best_base;
  g->ram_size = best_size;
  return 0;
}

int hv_guest_from_module(struct hv_guest *g, uint64_t want, uint64_t align, uint64_t reserve, char *cmdline,
                         uint64_t cap) {
  /* The module's string first: the boot loader's memory is reused below. */
  const char *ms = wl_mbi.mods[0].string;
  size_t n = strlen(ms);
  if (n >= cap) n = cap - 1;
  memcpy(cmdline, ms, n);
  cmdline[n] = 0;
  uint64_t min_host = (uint64_t)(uintptr_t)__image_end;
  for (int i = 0; i < wl_mbi.mod_count; i++)
    if (wl_mbi.mods[i].end > min_host) min_host = wl_mbi.mods[i].end;
  min_host += 64 * 1024; /* the loader's information structures, next to the modules */
  if (hv_guest_place_ram(g, min_host, want, align, reserve)) {
    printf("hv: no room for %lu MiB of guest RAM above 0x%lx\n", want / MIB, min_host);
    return -1;
  }
  if (hv_guest_load_elf(g, (const void *)(uintptr_t)wl_mbi.mods[0].start, wl_mbi.mods[0].end - wl_mbi.mods[0].start)) {
    printf("hv: cannot load the guest\n");
    return -1;
  }
  return 0;
}

static int load_segment(struct hv_guest *g, const uint8_t *image, uint64_t size, uint64_t off, uint64_t pa,
                        uint64_t filesz, uint64_t memsz) {
  if (filesz > memsz || off > size || filesz > size - off) {
    printf("hv: guest ELF segment at 0x%lx lies outside the file\n", pa);
    return -1;
  }
  uint8_t *dst = hv_gpa_to_hva(g, pa, memsz);
  if (!dst || pa < 0x100000) {
    printf("hv: guest ELF segment 0x%lx+0x%lx is outside guest RAM\n", pa, memsz);
    return -1;
  }
  memcpy(dst, image + off, filesz);
  memset(dst + filesz, 0, memsz - filesz);
  if (!g->image_hi || pa < g->image_lo) g->image_lo = pa;
  if (pa + memsz > g->image_hi) g->image_hi = pa + memsz;
  return 0;
}

int hv_guest_load_elf(struct hv_guest *g, const void *image, uint64_t size) {
  const uint8_t *p = image;
  g->image_lo = g->image_hi = 0;
  if (size < sizeof(struct elf32_ehdr) || p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F') {
    printf("hv: guest module is not an ELF file\n");
    return -1;
  }
  int loaded = 0;
  if (p[EI_CLASS] == ELFCLASS64 && size >= sizeof(struct elf64_ehdr)) {
    const struct elf64_ehdr *eh = image;
    for (unsigned i = 0; i < eh->phnum; i++) {
      uint64_t at = eh->phoff + (uint64_t)i * eh->phentsize;
      if (at + sizeof(struct elf64_phdr) > size) return -1;
      const struct elf64_phdr *ph = (const void *)(p + at);
      if (ph->type != PT_LOAD || !ph->memsz) continue;
      if (load_segment(g, p, size, ph->offset, ph->paddr, ph->filesz, ph->memsz)) return -1;
      loaded++;
    }
    g->entry = eh->entry;
  } else if (p[EI_CLASS] == ELFCLASS32) {
    const struct elf32_ehdr *eh = image;
    for (unsigned i = 0; i < eh->phnum; i++) {
      uint64_t at = eh->phoff + (uint64_t)i * eh->phentsize;
      if (at + sizeof(struct elf32_phdr) > size) return -1;
      const struct elf32_phdr *ph = (const void *)(p + at);
      if (ph->type != PT_LOAD || !ph->memsz) continue;
      if (load_segment(g, p, size, ph->offset, ph->paddr, ph->filesz, ph->memsz)) return -1;
      loaded++;
    }
    g->entry = eh->entry;
  } else {
    printf("hv: guest ELF class %u not supported\n", p[EI_CLASS]);
    return -1;
  }
  if (!loaded) {
    printf("hv: guest ELF has no loadable segment\n");
    return -1;
  }
  return 0;
}

uint32_t hv_guest_build_mbi(struct hv_guest *g, uint32_t at, const char *cmdline) {
  uint8_t *base = g->ram + at;
  struct mb_info *mi = (struct mb_info *)base;
  struct mb_mmap_entry *mm = (struct mb_mmap_entry *)(base + 0x100);
  char *cl = (char *)(base + 0x400);
  memset(base, 0, 0x1000);
  /* What a PC firmware reports: conventional memory, the EBDA and BIOS
   * areas reserved, then RAM from 1 MiB to the end. */
  static const struct { uint64_t base, end; uint32_t type; } holes[3] = {
      {0, HV_GUEST_LOW_RAM_END, 1}, {HV_GUEST_LOW_RAM_END, 0xa0000, 2}, {0xf0000, 0x100000, 2}};
  int n = 0;
  for (int i = 0; i < 3; i++, n++) {
    mm[n].size = sizeof *mm - 4;
    mm[n].base = holes[i].base;
    mm[n].length = holes[i].end - holes[i].base;
    mm[n].type = holes[i].type;
  }
  mm[n].size = sizeof *mm - 4;
  mm[n].base = 0x100000;
  mm[n].length = g->ram_size - 0x100000;
  mm[n].type = 1;
  n++;
  size_t len = strlen(cmdline);
  if (len > 0xbff) len = 0xbff;
  memcpy(cl, cmdline, len);
  cl[len] = 0;
  mi->flags = MB_INFO_MEM | MB_INFO_CMDLINE | MB_INFO_MMAP;
  mi->mem_lower = HV_GUEST_LOW_RAM_END / 1024;
  mi->mem_upper = (uint32_t)((g->ram_size - 0x100000) / 1024);
  mi->cmdline = at + 0x400;
  mi->mmap_length = (uint32_t)(n * sizeof *mm);
  mi->mmap_addr = at + 0x100;
  return at;
}
