/* alloc_stress: malloc/free/realloc churn on the runtime's brk + mmap heap,
 * plus raw mmap/munmap (including partial unmaps).
 *
 * Main phase: THOUSANDS x 1000 random operations on 4096 slots.  An empty slot
 * gets a new block (70% 1-256 B, 20% up to 4 KiB, 9.8% up to 64 KiB, 0.2%
 * 128 KiB - 1 MiB which malloc serves with mmap); a full slot is verified and
 * freed, or (1 in 8) realloc'ed to a new size with its prefix verified.  Every
 * block is filled with a pattern derived from a per-block seed (large blocks:
 * the first 64 bytes of every page and the tail).
 * Every 64k operations: a burst of 2000 small blocks in a linked list, freed in
 * an interleaved order; and a raw 4-12 MiB mmap, touched on every page, with
 * a middle part munmap'ed before the rest is verified and unmapped.
 *
 * usage: alloc_stress [THOUSANDS]   (thousands of operations; default 750, small 4)
 */
#include "rt.h"

#define SLOTS 4096
#define SPARSE_MIN RT_MMAP_THRESHOLD

typedef struct {
  u8 *p;
  u64 size;
  u64 seed;
} slot;
static slot slots[SLOTS];

static u64 pattern(u64 seed, u64 i) { return seed ^ (i * 0x9E3779B97F4A7C15ULL); }

static void fill(u8 *p, u64 size, u64 seed) {
  u64 words = size / 8;
  int sparse = size >= SPARSE_MIN;
  u64 *w = (u64 *)p;
  if (!sparse) {
    for (u64 i = 0; i < words; i++) w[i] = pattern(seed, i);
  } else {
    for (u64 pg = 0; pg < words; pg += 512)
      for (u64 i = pg; i < pg + 8 && i < words; i++) w[i] = pattern(seed, i);
    for (u64 i = words >= 8 ? words - 8 : 0; i < words; i++) w[i] = pattern(seed, i);
  }
  for (u64 b = words * 8; b < size; b++) p[b] = (u8)(seed + b);
}

/* verifies the first len bytes of a block of the given size; returns a
 * checksum contribution, sets *bad on mismatch */
static u64 verify(const u8 *p, u64 size, u64 len, u64 seed, int *bad) {
  u64 words = size / 8;
  int sparse = size >= SPARSE_MIN;
  const u64 *w = (const u64 *)p;
  u64 acc = 0;
  u64 lw = len / 8;
  if (!sparse) {
    for (u64 i = 0; i < lw; i++) {
      if (w[i] != pattern(seed, i)) *bad = 1;
      acc += w[i];
    }
  } else {
    for (u64 pg = 0; pg < lw; pg += 512)
      for (u64 i = pg; i < pg + 8 && i < lw; i++) {
        if (w[i] != pattern(seed, i)) *bad = 1;
        acc += w[i];
      }
    for (u64 i = words >= 8 ? words - 8 : 0; i < lw; i++) {
      if ((i & 511) < 8) continue; /* already checked above */
      if (w[i] != pattern(seed, i)) *bad = 1;
      acc += w[i];
    }
  }
  for (u64 b = words * 8; b < len; b++) {
    if (p[b] != (u8)(seed + b)) *bad = 1;
    acc += p[b];
  }
  return acc;
}

static u64 pick_size(rt_rng *rng) {
  u64 r = rt_rng_below(rng, 1000);
  if (r < 700) return 1 + rt_rng_below(rng, 256);
  if (r < 900) return 257 + rt_rng_below(rng, 4096 - 256);
  if (r < 998) return 4097 + rt_rng_below(rng, 65536 - 4096);
  return (128 << 10) + rt_rng_below(rng, (1 << 20) - (128 << 10));
}

typedef struct lnode {
  struct lnode *next;
  u64 v[3];
} lnode;

static u64 burst(rt_rng *rng, int *bad) {
  lnode *head = 0;
  u64 acc = 0;
  for (u64 i = 0; i < 2000; i++) {
    u64 sz = sizeof(lnode) + rt_rng_below(rng, 64);
    lnode *n = malloc(sz);
    if (!n) rt_fail("burst: out of memory");
    n->v[0] = i;
    n->v[1] = i * i;
    n->v[2] = sz;
    n->next = head;
    head = n;
  }
  /* free every other node, then the rest */
  for (int pass = 0; pass < 2; pass++) {
    lnode **pp = &head;
    u64 k = 0;
    while (*pp) {
      lnode *n = *pp;
      if (pass == 1 || (k++ & 1)) {
        if (n->v[1] != n->v[0] * n->v[0]) *bad = 1;
        acc = rt_mix64(acc, n->v[0] + n->v[2]);
        *pp = n->next;
        free(n);
      } else {
        pp = &n->next;
      }
    }
  }
  return acc;
}

static u64 raw_mmap(rt_rng *rng, int *bad) {
  u64 pages = 1024 + rt_rng_below(rng, 2048); /* 4-12 MiB */
  u64 len = pages * RT_PAGE_SIZE;
  u8 *m = rt_mmap_anon(len);
  if (!m) rt_fail("raw mmap failed");
  u64 acc = 0;
  for (u64 pg = 0; pg < pages; pg++) {
    u64 *w = (u64 *)(m + pg * RT_PAGE_SIZE);
    if (w[0] != 0 || w[511] != 0) *bad = 1; /* fresh anonymous memory is zero */
    w[0] = pg * 7 + 1;
    w[511] = ~pg;
  }
  /* unmap a middle range, keep both ends */
  u64 hole_start = pages / 4 + rt_rng_below(rng, pages / 4);
  u64 hole_pages = 1 + rt_rng_below(rng, pages / 4);
  if (rt_munmap(m + hole_start * RT_PAGE_SIZE, hole_pages * RT_PAGE_SIZE) != 0) *bad = 1;
  for (u64 pg = 0; pg < pages; pg++) {
    if (pg >= hole_start && pg < hole_start + hole_pages) continue;
    u64 *w = (u64 *)(m + pg * RT_PAGE_SIZE);
    if (w[0] != pg * 7 + 1 || w[511] != ~pg) *bad = 1;
    acc += w[0] ^ w[511];
  }
  if (rt_munmap(m, hole_start * RT_PAGE_SIZE) != 0) *bad = 1;
  u64 tail = hole_start + hole_pages;
  if (rt_munmap(m + tail * RT_PAGE_SIZE, (pages - tail) * RT_PAGE_SIZE) != 0) *bad = 1;
  return rt_mix64(acc, pages * 1000 + hole_pages);
}

int main(int argc, char **argv) {
  u64 ops = rt_arg_u64(argc, argv, 1, 750) * 1000;
  rt_rng rng;
  rt_rng_seed(&rng, 0xA110C);
  int bad = 0;
  u64 cs = 0, nalloc = 0, nfree = 0, nrealloc = 0, bytes = 0, seedctr = 1;

  for (u64 op = 0; op < ops; op++) {
    slot *s = &slots[rt_rng_below(&rng, SLOTS)];
    if (!s->p) {
      u64 sz = pick_size(&rng);
      s->p = malloc(sz);
      if (!s->p) rt_fail("out of memory");
      s->size = sz;
      s->seed = rt_mix64(0x5EED, seedctr++);
      fill(s->p, sz, s->seed);
      nalloc++;
      bytes += sz;
    } else if (rt_rng_below(&rng, 8) == 0) {
      u64 nsz = pick_size(&rng);
      u64 keep = nsz < s->size ? nsz : s->size;
      u8 *q = realloc(s->p, nsz);
      if (!q) rt_fail("realloc: out of memory");
      cs += verify(q, s->size, keep, s->seed, &bad);
      s->p = q;
      s->size = nsz;
      s->seed = rt_mix64(0x5EED, seedctr++);
      fill(q, nsz, s->seed);
      nrealloc++;
      bytes += nsz;
    } else {
      cs += verify(s->p, s->size, s->size, s->seed, &bad);
      free(s->p);
      s->p = 0;
      nfree++;
    }
    if ((op & 0xFFFF) == 0xFFFF) {
      cs = rt_mix64(cs, burst(&rng, &bad));
      cs = rt_mix64(cs, raw_mmap(&rng, &bad));
    }
  }
  u64 live_at_end = 0;
  for (int i = 0; i < SLOTS; i++) {
    if (!slots[i].p) continue;
    live_at_end++;
    cs += verify(slots[i].p, slots[i].size, slots[i].size, slots[i].seed, &bad);
    free(slots[i].p);
    slots[i].p = 0;
  }
  cs = rt_mix64(cs, burst(&rng, &bad));
  cs = rt_mix64(cs, raw_mmap(&rng, &bad));

  rt_heap_stats st;
  rt_heap_get_stats(&st);
  if (st.live_blocks != 0 || st.mmap_calls != st.munmap_calls) bad = 1;
  rt_printf("alloc_stress: ops %lu malloc %lu free %lu realloc %lu live_at_end %lu bytes %lu\n", ops,
            nalloc, nfree, nrealloc, live_at_end, bytes);
  rt_printf("heap: brk_bytes %lu brk_calls %lu mmap %lu munmap %lu reused %lu\n", st.brk_bytes,
            st.brk_calls, st.mmap_calls, st.munmap_calls, st.reused_blocks);
  rt_printf("checksum 0x%016lx\n", rt_mix64(cs, bytes));
  if (bad) {
    rt_printf("FAIL: verification\n");
    return 1;
  }
  return 0;
}
