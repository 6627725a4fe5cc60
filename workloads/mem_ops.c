/* mem_ops: the C library's memcpy, memset and memmove as real programs use
 * them: whole-buffer copies and fills, overlapping moves in both
 * directions, and many small copies of random sizes (1-256 bytes) at random
 * offsets. The workload behind `vmbench exec --accelerate` (the guest's
 * memcpy/memset/memmove run by the host's SIMD kernels): its output must not
 * change when they are accelerated.
 *
 * Two buffers a, b of KiB kibibytes each (mmap'ed). Each of 16 rounds:
 * memset b, memcpy a -> b, memmove within a (forward and backward, by an
 * odd distance), then small memcpys (8 per KiB, at most 4096) between random
 * offsets of a and b.
 * Verifies sampled bytes against the definitions and checksums both buffers.
 *
 * usage: mem_ops [KiB]   (size of each buffer in KiB; default 8192 = 8 MiB,
 *                         small 64)
 */
#include "rt.h"

#define ROUNDS 16

int main(int argc, char **argv) {
  u64 kib = rt_arg_u64(argc, argv, 1, 8192);
  if (kib < 8) kib = 8;
  const u64 bytes = kib * 1024;
  const u64 small_copies = kib * 8 < 4096 ? kib * 8 : 4096;
  u8 *a = rt_mmap_anon(bytes), *b = rt_mmap_anon(bytes);
  if (!a || !b) rt_fail("mmap failed");
  for (u64 i = 0; i < bytes; i++) a[i] = (u8)(i * 131 + (i >> 9));
  rt_rng rng;
  rt_rng_seed(&rng, 42);
  u64 moved = 0;
  int ok = 1;
  for (int round = 0; round < ROUNDS; round++) {
    const int fill = (round * 37) & 0xff;
    memset(b, fill, bytes);
    if (b[rt_rng_below(&rng, bytes)] != (u8)fill) ok = 0;
    memcpy(b, a, bytes);
    const u64 probe = rt_rng_below(&rng, bytes);
    if (b[probe] != a[probe]) ok = 0;
    /* overlapping moves by an odd distance: forward, then back again */
    const u64 distance = 4096 + 2 * (u64)round + 1;
    const u64 span = bytes - distance;
    const u8 first = a[0], last = a[span - 1];
    memmove(a + distance, a, span);
    if (a[distance] != first || a[distance + span - 1] != last) ok = 0;
    memmove(a, a + distance, span);
    if (a[0] != first || a[span - 1] != last) ok = 0;
    for (u64 k = 0; k < small_copies; k++) {
      const u64 n = 1 + rt_rng_below(&rng, 256);
      const u64 from = rt_rng_below(&rng, bytes - n), to = rt_rng_below(&rng, bytes - n);
      memcpy(a + to, b + from, n);
      if (a[to + n - 1] != b[from + n - 1]) ok = 0;
      moved += n;
    }
    moved += 3 * bytes + 2 * span;
  }
  const u64 ha = rt_fnv1a64(a, bytes, RT_FNV_INIT), hb = rt_fnv1a64(b, bytes, RT_FNV_INIT);
  rt_printf("mem_ops: 2 x %lu KiB, %d rounds, %lu bytes copied or set\n", kib, ROUNDS, moved);
  rt_printf("hashes a %016lx b %016lx\n", ha, hb);
  rt_printf("checksum 0x%016lx\n", rt_mix64(rt_mix64(0, ha), hb));
  rt_munmap(a, bytes);
  rt_munmap(b, bytes);
  if (!ok) {
    rt_printf("FAIL: verification\n");
    return 1;
  }
  return 0;
}
