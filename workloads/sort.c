/* sort: quicksort, merge sort and heap sort of pseudo-random 64-bit integers.
 *
 * Generates N random u64 (about 1/8 of them duplicates of earlier values),
 * sorts three copies with an introsort-style quicksort (median-of-3,
 * insertion sort below 16), a top-down merge sort with a scratch buffer and an
 * in-place heap sort, checks that every result is sorted and all three are
 * identical, and checksums the sorted sequence.
 *
 * usage: sort [N]   (number of elements; default 1500000, small 20000)
 */
#include "rt.h"

static void insertion_sort(u64 *a, i64 n) {
  for (i64 i = 1; i < n; i++) {
    u64 v = a[i];
    i64 j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static inline void swap64(u64 *a, u64 *b) {
  u64 t = *a;
  *a = *b;
  *b = t;
}

static void quick_sort(u64 *a, i64 n) {
  while (n > 16) {
    i64 mid = n / 2;
    /* median of three into a[mid] */
    if (a[mid] < a[0]) swap64(&a[mid], &a[0]);
    if (a[n - 1] < a[0]) swap64(&a[n - 1], &a[0]);
    if (a[n - 1] < a[mid]) swap64(&a[n - 1], &a[mid]);
    u64 pivot = a[mid];
    i64 i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      swap64(&a[i], &a[j]);
      i++;
      j--;
    }
    /* recurse into the smaller part, loop on the larger (bounded stack) */
    i64 left = j + 1;
    if (left < n - left) {
      quick_sort(a, left);
      a += left;
      n -= left;
    } else {
      quick_sort(a + left, n - left);
      n = left;
    }
  }
  insertion_sort(a, n);
}

static void merge_sort_rec(u64 *a, u64 *tmp, i64 n) {
  if (n <= 16) {
    insertion_sort(a, n);
    return;
  }
  i64 h = n / 2;
  merge_sort_rec(a, tmp, h);
  merge_sort_rec(a + h, tmp, n - h);
  if (a[h - 1] <= a[h]) return;
  memcpy(tmp, a, (u64)h * sizeof(u64));
  i64 i = 0, j = h, k = 0;
  while (i < h && j < n) a[k++] = (tmp[i] <= a[j]) ? tmp[i++] : a[j++];
  while (i < h) a[k++] = tmp[i++];
}

static void sift_down(u64 *a, i64 root, i64 n) {
  u64 v = a[root];
  for (;;) {
    i64 c = 2 * root + 1;
    if (c >= n) break;
    if (c + 1 < n && a[c + 1] > a[c]) c++;
    if (a[c] <= v) break;
    a[root] = a[c];
    root = c;
  }
  a[root] = v;
}

static void heap_sort(u64 *a, i64 n) {
  for (i64 i = n / 2 - 1; i >= 0; i--) sift_down(a, i, n);
  for (i64 i = n - 1; i > 0; i--) {
    swap64(&a[0], &a[i]);
    sift_down(a, 0, i);
  }
}

static int is_sorted(const u64 *a, i64 n) {
  for (i64 i = 1; i < n; i++)
    if (a[i - 1] > a[i]) return 0;
  return 1;
}

int main(int argc, char **argv) {
  i64 n = (i64)rt_arg_u64(argc, argv, 1, 1500000);
  if (n < 1) n = 1;
  u64 bytes = (u64)n * sizeof(u64);
  u64 *orig = malloc(bytes), *q = malloc(bytes), *m = malloc(bytes), *h = malloc(bytes);
  u64 *tmp = malloc(bytes / 2 + 8);
  if (!orig || !q || !m || !h || !tmp) rt_fail("out of memory");

  rt_rng rng;
  rt_rng_seed(&rng, 0x5047u);
  u64 in_sum = 0;
  for (i64 i = 0; i < n; i++) {
    u64 v = rt_rng_next(&rng);
    if (i > 0 && (v & 7) == 0) v = orig[rt_rng_below(&rng, (u64)i)]; /* duplicates */
    orig[i] = v;
    in_sum += v;
  }
  memcpy(q, orig, bytes);
  memcpy(m, orig, bytes);
  memcpy(h, orig, bytes);

  quick_sort(q, n);
  merge_sort_rec(m, tmp, n);
  heap_sort(h, n);

  int ok = is_sorted(q, n) && is_sorted(m, n) && is_sorted(h, n) && memcmp(q, m, bytes) == 0 &&
           memcmp(q, h, bytes) == 0;
  u64 out_sum = 0, cs = RT_FNV_INIT, dups = 0;
  for (i64 i = 0; i < n; i++) {
    out_sum += q[i];
    cs = rt_mix64(cs, q[i]);
    if (i && q[i] == q[i - 1]) dups++;
  }
  ok = ok && out_sum == in_sum;

  rt_printf("sort: n %ld duplicates %lu min %016lx max %016lx median %016lx\n", n, dups, q[0],
            q[n - 1], q[n / 2]);
  rt_printf("checksum 0x%016lx\n", cs);
  free(orig);
  free(q);
  free(m);
  free(h);
  free(tmp);
  if (!ok) {
    rt_printf("FAIL: not sorted or sorts disagree\n");
    return 1;
  }
  return 0;
}
