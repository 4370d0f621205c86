/* demo: the default integer benchmark.  Five kernels, each between an ROI
 * begin/end magic pair and timed with RDTSC.  Every non-"timing:" line is a
 * deterministic checksum, identical on any correct x86-64.
 * SCALE multiplies the work; SCALE 1 is about 70 million instructions. */
#include "wl.h"

#ifndef SCALE
#define SCALE 1
#endif

#define SORT_N (64 * 1024)
#define HASH_BYTES (256 * 1024)
#define HASH_PASSES 4
#define SIEVE_N (2 * 1024 * 1024)
#define MAT_N 96
#define CRC_BYTES (128 * 1024)

static uint32_t sort_buf[SORT_N];
static uint8_t data_buf[HASH_BYTES];
static uint8_t sieve_buf[SIEVE_N];
static int32_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N], mat_c[MAT_N][MAT_N];

static uint64_t rng_state;
static uint32_t rng(void) { /* xorshift64 */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

static void quicksort(uint32_t *a, long lo, long hi) {
  while (hi - lo > 16) {
    uint32_t p = a[lo + (hi - lo) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
    else { quicksort(a, i, hi); hi = j; }
  }
  for (long i = lo + 1; i <= hi; i++) { /* insertion sort for the tail */
    uint32_t v = a[i];
    long k = i - 1;
    while (k >= lo && a[k] > v) { a[k + 1] = a[k]; k--; }
    a[k + 1] = v;
  }
}

static uint64_t k_sort(void) {
  rng_state = 0x9E3779B97F4A7C15ull;
  for (long i = 0; i < SORT_N; i++) sort_buf[i] = rng();
  quicksort(sort_buf, 0, SORT_N - 1);
  uint64_t sum = 0;
  for (long i = 0; i < SORT_N; i++) {
    if (i && sort_buf[i - 1] > sort_buf[i]) return 0; /* not sorted */
    sum = sum * 31 + sort_buf[i];
  }
  return sum;
}

static uint64_t k_fnv(void) {
  rng_state = 0x0123456789ABCDEFull;
  for (long i = 0; i < HASH_BYTES; i++) data_buf[i] = (uint8_t)rng();
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
  for (int pass = 0; pass < HASH_PASSES; pass++)
    for (long i = 0; i < HASH_BYTES; i++) h = (h ^ data_buf[i]) * 0x100000001b3ull;
  return h;
}

static uint64_t k_sieve(void) {
  memset(sieve_buf, 1, SIEVE_N);
  sieve_buf[0] = sieve_buf[1] = 0;
  for (long i = 2; i * i < SIEVE_N; i++)
    if (sieve_buf[i])
      for (long j = i * i; j < SIEVE_N; j += i) sieve_buf[j] = 0;
  uint64_t count = 0, last = 0;
  for (long i = 0; i < SIEVE_N; i++)
    if (sieve_buf[i]) { count++; last = i; }
  return count << 32 | last;
}

static uint64_t k_matmul(void) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      mat_a[i][j] = (i * 7 + j * 3) % 17 - 8;
      mat_b[i][j] = (i * 5 + j * 11) % 13 - 6;
    }
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      int32_t s = 0;
      for (int k = 0; k < MAT_N; k++) s += mat_a[i][k] * mat_b[k][j];
      mat_c[i][j] = s;
    }
  uint64_t h = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) h = h * 1000003 + (uint32_t)mat_c[i][j];
  return h;
}

static uint64_t k_crc32(void) { /* bitwise CRC-32 (reflected, 0xEDB88320) */
  uint32_t crc = 0xFFFFFFFFu;
  for (long i = 0; i < CRC_BYTES; i++) {
    crc ^= data_buf[i];
    for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
  }
  return crc ^ 0xFFFFFFFFu;
}

struct kernel { const char *name; uint64_t (*fn)(void); };
static const struct kernel kernels[] = {
    {"sort", k_sort}, {"fnv1a", k_fnv}, {"sieve", k_sieve}, {"matmul", k_matmul}, {"crc32", k_crc32},
};

int kmain(uint32_t magic, uint32_t mbi) {
  (void)magic, (void)mbi;
  printf("demo: %d kernels, scale %d\n", (int)(sizeof kernels / sizeof kernels[0]), SCALE);
  uint64_t total = 0;
  hvsim_reset_stats();
  for (unsigned k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
    uint64_t sum = 0;
    hvsim_roi_begin(k + 1);
    uint64_t t0 = rdtsc();
    for (int r = 0; r < SCALE; r++) sum ^= kernels[k].fn() + r;
    uint64_t t1 = rdtsc();
    hvsim_roi_end(k + 1);
    printf("timing: %s %lu cycles\n", kernels[k].name, t1 - t0);
    printf("%s: checksum %016lx\n", kernels[k].name, sum);
    total = total * 3 + sum;
  }
  hvsim_dump_stats();
  printf("demo: total %016lx\n", total);
  printf("demo: done\n");
  return 0;
}
