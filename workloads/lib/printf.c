/* printf subset: %d %i %u %x %X %p %s %c %% with l/ll/z length modifiers,
 * a field width, '0' padding and '-' left alignment. */
#include <stdint.h>

#include "serial.h"

static void put_rep(char c, int n, int *count) {
  for (; n > 0; n--) { serial_putc(c); (*count)++; }
}

static void put_field(const char *s, int len, int width, int left, char pad, int *count) {
  /* With zero padding, a sign goes before the zeros. */
  if (!left && pad == '0' && len > 0 && s[0] == '-') {
    serial_putc('-'); (*count)++; s++; len--; width--;
  }
  if (!left) put_rep(pad, width - len, count);
  for (int i = 0; i < len; i++) { serial_putc(s[i]); (*count)++; }
  if (left) put_rep(' ', width - len, count);
}

static int fmt_u64(char *end, uint64_t v, unsigned base, int upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do { *--end = digits[v % base]; v /= base; n++; } while (v);
  return n;
}

int vprintf(const char *fmt, va_list ap) {
  int count = 0;
  char buf[24];
  for (; *fmt; fmt++) {
    if (*fmt != '%') { serial_putc(*fmt); count++; continue; }
    fmt++;
    int left = 0, width = 0, lng = 0;
    char pad = ' ';
    for (;; fmt++) {
      if (*fmt == '-') left = 1;
      else if (*fmt == '0') pad = '0';
      else break;
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l' || *fmt == 'z') { lng++; fmt++; }
    char *end = buf + sizeof buf;
    int n;
    switch (*fmt) {
      case 'd': case 'i': {
        int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
        uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
        n = fmt_u64(end, m, 10, 0);
        if (v < 0) { end[-n - 1] = '-'; n++; }
        put_field(end - n, n, width, left, pad, &count);
        break;
      }
      case 'u': case 'x': case 'X': {
        uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
        n = fmt_u64(end, v, *fmt == 'u' ? 10 : 16, *fmt == 'X');
        put_field(end - n, n, width, left, pad, &count);
        break;
      }
      case 'p': {
        uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
        n = fmt_u64(end, v, 16, 0);
        end[-n - 1] = 'x'; end[-n - 2] = '0'; n += 2;
        put_field(end - n, n, width, left, ' ', &count);
        break;
      }
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        int len = 0;
        while (s[len]) len++;
        put_field(s, len, width, left, ' ', &count);
        break;
      }
      case 'c': buf[0] = (char)va_arg(ap, int); put_field(buf, 1, width, left, ' ', &count); break;
      case '%': serial_putc('%'); count++; break;
      case 0: return count;
      default: serial_putc('%'); serial_putc(*fmt); count += 2; break;
    }
  }
  return count;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}
