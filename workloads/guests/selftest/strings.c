/* String instructions, forward and with DF = 1 (SDM Vol. 1 7.3.9). */
#include "selftest.h"

static uint8_t src[256], dst[256];
static uint64_t qbuf[20];

void test_strings(void) {
  for (int i = 0; i < 256; i++) src[i] = (uint8_t)(i * 7 + 3);
  memset(dst, 0, sizeof dst);

  uint8_t *s = src, *d = dst;
  uint64_t n = 100;
  __asm__ volatile("cld\n\trep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
  check("rep_movsb", n == 0 && s == src + 100 && d == dst + 100 && memcmp(src, dst, 100) == 0 && dst[100] == 0);

  uint64_t *q = qbuf + 2;
  n = 16;
  __asm__ volatile("rep stosq" : "+D"(q), "+c"(n) : "a"(0x0123456789ABCDEFull) : "memory");
  int ok = n == 0 && q == qbuf + 18 && qbuf[1] == 0 && qbuf[18] == 0;
  for (int i = 2; i < 18; i++) ok &= qbuf[i] == 0x0123456789ABCDEFull;
  check("rep_stosq", ok);

  static const char a[] = "hello world", b[] = "hello there";
  const char *pa = a, *pb = b;
  uint64_t f;
  n = 11;
  __asm__ volatile("repe cmpsb\n\tpushfq\n\tpopq %3" : "+S"(pa), "+D"(pb), "+c"(n), "=r"(f) : : "memory", "cc");
  check("repe_cmpsb_mismatch", n == 4 && pa == a + 7 && pb == b + 7 && !(f & 0x40));

  const char *p = a;
  n = 11;
  __asm__ volatile("repne scasb\n\tpushfq\n\tpopq %2" : "+D"(p), "+c"(n), "=r"(f) : "a"('o') : "memory", "cc");
  check("repne_scasb_found", n == 6 && p == a + 5 && (f & 0x40));

  n = 0;
  p = a;
  __asm__ volatile("repne scasb" : "+D"(p), "+c"(n) : "a"('h') : "memory", "cc");
  check("rep_count_zero", n == 0 && p == a);

  /* Overlapping move up by one byte: copy backwards with DF = 1. */
  for (int i = 0; i < 64; i++) dst[i] = (uint8_t)i;
  s = dst + 62;
  d = dst + 63;
  n = 63;
  __asm__ volatile("std\n\trep movsb\n\tcld" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
  ok = n == 0 && (uintptr_t)s == (uintptr_t)dst - 1 && d == dst;
  for (int i = 1; i < 64; i++) ok &= dst[i] == i - 1;
  check("rep_movsb_df1_overlap", ok);

  /* STOSD and LODSW with DF = 1 step by -4 and -2. */
  uint32_t w[4] = {0, 0, 0, 0};
  uint32_t *wp = &w[3];
  n = 3;
  __asm__ volatile("std\n\trep stosl\n\tcld" : "+D"(wp), "+c"(n) : "a"(0xCAFEu) : "memory");
  check("rep_stosd_df1", wp == &w[0] && w[0] == 0 && w[1] == 0xCAFE && w[3] == 0xCAFE);
  static const uint16_t hw[3] = {0x1111, 0x2222, 0x3333};
  const uint16_t *hp = &hw[2];
  uint64_t r = 0xFFFF0000FFFF0000ull;
  __asm__ volatile("std\n\tlodsw\n\tlodsw\n\tcld" : "+S"(hp), "+a"(r) : : "memory");
  check("lodsw_df1", hp == &hw[0] && r == 0xFFFF0000FFFF2222ull);
}
