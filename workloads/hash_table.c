/* hash_table: open-addressing hash map (linear probing, backward-shift
 * deletion) with 64-bit keys and values.
 *
 * With N = THOUSANDS x 1000 keys and a table of the next power of two >= 2N
 * slots: insert N random keys (some duplicates, which update), look up N keys
 * (about half present), delete every key whose hash bit says so, look up
 * again, reinsert, then walk the table.  Every phase is checked against
 * counts kept on the side.
 *
 * usage: hash_table [THOUSANDS]   (default 2000, small 16)
 */
#include "rt.h"

typedef struct {
  u64 key; /* 0 = empty (keys are forced nonzero) */
  u64 val;
} entry;

static entry *tab;
static u64 mask, used;

static inline u64 hash(u64 k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

static int put(u64 k, u64 v) { /* returns 1 if new */
  u64 i = hash(k) & mask;
  while (tab[i].key) {
    if (tab[i].key == k) {
      tab[i].val = v;
      return 0;
    }
    i = (i + 1) & mask;
  }
  tab[i].key = k;
  tab[i].val = v;
  used++;
  return 1;
}

static const entry *get(u64 k) {
  u64 i = hash(k) & mask;
  while (tab[i].key) {
    if (tab[i].key == k) return &tab[i];
    i = (i + 1) & mask;
  }
  return 0;
}

static int del(u64 k) {
  u64 i = hash(k) & mask;
  while (tab[i].key && tab[i].key != k) i = (i + 1) & mask;
  if (!tab[i].key) return 0;
  /* backward-shift deletion */
  u64 j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (!tab[j].key) break;
    u64 home = hash(tab[j].key) & mask;
    /* move j to i if home is not cyclically in (i, j] */
    if (((j - home) & mask) >= ((j - i) & mask)) {
      tab[i] = tab[j];
      i = j;
    }
  }
  tab[i].key = 0;
  tab[i].val = 0;
  used--;
  return 1;
}

static u64 key_of(u64 i) { /* ~1/8 of the indices repeat an earlier key */
  u64 s = (i & 7) == 5 ? i / 3 : i;
  u64 k = hash(s * 0x9E3779B97F4A7C15ULL + 0x1234567);
  return k ? k : 1;
}

int main(int argc, char **argv) {
  u64 n = rt_arg_u64(argc, argv, 1, 2000) * 1000;
  if (n < 1) n = 1;
  u64 cap = 1;
  while (cap < 2 * n) cap <<= 1;
  mask = cap - 1;
  tab = calloc(cap, sizeof(entry));
  if (!tab) rt_fail("out of memory");
  int ok = 1;
  u64 cs = 0;

  u64 inserted = 0;
  for (u64 i = 0; i < n; i++) inserted += (u64)put(key_of(i), i);
  if (inserted != used) ok = 0;

  u64 hits = 0, vsum = 0;
  rt_rng rng;
  rt_rng_seed(&rng, 0x4A54);
  for (u64 i = 0; i < n; i++) {
    u64 k = (i & 1) ? key_of(rt_rng_below(&rng, n)) : (rt_rng_next(&rng) | 1);
    const entry *e = get(k);
    if (e) {
      hits++;
      vsum += e->val;
    }
  }
  cs = rt_mix64(cs, hits);
  cs = rt_mix64(cs, vsum);

  u64 deleted = 0;
  for (u64 i = 0; i < n; i++) {
    u64 k = key_of(i);
    if (hash(k ^ 0xDE1) & 1) deleted += (u64)del(k);
  }
  if (used != inserted - deleted) ok = 0;
  u64 hits2 = 0;
  for (u64 i = 0; i < n; i++) {
    u64 k = key_of(i);
    const entry *e = get(k);
    int should = !(hash(k ^ 0xDE1) & 1);
    if ((e != 0) != should) ok = 0;
    hits2 += e != 0;
  }
  u64 reinserted = 0;
  for (u64 i = 0; i < n; i += 2) reinserted += (u64)put(key_of(i), i * 3);

  u64 walk = 0, count = 0, maxrun = 0, run = 0;
  for (u64 i = 0; i <= mask; i++) {
    if (tab[i].key) {
      count++;
      walk = rt_mix64(walk, tab[i].key ^ tab[i].val);
      run++;
      if (run > maxrun) maxrun = run;
    } else {
      run = 0;
    }
  }
  if (count != used) ok = 0;
  cs = rt_mix64(cs, walk);

  rt_printf("hash_table: n %lu slots %lu inserted %lu hits %lu deleted %lu hits2 %lu reinserted %lu\n",
            n, cap, inserted, hits, deleted, hits2, reinserted);
  rt_printf("final %lu entries, longest run %lu\n", count, maxrun);
  rt_printf("checksum 0x%016lx\n", cs);
  free(tab);
  if (!ok) {
    rt_printf("FAIL: self-check\n");
    return 1;
  }
  return 0;
}
