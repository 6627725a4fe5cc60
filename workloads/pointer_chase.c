/* pointer_chase: dependent loads over a random cyclic permutation (TLB/cache
 * latency bound).
 *
 * Allocates MiB mebibytes with mmap, splits it into 64-byte nodes, links the
 * nodes into one random cycle (Sattolo's algorithm, so every node is visited
 * exactly once per lap), then chases `next` pointers for STEPS steps summing
 * the node indices.  After a full lap from node 0 it must be back at node 0.
 *
 * usage: pointer_chase [MiB [STEPS]]
 *   MiB   working set in MiB (default 64, small 1)
 *   STEPS pointer dereferences (default: 4 x nodes, i.e. 4 laps)
 */
#include "rt.h"

typedef struct node {
  struct node *next;
  u64 index;
  u64 pad[6]; /* one node per 64-byte cache line */
} node;

int main(int argc, char **argv) {
  u64 mib = rt_arg_u64(argc, argv, 1, 64);
  if (mib < 1) mib = 1;
  u64 bytes = mib << 20;
  u64 n = bytes / sizeof(node);
  u64 steps = rt_arg_u64(argc, argv, 2, 4 * n);

  node *nodes = rt_mmap_anon(bytes);
  if (!nodes) rt_fail("mmap failed");
  u32 *perm = rt_mmap_anon(n * sizeof(u32));
  if (!perm) rt_fail("mmap failed");

  /* Sattolo: a uniformly random single cycle */
  rt_rng rng;
  rt_rng_seed(&rng, 0xC4A5E);
  for (u64 i = 0; i < n; i++) perm[i] = (u32)i;
  for (u64 i = n - 1; i > 0; i--) {
    u64 j = rt_rng_below(&rng, i); /* j < i */
    u32 t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (u64 i = 0; i < n; i++) {
    nodes[i].next = &nodes[perm[i]];
    nodes[i].index = i;
    for (int k = 0; k < 6; k++) nodes[i].pad[k] = i * 6 + (u64)k;
  }
  rt_munmap(perm, n * sizeof(u32));

  /* verify one lap: n steps from node 0 return to node 0, none earlier */
  int ok = 1;
  const node *p = &nodes[0];
  for (u64 i = 1; i <= n; i++) {
    p = p->next;
    if ((p == &nodes[0]) != (i == n)) {
      ok = 0;
      break;
    }
  }

  /* the timed part */
  u64 sum = 0, mix = 0;
  p = &nodes[0];
  for (u64 i = 0; i < steps; i++) {
    p = p->next;
    sum += p->index;
    if ((i & 0xFFFF) == 0) mix = rt_mix64(mix, p->index);
  }
  u64 laps = steps / n;
  /* every full lap visits each index once */
  u64 lap_sum = n * (n - 1) / 2;
  if (steps % n == 0 && sum != laps * lap_sum) ok = 0;

  rt_printf("pointer_chase: %lu MiB, %lu nodes, %lu steps, end node %lu\n", mib, n, steps, p->index);
  rt_printf("sum %lu\n", sum);
  rt_printf("checksum 0x%016lx\n", rt_mix64(mix, sum));
  rt_munmap(nodes, bytes);
  if (!ok) {
    rt_printf("FAIL: permutation is not a single cycle\n");
    return 1;
  }
  return 0;
}
