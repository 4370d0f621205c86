#include "multiboot.h"

struct wl_mbi wl_mbi;

static void parse_cmdline(const char *s) {
  while (*s == ' ') s++;
  const char *base = s;
  while (*s && *s != ' ') {
    if (*s == '/') base = s + 1;
    s++;
  }
  int n = 0;
  for (const char *p = base; p < s && n < (int)sizeof wl_mbi.progname - 1; p++) wl_mbi.progname[n++] = *p;
  wl_mbi.progname[n] = 0;
  /* Drop a trailing .elf or .elf32 so that both images print the same. */
  for (int i = n - 1; i >= 0; i--) {
    if (wl_mbi.progname[i] == '.') {
      const char *e = &wl_mbi.progname[i];
      if ((e[1] == 'e' && e[2] == 'l' && e[3] == 'f') && (e[4] == 0 || (e[4] == '3' && e[5] == '2' && e[6] == 0)))
        wl_mbi.progname[i] = 0;
      break;
    }
  }
  while (*s == ' ') s++;
  wl_mbi.args = s;
}

void mb_parse(uint32_t magic, uint32_t addr) {
  wl_mbi.cmdline = wl_mbi.args = "";
  if (magic != MB_BOOT_MAGIC) return;
  const struct mb_info *mi = (const struct mb_info *)(uintptr_t)addr;
  wl_mbi.valid = 1;
  wl_mbi.flags = mi->flags;
  if (mi->flags & MB_INFO_MEM) {
    wl_mbi.mem_lower = mi->mem_lower;
    wl_mbi.mem_upper = mi->mem_upper;
  }
  if ((mi->flags & MB_INFO_CMDLINE) && mi->cmdline) wl_mbi.cmdline = (const char *)(uintptr_t)mi->cmdline;
  parse_cmdline(wl_mbi.cmdline);
  if (mi->flags & MB_INFO_MMAP) {
    uintptr_t p = mi->mmap_addr, end = p + mi->mmap_length;
    while (p < end && wl_mbi.mmap_count < MB_MAX_MMAP) {
      const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)p;
      wl_mbi.mmap[wl_mbi.mmap_count].base = e->base;
      wl_mbi.mmap[wl_mbi.mmap_count].length = e->length;
      wl_mbi.mmap[wl_mbi.mmap_count].type = e->type;
      wl_mbi.mmap_count++;
      p += e->size + 4;
    }
  }
  if (mi->flags & MB_INFO_MODS) {
    const struct mb_module *m = (const struct mb_module *)(uintptr_t)mi->mods_addr;
    for (uint32_t i = 0; i < mi->mods_count && wl_mbi.mod_count < MB_MAX_MODS; i++) {
      wl_mbi.mods[i].start = m[i].start;
      wl_mbi.mods[i].end = m[i].end;
      wl_mbi.mods[i].string = m[i].string ? (const char *)(uintptr_t)m[i].string : "";
      wl_mbi.mod_count++;
    }
  }
}
