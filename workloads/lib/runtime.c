/* Start-up glue called from boot.S, and exit(). */
#include "wl.h"

void wl_init(uint32_t magic, uint32_t mbi) {
  serial_init();
  desc_init();
  mb_parse(magic, mbi);
}

void exit(int code) {
  outb(0xf4, (uint8_t)code); /* isa-debug-exit */
  for (;;) __asm__ volatile("cli; hlt");
}
