/* string_search: substring search with naive, Boyer-Moore-Horspool and KMP.
 *
 * Generates text from a small alphabet (words over 'a'..'h', spaces and
 * newlines, so partial matches are frequent), picks 10 patterns of length 2
 * to 64 (most copied from the text, some random), counts all (overlapping)
 * occurrences with each algorithm, checks that the three agree, and also
 * counts word frequencies of 1-4 letter words with a rolling hash.
 *
 * usage: string_search [KiB]   (text size in KiB; default 9216, small 48)
 */
#include "rt.h"

#define NPAT 10

static __attribute__((noinline)) u64 search_naive(const u8 *t, u64 n, const u8 *p, u64 m,
                                                  u64 *possum) {
  u64 count = 0;
  if (m > n) return 0;
  for (u64 i = 0; i + m <= n; i++) {
    u64 j = 0;
    while (j < m && t[i + j] == p[j]) j++;
    if (j == m) {
      count++;
      *possum += i;
    }
  }
  return count;
}

static __attribute__((noinline)) u64 search_bmh(const u8 *t, u64 n, const u8 *p, u64 m,
                                                u64 *possum) {
  u64 shift[256];
  u64 count = 0;
  if (m > n) return 0;
  for (int c = 0; c < 256; c++) shift[c] = m;
  for (u64 i = 0; i + 1 < m; i++) shift[p[i]] = m - 1 - i;
  u8 last = p[m - 1];
  u64 i = 0;
  while (i + m <= n) {
    u8 c = t[i + m - 1];
    if (c == last) {
      u64 j = 0;
      while (j + 1 < m && t[i + j] == p[j]) j++;
      if (j + 1 >= m) {
        count++;
        *possum += i;
      }
    }
    i += shift[c];
  }
  return count;
}

static __attribute__((noinline)) u64 search_kmp(const u8 *t, u64 n, const u8 *p, u64 m,
                                                u64 *possum) {
  u32 fail[65];
  u64 count = 0;
  fail[0] = 0;
  for (u64 i = 1, k = 0; i < m; i++) {
    while (k && p[i] != p[k]) k = fail[k - 1];
    if (p[i] == p[k]) k++;
    fail[i] = (u32)k;
  }
  u64 k = 0;
  for (u64 i = 0; i < n; i++) {
    while (k && t[i] != p[k]) k = fail[k - 1];
    if (t[i] == p[k]) k++;
    if (k == m) {
      count++;
      *possum += i + 1 - m;
      k = fail[k - 1];
    }
  }
  return count;
}

#define HT_BITS 14
typedef struct {
  u32 key; /* packed word, up to 4 letters, 0 = empty */
  u32 count;
} wc_entry;
static wc_entry wc[1 << HT_BITS];

static u64 word_counts(const u8 *t, u64 n) {
  memset(wc, 0, sizeof wc);
  u64 i = 0, distinct = 0;
  while (i < n) {
    while (i < n && (t[i] == ' ' || t[i] == '\n')) i++;
    u64 s = i;
    u32 key = 0;
    while (i < n && t[i] != ' ' && t[i] != '\n') {
      if (i - s < 4) key = (key << 8) | t[i];
      i++;
    }
    if (i == s || i - s > 4) continue;
    u32 h = (key * 2654435761u) >> (32 - HT_BITS);
    while (wc[h].key && wc[h].key != key) h = (h + 1) & ((1 << HT_BITS) - 1);
    if (!wc[h].key) {
      wc[h].key = key;
      distinct++;
    }
    wc[h].count++;
  }
  u64 acc = distinct;
  for (u32 h = 0; h < (1 << HT_BITS); h++)
    if (wc[h].key) acc += (u64)wc[h].key * wc[h].count;
  return acc;
}

int main(int argc, char **argv) {
  u64 kib = rt_arg_u64(argc, argv, 1, 9216);
  if (kib < 1) kib = 1;
  u64 n = kib * 1024;
  u8 *text = malloc(n);
  if (!text) rt_fail("out of memory");
  rt_rng rng;
  rt_rng_seed(&rng, 0x57A6);
  for (u64 i = 0; i < n;) {
    u64 wl = 1 + rt_rng_below(&rng, 1 + rt_rng_below(&rng, 9));
    for (u64 k = 0; k < wl && i < n; k++) text[i++] = (u8)('a' + rt_rng_below(&rng, 8));
    if (i < n) text[i++] = rt_rng_below(&rng, 16) ? ' ' : '\n';
  }

  static const u64 lens[NPAT] = {2, 3, 5, 8, 12, 16, 24, 32, 48, 64};
  u8 pats[NPAT][64];
  for (int k = 0; k < NPAT; k++) {
    u64 m = lens[k];
    if (k % 4 == 3) { /* random pattern, likely absent when long */
      for (u64 j = 0; j < m; j++) pats[k][j] = (u8)('a' + rt_rng_below(&rng, 8));
    } else { /* copied from the text */
      u64 at = rt_rng_below(&rng, n > m ? n - m : 1);
      for (u64 j = 0; j < m; j++) pats[k][j] = j + at < n ? text[at + j] : 'a';
    }
  }

  int ok = 1;
  u64 cs = 0;
  rt_printf("string_search: text %lu bytes\n", n);
  rt_printf("counts");
  for (int k = 0; k < NPAT; k++) {
    u64 m = lens[k];
    u64 ps1 = 0, ps2 = 0, ps3 = 0;
    u64 c1 = search_naive(text, n, pats[k], m, &ps1);
    u64 c2 = search_bmh(text, n, pats[k], m, &ps2);
    u64 c3 = search_kmp(text, n, pats[k], m, &ps3);
    if (c1 != c2 || c1 != c3 || ps1 != ps2 || ps1 != ps3) ok = 0;
    cs = rt_mix64(cs, c1);
    cs = rt_mix64(cs, ps1);
    rt_printf(" %lu", c1);
  }
  rt_printf("\n");
  u64 wcs = word_counts(text, n);
  cs = rt_mix64(cs, wcs);
  rt_printf("words %016lx\n", wcs);
  rt_printf("checksum 0x%016lx\n", cs);
  free(text);
  if (!ok) {
    rt_printf("FAIL: algorithms disagree\n");
    return 1;
  }
  return 0;
}
