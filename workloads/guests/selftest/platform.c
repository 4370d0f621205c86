/* Multiboot information and fw_cfg. */
#include "selftest.h"

extern char __image_start[], __image_end[];

void test_platform(void) {
  printf("info: cmdline \"%s\"\n", wl_mbi.cmdline);
  check("multiboot_cmdline", (wl_mbi.flags & MB_INFO_CMDLINE) && wl_mbi.progname[0] != 0);
  printf("info: mem_lower %u KiB mem_upper %u KiB\n", wl_mbi.mem_lower, wl_mbi.mem_upper);
  /* The paging tests use physical memory up to 18 MiB. */
  check("multiboot_mem_upper", (wl_mbi.flags & MB_INFO_MEM) && wl_mbi.mem_upper >= 31 * 1024);
  int covered = 0;
  for (int i = 0; i < wl_mbi.mmap_count; i++) {
    uint64_t b = wl_mbi.mmap[i].base, l = wl_mbi.mmap[i].length;
    printf("info: mmap %016lx-%016lx type %u\n", b, b + l - 1, wl_mbi.mmap[i].type);
    if (wl_mbi.mmap[i].type == 1 && b <= (uint64_t)__image_start && b + l >= (uint64_t)__image_end)
      covered = 1;
  }
  check("multiboot_mmap_covers_image", (wl_mbi.flags & MB_INFO_MMAP) && covered);
  printf("info: modules %d\n", wl_mbi.mod_count);

  char sig[5] = {0};
  fw_cfg_read(FW_CFG_SIGNATURE, sig, 4);
  check("fw_cfg_signature", memcmp(sig, "QEMU", 4) == 0);
  check_eq("fw_cfg_nb_cpus", fw_cfg_read_u16(FW_CFG_NB_CPUS), 1);
  uint64_t ram = fw_cfg_read_u64(FW_CFG_RAM_SIZE);
  printf("info: fw_cfg ram_size %lu\n", ram);
  check("fw_cfg_ram_size", ram >= ((uint64_t)wl_mbi.mem_upper + 1024) * 1024);
}
