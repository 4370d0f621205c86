/* COM1 (16550 UART at 0x3f8) console and a small printf. */
#ifndef WL_SERIAL_H
#define WL_SERIAL_H

#include <stdarg.h>

void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
