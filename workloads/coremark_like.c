/* coremark_like: a CoreMark-style integer mix (not the real CoreMark).
 *
 * Each iteration runs, with data derived from the iteration number:
 *   - linked list: find several keys, reverse, merge-sort by value, check
 *     order, perturb values, merge-sort back by index, check order;
 *   - matrix: 24x24 int16 matrices, add/multiply by constant, matrix*vector,
 *     matrix*matrix, matrix*matrix with bit-field extraction, clipped sums;
 *   - state machine: scan a 512-byte comma-separated string of numbers
 *     (int / float / scientific / invalid), corrupt it, rescan, restore;
 *   - CRC16 over every intermediate result.
 *
 * usage: coremark_like [iterations]   (default 6000, small 20)
 * output: per-part CRCs and a final "checksum" line; exit 1 on self-check fail.
 */
#include "rt.h"

/* ---------------- CRC16 (reflected poly 0xA001) ---------------- */
static u16 crc8(u8 data, u16 crc) {
  for (int i = 0; i < 8; i++) {
    u16 mix = (u16)((crc ^ data) & 1);
    crc >>= 1;
    if (mix) crc ^= 0xA001;
    data >>= 1;
  }
  return crc;
}
static u16 crc16(u16 v, u16 crc) { return crc8((u8)(v >> 8), crc8((u8)v, crc)); }
static u16 crc32w(u32 v, u16 crc) { return crc16((u16)(v >> 16), crc16((u16)v, crc)); }

/* ---------------- linked list ---------------- */
#define LN 160
typedef struct lnode {
  struct lnode *next;
  i16 val;
  i16 idx;
} lnode;
static lnode pool[LN];

typedef int (*cmp_fn)(const lnode *, const lnode *);
static int cmp_val(const lnode *a, const lnode *b) { return a->val - b->val; }
static int cmp_idx(const lnode *a, const lnode *b) { return a->idx - b->idx; }

static lnode *list_init(u32 seed) {
  for (int i = 0; i < LN; i++) {
    pool[i].idx = (i16)i;
    u32 x = seed * 0x9E3779B1u + (u32)i * 0x85EBCA6Bu;
    x ^= x >> 15;
    x *= 0x2C1B3C6Du;
    x ^= x >> 12;
    pool[i].val = (i16)(x & 0x3FFF);
    pool[i].next = i + 1 < LN ? &pool[i + 1] : 0;
  }
  return &pool[0];
}

static __attribute__((noinline)) const lnode *list_find(const lnode *l, i16 val) {
  while (l && l->val != val) l = l->next;
  return l;
}

static __attribute__((noinline)) lnode *list_reverse(lnode *l) {
  lnode *prev = 0;
  while (l) {
    lnode *n = l->next;
    l->next = prev;
    prev = l;
    l = n;
  }
  return prev;
}

/* bottom-up merge sort on a singly linked list (stable) */
static __attribute__((noinline)) lnode *list_sort(lnode *list, cmp_fn cmp) {
  if (!list) return 0;
  u32 insize = 1;
  for (;;) {
    lnode *p = list, *tail = 0;
    list = 0;
    u32 nmerges = 0;
    while (p) {
      nmerges++;
      lnode *q = p;
      u32 psize = 0;
      for (u32 i = 0; i < insize && q; i++) {
        psize++;
        q = q->next;
      }
      u32 qsize = insize;
      while (psize > 0 || (qsize > 0 && q)) {
        lnode *e;
        if (psize == 0) {
          e = q;
          q = q->next;
          qsize--;
        } else if (qsize == 0 || !q) {
          e = p;
          p = p->next;
          psize--;
        } else if (cmp(p, q) <= 0) {
          e = p;
          p = p->next;
          psize--;
        } else {
          e = q;
          q = q->next;
          qsize--;
        }
        if (tail)
          tail->next = e;
        else
          list = e;
        tail = e;
      }
      p = q;
    }
    if (!tail) return list; /* not reached: the list is non-empty */
    tail->next = 0;
    if (nmerges <= 1) return list;
    insize *= 2;
  }
}

static int failed;

static u16 bench_list(u32 iter, u16 crc) {
  lnode *head = list_init(iter);
  /* find: half the keys exist, half are unlikely */
  for (u32 k = 0; k < 12; k++) {
    i16 key = (k & 1) ? pool[(iter * 13 + k * 29) % LN].val : (i16)((iter * 77 + k * 1031) & 0x3FFF);
    const lnode *f = list_find(head, key);
    crc = crc16(f ? (u16)f->idx : 0xFFFF, crc);
  }
  head = list_reverse(head);
  crc = crc16((u16)head->idx, crc);
  head = list_sort(head, cmp_val);
  i16 last = -1;
  u32 n = 0;
  for (lnode *p = head; p; p = p->next, n++) {
    if (p->val < last) failed = 1;
    last = p->val;
    crc = crc16((u16)p->val, crc);
    p->val = (i16)((p->val ^ (i16)(iter * 7 + (u32)p->idx * 3)) & 0x3FFF);
  }
  if (n != LN) failed = 1;
  head = list_sort(head, cmp_idx);
  n = 0;
  for (lnode *p = head; p; p = p->next, n++) {
    if (p->idx != (i16)n) failed = 1;
    crc = crc16((u16)p->val, crc);
  }
  return crc;
}

/* ---------------- matrix ---------------- */
#define MN 24
static i16 mA[MN][MN], mB[MN][MN];
static i32 mC[MN][MN];
static i32 vC[MN];

static void matrix_init(u32 seed) {
  u32 x = seed | 1;
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      x = x * 1103515245u + 12345u;
      mA[i][j] = (i16)((x >> 16) & 0x3FF);
      x = x * 1103515245u + 12345u;
      mB[i][j] = (i16)(((x >> 16) & 0x3FF) - 0x200);
    }
}

static u32 matrix_sum(i16 clip) {
  i64 tmp = 0;
  i32 prev = 0;
  u32 ret = 0;
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      i32 cur = mC[i][j];
      tmp += cur;
      if (tmp > clip) {
        ret += 10;
        tmp = 0;
      } else {
        ret += (cur > prev) ? 1 : 0;
      }
      prev = cur;
    }
  return ret;
}

static __attribute__((noinline)) void mat_add_const(i16 v) {
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) mA[i][j] = (i16)(mA[i][j] + v);
}
static __attribute__((noinline)) void mat_mul_const(i16 v) {
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) mC[i][j] = (i32)mA[i][j] * (i32)v;
}
static __attribute__((noinline)) void mat_mul_vect(void) {
  for (int i = 0; i < MN; i++) {
    i32 s = 0;
    for (int j = 0; j < MN; j++) s += (i32)mA[i][j] * (i32)mB[j][0];
    vC[i] = s;
  }
}
static __attribute__((noinline)) void mat_mul_mat(void) {
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      i32 s = 0;
      for (int k = 0; k < MN; k++) s += (i32)mA[i][k] * (i32)mB[k][j];
      mC[i][j] = s;
    }
}
static __attribute__((noinline)) void mat_mul_bitextract(void) {
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      i32 s = 0;
      for (int k = 0; k < MN; k++) {
        i32 t = (i32)mA[i][k] * (i32)mB[k][j];
        s += ((t >> 2) & 0xF) * ((t >> 5) & 0x7F);
      }
      mC[i][j] = s;
    }
}

static u16 bench_matrix(u32 iter, u16 crc) {
  matrix_init(iter);
  i16 v = (i16)((iter & 0xFF) | 0x100);
  mat_add_const(v);
  mat_mul_const(v);
  crc = crc16((u16)matrix_sum((i16)(v * 40)), crc);
  mat_mul_vect();
  for (int i = 0; i < MN; i++) crc = crc32w((u32)vC[i], crc);
  mat_mul_mat();
  crc = crc16((u16)matrix_sum((i16)(v * 40)), crc);
  crc = crc32w((u32)mC[iter % MN][(iter / MN) % MN], crc);
  mat_mul_bitextract();
  crc = crc16((u16)matrix_sum((i16)(v * 40)), crc);
  mat_add_const((i16)-v);
  /* check: A restored */
  u32 x = iter | 1;
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      x = x * 1103515245u + 12345u;
      if (mA[i][j] != (i16)((x >> 16) & 0x3FF)) failed = 1;
      x = x * 1103515245u + 12345u;
    }
  return crc;
}

/* ---------------- state machine ---------------- */
enum { ST_START, ST_INVALID, ST_S1, ST_S2, ST_INT, ST_FLOAT, ST_EXPONENT, ST_SCIENTIFIC, NSTATES };

static const char *const tokens[] = {
    "5012",     "1234",     "-874",     "+122",     "35.54400", ".1234500", "-110.700", "+0.64400",
    "5.500e+3", "-.123e-2", "-87e+832", "+0.6e-12", "T0.3e-1F", "-T.T++Tq", "1T3.4e4z", "34.0e-T^"};
#define SMLEN 512
static u8 smbuf[SMLEN + 1];

static int is_digit(u8 c) { return c >= '0' && c <= '9'; }

static __attribute__((noinline)) int sm_step(const u8 **pstr, u32 *transitions) {
  const u8 *s = *pstr;
  int st = ST_START;
  for (; *s && st != ST_INVALID; s++) {
    u8 c = *s;
    if (c == ',') {
      s++;
      break;
    }
    int next = st;
    switch (st) {
      case ST_START:
        if (is_digit(c))
          next = ST_INT;
        else if (c == '+' || c == '-')
          next = ST_S1;
        else if (c == '.')
          next = ST_FLOAT;
        else
          next = ST_INVALID;
        break;
      case ST_S1:
        if (is_digit(c))
          next = ST_INT;
        else if (c == '.')
          next = ST_FLOAT;
        else
          next = ST_INVALID;
        break;
      case ST_INT:
        if (c == '.')
          next = ST_FLOAT;
        else if (!is_digit(c))
          next = ST_INVALID;
        break;
      case ST_FLOAT:
        if (c == 'E' || c == 'e')
          next = ST_S2;
        else if (!is_digit(c))
          next = ST_INVALID;
        break;
      case ST_S2:
        if (c == '+' || c == '-')
          next = ST_EXPONENT;
        else
          next = ST_INVALID;
        break;
      case ST_EXPONENT:
        if (is_digit(c))
          next = ST_SCIENTIFIC;
        else
          next = ST_INVALID;
        break;
      case ST_SCIENTIFIC:
        if (!is_digit(c)) next = ST_INVALID;
        break;
      default:
        break;
    }
    if (next != st) transitions[st]++;
    st = next;
  }
  /* skip the rest of an invalid token */
  if (st == ST_INVALID) {
    while (*s && *s != ',') s++;
    if (*s == ',') s++;
  }
  *pstr = s;
  return st;
}

static void sm_scan(u32 *final_counts, u32 *transitions) {
  const u8 *p = smbuf;
  while (*p) final_counts[sm_step(&p, transitions)]++;
}

static u16 bench_state(u32 iter, u16 crc) {
  u32 pos = 0, k = iter;
  while (pos < SMLEN) {
    k = k * 1664525u + 1013904223u;
    const char *t = tokens[(k >> 24) & 15];
    u32 n = (u32)strlen(t);
    if (pos + n + 1 > SMLEN) break;
    memcpy(smbuf + pos, t, n);
    pos += n;
    smbuf[pos++] = ',';
  }
  while (pos < SMLEN) smbuf[pos++] = ',';
  smbuf[SMLEN] = 0;

  u32 fc[NSTATES], tr[NSTATES];
  memset(fc, 0, sizeof fc);
  memset(tr, 0, sizeof tr);
  sm_scan(fc, tr);
  /* corrupt every 'step'-th character, rescan, restore */
  u32 step = 3 + (iter % 7);
  u8 xorv = (u8)(1 + (iter & 0x3F));
  for (u32 i = 0; i < SMLEN; i += step)
    if (smbuf[i] != ',') smbuf[i] ^= xorv;
  for (u32 i = 0; i < SMLEN; i++)
    if (smbuf[i] == 0) smbuf[i] = 1;
  sm_scan(fc, tr);
  for (int i = 0; i < NSTATES; i++) {
    crc = crc32w(fc[i], crc);
    crc = crc32w(tr[i], crc);
  }
  return crc;
}

int main(int argc, char **argv) {
  u64 iters = rt_arg_u64(argc, argv, 1, 6000);
  u16 crc_list = 0, crc_mat = 0, crc_sm = 0, crc_all = 0;
  for (u64 it = 0; it < iters; it++) {
    u32 i = (u32)it;
    crc_list = bench_list(i, crc_list);
    crc_mat = bench_matrix(i, crc_mat);
    crc_sm = bench_state(i, crc_sm);
    crc_all = crc16(crc_list, crc16(crc_mat, crc16(crc_sm, crc_all)));
  }
  /* fixed-input known-answer test for the CRC: "123456789" -> 0xBB3D (CRC-16/ARC) */
  u16 kat = 0;
  const char *s = "123456789";
  for (int i = 0; s[i]; i++) kat = crc8((u8)s[i], kat);
  if (kat != 0xBB3D) failed = 1;
  rt_printf("coremark_like: iterations %lu\n", iters);
  rt_printf("crc list 0x%04x matrix 0x%04x state 0x%04x\n", crc_list, crc_mat, crc_sm);
  rt_printf("checksum 0x%04x\n", crc_all);
  if (failed) {
    rt_printf("FAIL: self-check\n");
    return 1;
  }
  return 0;
}
