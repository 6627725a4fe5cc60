/* sha256: SHA-256 over a generated 64 KiB buffer, chained.
 *
 * Checks the FIPS 180-2 test vectors ("abc" and the 448-bit message) first,
 * then repeats R rounds of: digest = SHA256(buffer); xor the digest into the
 * buffer at a round-dependent offset.  Prints the final digest.
 *
 * usage: sha256 [R]   (rounds of 64 KiB each; default 1200, small 1)
 */
#include "rt.h"

typedef struct {
  u32 h[8];
  u64 len;
  u8 buf[64];
  u32 fill;
} sha256_ctx;

static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline u32 ror(u32 x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_block(u32 *h, const u8 *p) {
  u32 w[64];
  for (int i = 0; i < 16; i++)
    w[i] = ((u32)p[4 * i] << 24) | ((u32)p[4 * i + 1] << 16) | ((u32)p[4 * i + 2] << 8) | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    u32 s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    u32 S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
    u32 ch = (e & f) ^ (~e & g);
    u32 t1 = hh + S1 + ch + K[i] + w[i];
    u32 S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
    u32 maj = (a & b) ^ (a & c) ^ (b & c);
    u32 t2 = S0 + maj;
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

static void sha256_init(sha256_ctx *c) {
  static const u32 iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->len = 0;
  c->fill = 0;
}

static void sha256_update(sha256_ctx *c, const u8 *p, u64 n) {
  c->len += n;
  if (c->fill) {
    while (n && c->fill < 64) {
      c->buf[c->fill++] = *p++;
      n--;
    }
    if (c->fill < 64) return;
    sha256_block(c->h, c->buf);
    c->fill = 0;
  }
  while (n >= 64) {
    sha256_block(c->h, p);
    p += 64;
    n -= 64;
  }
  memcpy(c->buf, p, n);
  c->fill = (u32)n;
}

static void sha256_final(sha256_ctx *c, u8 out[32]) {
  u64 bits = c->len * 8;
  u8 pad = 0x80;
  sha256_update(c, &pad, 1);
  u8 zero = 0;
  while (c->fill != 56) sha256_update(c, &zero, 1);
  u8 lenb[8];
  for (int i = 0; i < 8; i++) lenb[i] = (u8)(bits >> (56 - 8 * i));
  sha256_update(c, lenb, 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (u8)(c->h[i] >> 24);
    out[4 * i + 1] = (u8)(c->h[i] >> 16);
    out[4 * i + 2] = (u8)(c->h[i] >> 8);
    out[4 * i + 3] = (u8)c->h[i];
  }
}

static void sha256(const u8 *p, u64 n, u8 out[32]) {
  sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, p, n);
  sha256_final(&c, out);
}

static void to_hex(const u8 *d, char *out) {
  for (int i = 0; i < 32; i++) {
    out[2 * i] = "0123456789abcdef"[d[i] >> 4];
    out[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
  }
  out[64] = 0;
}

#define BUFSZ (64 * 1024)
static u8 data[BUFSZ];

int main(int argc, char **argv) {
  u64 rounds = rt_arg_u64(argc, argv, 1, 1200);
  u8 d[32];
  char hex[65];
  int ok = 1;

  const char *m1 = "abc";
  sha256((const u8 *)m1, 3, d);
  to_hex(d, hex);
  ok &= rt_strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0;
  const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sha256((const u8 *)m2, strlen(m2), d);
  to_hex(d, hex);
  ok &= rt_strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0;

  rt_rng rng;
  rt_rng_seed(&rng, 0x5A256);
  for (u64 i = 0; i < BUFSZ; i += 8) {
    u64 v = rt_rng_next(&rng);
    memcpy(data + i, &v, 8);
  }
  memset(d, 0, sizeof d);
  for (u64 r = 0; r < rounds; r++) {
    sha256(data, BUFSZ, d);
    u64 off = (r * 4099) % (BUFSZ - 32);
    for (int i = 0; i < 32; i++) data[off + i] ^= d[i];
  }
  /* one more hash through the incremental path with odd chunk sizes */
  sha256_ctx c;
  sha256_init(&c);
  for (u64 pos = 0, step = 1; pos < BUFSZ; step = step * 3 % 1021 + 1) {
    u64 n = step < BUFSZ - pos ? step : BUFSZ - pos;
    sha256_update(&c, data + pos, n);
    pos += n;
  }
  u8 d2[32];
  sha256_final(&c, d2);
  u8 d3[32];
  sha256(data, BUFSZ, d3);
  ok &= memcmp(d2, d3, 32) == 0;

  to_hex(d, hex);
  rt_printf("sha256: rounds %lu x %u bytes\n", rounds, BUFSZ);
  rt_printf("digest %s\n", hex);
  u64 cs = 0;
  for (int i = 0; i < 8; i++) cs = (cs << 8) | d3[i];
  rt_printf("checksum 0x%016lx\n", cs);
  if (!ok) {
    rt_printf("FAIL: self-check\n");
    return 1;
  }
  return 0;
}
