/*
 * The lmbench latencies of the Xen paper (Barham et al., SOSP 2003, table 3)
 * as one static Linux program: null system call, fork+exit, fork+exec, page
 * fault, pipe ping-pong context switch, mmap/munmap. Each prints
 *   timing: NAME VALUE cycles/iter
 * with cycles from RDTSC (on hvsim the TSC counts core cycles).
 *
 * usage: bench [SCALE]   (iteration counts are multiplied by SCALE, default 1)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

static const char* hello_path = "/bin/hello";

static void report(const char* name, uint64_t cycles, unsigned long iters) {
  const uint64_t x10 = cycles * 10 / iters;
  printf("timing: %s %llu.%llu cycles/iter\n", name, (unsigned long long)(x10 / 10),
         (unsigned long long)(x10 % 10));
  fflush(stdout);
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

/* getppid through syscall(): no library caching, one kernel entry and exit. */
static void null_syscall(unsigned long n) {
  const uint64_t t0 = __rdtsc();
  for (unsigned long i = 0; i < n; ++i) syscall(SYS_getppid);
  report("null_syscall", __rdtsc() - t0, n);
}

static void fork_exit(unsigned long n) {
  const uint64_t t0 = __rdtsc();
  for (unsigned long i = 0; i < n; ++i) {
    const pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) _exit(0);
    if (waitpid(p, NULL, 0) != p) die("waitpid");
  }
  report("fork_exit", __rdtsc() - t0, n);
}

static void fork_exec(unsigned long n) {
  const uint64_t t0 = __rdtsc();
  for (unsigned long i = 0; i < n; ++i) {
    const pid_t p = fork();
    if (p < 0) die("fork");
    if (p == 0) {
      execl(hello_path, hello_path, (char*)NULL);
      _exit(127);
    }
    int status = 0;
    if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      die("exec of /bin/hello");
  }
  report("fork_exec", __rdtsc() - t0, n);
}

/* Touches each page of a fresh anonymous mapping once: one fault per page. */
static void page_fault(unsigned long pages) {
  const size_t len = pages * 4096;
  volatile char* m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) die("mmap");
  const uint64_t t0 = __rdtsc();
  for (size_t off = 0; off < len; off += 4096) m[off] = 1;
  report("page_fault", __rdtsc() - t0, pages);
  munmap((void*)m, len);
}

/* A one-byte token between two processes over two pipes: every round trip
   is two context switches on one CPU; reported per switch (lmbench lat_ctx, size 0). */
static void pipe_ctxsw(unsigned long n) {
  int a[2], b[2];
  if (pipe(a) || pipe(b)) die("pipe");
  const pid_t p = fork();
  if (p < 0) die("fork");
  char c = 0;
  if (p == 0) {
    for (unsigned long i = 0; i < n; ++i)
      if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  const uint64_t t0 = __rdtsc();
  for (unsigned long i = 0; i < n; ++i)
    if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) die("pipe ping-pong");
  const uint64_t t = __rdtsc() - t0;
  waitpid(p, NULL, 0);
  report("ctx_switch_pipe", t, 2 * n);
}

/* Maps and unmaps 1 MiB of anonymous memory, touching nothing (lat_mmap's
   mapping cost without the file). */
static void mmap_munmap(unsigned long n) {
  const uint64_t t0 = __rdtsc();
  for (unsigned long i = 0; i < n; ++i) {
    void* m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) die("mmap");
    if (munmap(m, 1 << 20)) die("munmap");
  }
  report("mmap_munmap", __rdtsc() - t0, n);
}

int main(int argc, char** argv) {
  const unsigned long scale = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
  if (scale == 0) {
    fprintf(stderr, "bench: SCALE must be at least 1\n");
    return 2;
  }
  null_syscall(10000 * scale);
  fork_exit(50 * scale);
  fork_exec(20 * scale);
  page_fault(1024 * scale);
  pipe_ctxsw(1000 * scale);
  mmap_munmap(500 * scale);
  return 0;
}
