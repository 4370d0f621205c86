/* Umbrella header for the workload runtime (workloads/lib). */
#ifndef WL_H
#define WL_H

#include <stddef.h>
#include <stdint.h>

#include "desc.h"
#include "fw_cfg.h"
#include "hvsim_magic.h"
#include "multiboot.h"
#include "paging.h"
#include "serial.h"
#include "x86.h"

/* Exit codes beyond a program's own results. */
#define WL_EXIT_FATAL 0x7e /* unexpected exception */

/* Writes the code to the isa-debug-exit port 0xf4, then halts forever.
 * hvsim exits with the code; QEMU exits with (code << 1) | 1. */
void exit(int code) __attribute__((noreturn));

/* Each program defines kmain; returning from it exits with its value.
 * Before it runs, wl_init has set up serial, GDT/TSS/IDT and parsed the
 * multiboot information (see multiboot.h: wl_mbi). */
int kmain(uint32_t magic, uint32_t mbi);

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
