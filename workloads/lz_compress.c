/* lz_compress: LZ4-style compressor and decompressor.
 *
 * Generates semi-compressible data (Zipf-like words from a random vocabulary,
 * random-byte noise, repeats of earlier spans), compresses it with a greedy
 * hash-chain-free LZ77 (64 KiB window, 4-byte minimum match, LZ4-like
 * token/literal/offset format), decompresses, verifies the round trip, and
 * does the same again with a second, lazier "high" mode that tries two
 * candidates.  Prints sizes and a checksum of the compressed streams.
 *
 * usage: lz_compress [KiB]   (input size in KiB; default 12288, small 48)
 */
#include "rt.h"

#define MINMATCH 4
#define MAXOFF 65535
#define HBITS 16

static inline u32 rd32(const u8 *p) {
  u32 v;
  memcpy(&v, p, 4);
  return v;
}
static inline u32 hash4(u32 v) { return (v * 2654435761u) >> (32 - HBITS); }

static u8 *put_len(u8 *op, u64 len) {
  while (len >= 255) {
    *op++ = 255;
    len -= 255;
  }
  *op++ = (u8)len;
  return op;
}

static u8 *emit(u8 *op, const u8 *lit, u64 litlen, u64 off, u64 mlen) {
  u8 *tok = op++;
  u8 t = (u8)((litlen >= 15 ? 15 : litlen) << 4);
  if (litlen >= 15) op = put_len(op, litlen - 15);
  memcpy(op, lit, litlen);
  op += litlen;
  if (mlen) {
    *op++ = (u8)off;
    *op++ = (u8)(off >> 8);
    u64 ml = mlen - MINMATCH;
    t |= (u8)(ml >= 15 ? 15 : ml);
    if (ml >= 15) op = put_len(op, ml - 15);
  }
  *tok = t;
  return op;
}

static u64 match_len(const u8 *a, const u8 *b, const u8 *end) {
  const u8 *s = b;
  while (b < end && *a == *b) {
    a++;
    b++;
  }
  return (u64)(b - s);
}

/* mode 0: greedy, one candidate per hash.  mode 1: two-way bucket + lazy step. */
static u64 compress(const u8 *src, u64 n, u8 *dst, u32 *table, int mode) {
  u64 tsize = (u64)1 << HBITS;
  memset(table, 0, tsize * (mode ? 2 : 1) * sizeof(u32));
  const u8 *ip = src, *anchor = src, *end = src + n;
  const u8 *mflimit = n > 12 ? end - 12 : src; /* keep last bytes literal */
  const u8 *mend = n > 5 ? end - 5 : src;
  u8 *op = dst;
  while (ip < mflimit) {
    u32 h = hash4(rd32(ip));
    u64 pos = (u64)(ip - src) + 1; /* 0 = empty slot */
    u64 best_len = 0, best_off = 0;
    for (int w = 0; w < (mode ? 2 : 1); w++) {
      u32 cand = table[h * (mode ? 2 : 1) + (u32)w];
      if (!cand) continue;
      u64 off = pos - cand;
      if (off == 0 || off > MAXOFF) continue;
      const u8 *ref = ip - off;
      if (rd32(ref) != rd32(ip)) continue;
      u64 len = MINMATCH + match_len(ref + MINMATCH, ip + MINMATCH, mend);
      if (len > best_len) {
        best_len = len;
        best_off = off;
      }
    }
    if (mode) {
      table[h * 2 + 1] = table[h * 2];
      table[h * 2] = (u32)pos;
    } else {
      table[h] = (u32)pos;
    }
    if (!best_len) {
      ip++;
      continue;
    }
    if (mode && ip + 1 < mflimit) {
      /* lazy: prefer a longer match starting one byte later */
      u32 h2 = hash4(rd32(ip + 1));
      u32 cand = table[h2 * 2];
      u64 off = pos + 1 - cand;
      if (cand && off && off <= MAXOFF && rd32(ip + 1 - off) == rd32(ip + 1)) {
        u64 len = MINMATCH + match_len(ip + 1 - off + MINMATCH, ip + 1 + MINMATCH, mend);
        if (len > best_len + 1) {
          ip++;
          best_len = len;
          best_off = off;
        }
      }
    }
    op = emit(op, anchor, (u64)(ip - anchor), best_off, best_len);
    /* insert a couple of positions inside the match */
    const u8 *mstart = ip;
    ip += best_len;
    anchor = ip;
    if (ip - 2 > mstart && ip < mflimit) {
      u32 hh = hash4(rd32(ip - 2));
      if (mode)
        table[hh * 2] = (u32)(ip - 2 - src + 1);
      else
        table[hh] = (u32)(ip - 2 - src + 1);
    }
  }
  op = emit(op, anchor, (u64)(end - anchor), 0, 0);
  return (u64)(op - dst);
}

/* returns decompressed size, or (u64)-1 on malformed input */
static u64 decompress(const u8 *src, u64 n, u8 *dst, u64 cap) {
  const u8 *ip = src, *iend = src + n;
  u8 *op = dst, *oend = dst + cap;
  while (ip < iend) {
    u8 t = *ip++;
    u64 lit = t >> 4;
    if (lit == 15) {
      u8 b;
      do {
        if (ip >= iend) return (u64)-1;
        b = *ip++;
        lit += b;
      } while (b == 255);
    }
    if (lit > (u64)(iend - ip) || lit > (u64)(oend - op)) return (u64)-1;
    memcpy(op, ip, lit);
    op += lit;
    ip += lit;
    if (ip >= iend) break; /* last sequence: literals only */
    if (iend - ip < 2) return (u64)-1;
    u64 off = (u64)ip[0] | ((u64)ip[1] << 8);
    ip += 2;
    u64 ml = t & 15;
    if (ml == 15) {
      u8 b;
      do {
        if (ip >= iend) return (u64)-1;
        b = *ip++;
        ml += b;
      } while (b == 255);
    }
    ml += MINMATCH;
    if (off == 0 || off > (u64)(op - dst) || ml > (u64)(oend - op)) return (u64)-1;
    const u8 *ref = op - off;
    if (off >= ml) {
      memcpy(op, ref, ml);
      op += ml;
    } else {
      while (ml--) *op++ = *ref++;
    }
  }
  return (u64)(op - dst);
}

static void gen_data(u8 *buf, u64 n) {
  rt_rng rng;
  rt_rng_seed(&rng, 0x1277);
  /* vocabulary of 512 words, 2..11 lowercase letters */
  static u8 words[512][12];
  static u8 wlen[512];
  for (int i = 0; i < 512; i++) {
    wlen[i] = (u8)(2 + rt_rng_below(&rng, 10));
    for (int j = 0; j < wlen[i]; j++) words[i][j] = (u8)('a' + rt_rng_below(&rng, 26));
  }
  u64 pos = 0;
  while (pos < n) {
    u64 r = rt_rng_below(&rng, 100);
    if (r < 4) { /* noise */
      u64 k = 1 + rt_rng_below(&rng, 24);
      for (u64 i = 0; i < k && pos < n; i++) buf[pos++] = (u8)rt_rng_next(&rng);
    } else if (r < 7 && pos > 4096) { /* repeat an earlier span */
      u64 len = 16 + rt_rng_below(&rng, 240);
      u64 back = 1 + rt_rng_below(&rng, pos < 60000 ? pos : 60000);
      for (u64 i = 0; i < len && pos < n; i++, pos++) buf[pos] = buf[pos - back];
    } else { /* Zipf-ish word */
      u64 w = rt_rng_below(&rng, 1 + rt_rng_below(&rng, 512));
      for (int j = 0; j < wlen[w] && pos < n; j++) buf[pos++] = words[w][j];
      if (pos < n) buf[pos++] = (r & 1) ? ' ' : (r % 5 == 0 ? '\n' : ' ');
    }
  }
}

int main(int argc, char **argv) {
  u64 kib = rt_arg_u64(argc, argv, 1, 12288);
  if (kib < 1) kib = 1;
  u64 n = kib * 1024;
  u64 bound = n + n / 255 + 64;
  u8 *src = malloc(n), *cmp = malloc(bound), *out = malloc(n);
  u32 *table = malloc(((u64)2 << HBITS) * sizeof(u32));
  if (!src || !cmp || !out || !table) rt_fail("out of memory");
  gen_data(src, n);
  u64 src_hash = rt_fnv1a64(src, n, RT_FNV_INIT);

  int ok = 1;
  u64 cs = RT_FNV_INIT;
  u64 csize[2];
  for (int mode = 0; mode < 2; mode++) {
    u64 c = compress(src, n, cmp, table, mode);
    csize[mode] = c;
    cs = rt_fnv1a64(cmp, c, cs);
    memset(out, 0, n);
    u64 d = decompress(cmp, c, out, n);
    if (d != n || memcmp(out, src, n) != 0) ok = 0;
    cs = rt_mix64(cs, rt_fnv1a64(out, n, RT_FNV_INIT));
    /* a corrupted stream must be rejected or decode to something else */
    if (c > 16) {
      cmp[c / 2] ^= 0x5A;
      u64 d2 = decompress(cmp, c, out, n);
      cs = rt_mix64(cs, d2 == (u64)-1 ? 0xBAD : rt_fnv1a64(out, d2 < n ? d2 : n, RT_FNV_INIT));
    }
  }
  rt_printf("lz_compress: input %lu bytes hash %016lx\n", n, src_hash);
  rt_printf("fast %lu bytes (%lu.%03lu%%)  high %lu bytes (%lu.%03lu%%)\n", csize[0],
            csize[0] * 100 / n, csize[0] * 100000 / n % 1000, csize[1], csize[1] * 100 / n,
            csize[1] * 100000 / n % 1000);
  rt_printf("checksum 0x%016lx\n", cs);
  free(src);
  free(cmp);
  free(out);
  free(table);
  if (!ok) {
    rt_printf("FAIL: round trip mismatch\n");
    return 1;
  }
  return 0;
}
