/* Loading a multiboot v1 guest kernel for a hypervisor workload: the
 * guest's RAM is one contiguous, 2 MiB-aligned block of host memory (host
 * address = ram + guest-physical address, the host identity maps it), the
 * kernel is an ELF64 or ELF32 image given as a multiboot module whose
 * PT_LOAD segments go to their physical addresses (ELF-64 Object File
 * Format 1.5; System V gABI "Program Header"), and the guest gets a
 * multiboot information structure (Multiboot Specification 0.6.96, 3.3)
 * describing that RAM the way a PC firmware would. */
#ifndef WL_HV_GUEST_LOADER_H
#define WL_HV_GUEST_LOADER_H

#include <stdint.h>

/* A place for the multiboot information in guest low memory, below the
 * EBDA, which guests leave alone (hv_guest_build_mbi takes any page). */
#define HV_GUEST_MBI 0x9000u
#define HV_GUEST_LOW_RAM_END 0x9fc00u /* 639 KiB of conventional memory */

struct hv_guest {
  uint8_t *ram;      /* host address of guest-physical 0 */
  uint64_t ram_size; /* bytes of guest-physical RAM, a multiple of 2 MiB */
  uint64_t entry;    /* entry point (guest-physical), from the ELF header */
  uint64_t image_lo, image_hi; /* guest-physical extent of the loaded segments */
};

/* Picks the host block for guest RAM: align bytes aligned (a power of two,
 * at least 2 MiB), at or above min_host (e.g. the end of the hypervisor
 * image and of its modules), inside one available region of the host's
 * multiboot memory map below 4 GiB, the largest such block of at most want
 * bytes (a multiple of align), with reserve more bytes free after it in the
 * same region (the hypervisor's own pages).  Returns 0 and fills g->ram /
 * g->ram_size (at least 4 MiB), or -1. */
int hv_guest_place_ram(struct hv_guest *g, uint64_t min_host, uint64_t want, uint64_t align, uint64_t reserve);

/* Module 0 of the hypervisor's multiboot information becomes the guest:
 * its string ("path args") is copied to cmdline (cap bytes with the NUL),
 * guest RAM is placed above the hypervisor and its modules (as
 * hv_guest_place_ram, min_host being their end plus 64 KiB for the boot
 * loader's structures) and the module's ELF image is loaded.  The caller
 * checks that there is a module.  Returns 0, or -1 after printing
 * "hv: ..." with the reason. */
int hv_guest_from_module(struct hv_guest *g, uint64_t want, uint64_t align, uint64_t reserve, char *cmdline,
                         uint64_t cap);

/* Copies the PT_LOAD segments of an ELF image (size bytes at image) into
 * guest RAM and zero-fills their .bss parts; sets g->entry.  Returns 0, or
 * -1 after printing "hv: ..." with the reason. */
int hv_guest_load_elf(struct hv_guest *g, const void *image, uint64_t size);

/* Writes the multiboot information (memory sizes, command line, memory
 * map) in the 4 KiB page at guest-physical at and returns at. */
uint32_t hv_guest_build_mbi(struct hv_guest *g, uint32_t at, const char *cmdline);

/* The host address of guest-physical gpa..gpa+len, or 0 when outside RAM. */
static inline void *hv_gpa_to_hva(const struct hv_guest *g, uint64_t gpa, uint64_t len) {
  if (gpa >= g->ram_size || len > g->ram_size - gpa) return 0;
  return g->ram + gpa;
}

#endif
