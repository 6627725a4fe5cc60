/* gups: HPCC RandomAccess-style random read-modify-write updates.
 *
 * Table of 2^k 64-bit words (MiB rounded down to a power of two), initialised
 * to T[i] = i.  4 x entries updates T[r & mask] ^= r, with r drawn from 8
 * interleaved streams of the HPCC LFSR (x <- x<<1 ^ (x<0 ? 7 : 0)).  The
 * table is checksummed, then the same updates are replayed (xor is an
 * involution) and the table must be back to T[i] = i.
 *
 * usage: gups [MiB]   (table size in MiB, power of two; default 32, small 1)
 */
#include "rt.h"

#define POLY 0x7ULL
#define NSTREAM 8

static inline u64 lfsr(u64 x) { return (x << 1) ^ (((i64)x < 0) ? POLY : 0); }

static __attribute__((noinline)) void update(u64 *t, u64 mask, u64 nupdate, const u64 *seeds) {
  u64 r[NSTREAM];
  for (int s = 0; s < NSTREAM; s++) r[s] = seeds[s];
  for (u64 i = 0; i < nupdate; i += NSTREAM) {
    for (int s = 0; s < NSTREAM; s++) {
      r[s] = lfsr(r[s]);
      t[r[s] & mask] ^= r[s];
    }
  }
}

int main(int argc, char **argv) {
  u64 mib = rt_arg_u64(argc, argv, 1, 32);
  if (mib < 1) mib = 1;
  u64 p2 = 1;
  while (p2 * 2 <= mib) p2 *= 2;
  mib = p2;
  u64 bytes = mib << 20;
  u64 n = bytes / sizeof(u64);
  u64 mask = n - 1;
  u64 nupdate = 4 * n;

  u64 *t = rt_mmap_anon(bytes);
  if (!t) rt_fail("mmap failed");
  for (u64 i = 0; i < n; i++) t[i] = i;

  u64 seeds[NSTREAM];
  u64 sm = 0x6095;
  for (int s = 0; s < NSTREAM; s++) seeds[s] = rt_splitmix64(&sm) | 1;

  update(t, mask, nupdate, seeds);
  u64 sum = 0, x = 0, changed = 0;
  for (u64 i = 0; i < n; i++) {
    sum += t[i];
    x ^= t[i] * (2 * i + 1);
    changed += t[i] != i;
  }
  update(t, mask, nupdate, seeds);
  u64 errors = 0;
  for (u64 i = 0; i < n; i++) errors += t[i] != i;

  rt_printf("gups: table %lu MiB (%lu words), %lu updates x 2\n", mib, n, nupdate);
  rt_printf("changed %lu sum %016lx errors %lu\n", changed, sum, errors);
  rt_printf("checksum 0x%016lx\n", rt_mix64(sum, x));
  rt_munmap(t, bytes);
  if (errors) {
    rt_printf("FAIL: verification errors\n");
    return 1;
  }
  return 0;
}
