/* stream_copy: STREAM-like memory bandwidth kernels on 64-bit integers.
 *
 * Three arrays a, b, c of KiB kibibytes each (mmap'ed).  Each of 40
 * iterations runs copy (c = a), scale (b = 3c), add (c = a + b) and
 * triad (a = b + 3c), all wrapping mod 2^64.  Verifies 257 sampled elements
 * against a scalar replay of the recurrences and checksums all three arrays.
 *
 * usage: stream_copy [KiB]   (size of each array in KiB; default 16384 = 16 MiB,
 *                             small 64)
 */
#include "rt.h"

#define NTIMES 40
#define SCALAR 3

static __attribute__((noinline)) void k_copy(u64 *restrict c, const u64 *restrict a, u64 n) {
  for (u64 i = 0; i < n; i++) c[i] = a[i];
}
static __attribute__((noinline)) void k_scale(u64 *restrict b, const u64 *restrict c, u64 n) {
  for (u64 i = 0; i < n; i++) b[i] = SCALAR * c[i];
}
static __attribute__((noinline)) void k_add(u64 *restrict c, const u64 *restrict a,
                                            const u64 *restrict b, u64 n) {
  for (u64 i = 0; i < n; i++) c[i] = a[i] + b[i];
}
static __attribute__((noinline)) void k_triad(u64 *restrict a, const u64 *restrict b,
                                              const u64 *restrict c, u64 n) {
  for (u64 i = 0; i < n; i++) a[i] = b[i] + SCALAR * c[i];
}

static u64 init_a(u64 i) { return i * 0x9E3779B97F4A7C15ULL + 1; }
static u64 init_b(u64 i) { return 2 * i + 1; }
static u64 init_c(u64 i) { return i ^ 0x5555; }

int main(int argc, char **argv) {
  u64 kib = rt_arg_u64(argc, argv, 1, 16384);
  if (kib < 1) kib = 1;
  u64 bytes = kib * 1024;
  u64 n = bytes / sizeof(u64);
  u64 *a = rt_mmap_anon(bytes), *b = rt_mmap_anon(bytes), *c = rt_mmap_anon(bytes);
  if (!a || !b || !c) rt_fail("mmap failed");
  for (u64 i = 0; i < n; i++) {
    a[i] = init_a(i);
    b[i] = init_b(i);
    c[i] = init_c(i);
  }
  for (int t = 0; t < NTIMES; t++) {
    k_copy(c, a, n);
    k_scale(b, c, n);
    k_add(c, a, b, n);
    k_triad(a, b, c, n);
  }
  int ok = 1;
  for (u64 s = 0; s <= 256; s++) {
    u64 i = s * (n - 1) / 256;
    u64 ea = init_a(i), eb = init_b(i), ec = init_c(i);
    for (int t = 0; t < NTIMES; t++) {
      ec = ea;
      eb = SCALAR * ec;
      ec = ea + eb;
      ea = eb + SCALAR * ec;
    }
    if (a[i] != ea || b[i] != eb || c[i] != ec) ok = 0;
  }
  u64 sa = 0, sb = 0, sc = 0;
  for (u64 i = 0; i < n; i++) {
    sa += a[i];
    sb ^= b[i] + i;
    sc += c[i] * (i | 1);
  }
  rt_printf("stream_copy: 3 x %lu KiB, %d iterations, %lu bytes moved\n", kib, NTIMES,
            (u64)NTIMES * 10 * bytes);
  rt_printf("sums a %016lx b %016lx c %016lx\n", sa, sb, sc);
  rt_printf("checksum 0x%016lx\n", rt_mix64(rt_mix64(rt_mix64(0, sa), sb), sc));
  rt_munmap(a, bytes);
  rt_munmap(b, bytes);
  rt_munmap(c, bytes);
  if (!ok) {
    rt_printf("FAIL: verification\n");
    return 1;
  }
  return 0;
}
