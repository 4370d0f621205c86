#include "serial.h"
#include "x86.h"

#define COM1 0x3f8

void serial_init(void) {
  outb(COM1 + 1, 0x00); /* IER: no interrupts */
  outb(COM1 + 3, 0x80); /* LCR: DLAB on */
  outb(COM1 + 0, 0x01); /* DLL: divisor 1 = 115200 baud */
  outb(COM1 + 1, 0x00); /* DLM */
  outb(COM1 + 3, 0x03); /* LCR: 8N1, DLAB off */
  outb(COM1 + 2, 0xC7); /* FCR: enable and clear FIFOs */
  outb(COM1 + 4, 0x0B); /* MCR: DTR, RTS, OUT2 */
}

void serial_putc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) /* LSR bit 5: THR empty */
    ;
  outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s) {
  while (*s) serial_putc(*s++);
}
