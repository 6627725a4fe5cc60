/* vmbench workload runtime implementation.
 *
 * Must be compiled with -fno-tree-loop-distribute-patterns (the CMake build
 * does this), otherwise gcc may turn the loops in memset/memcpy into calls to
 * themselves.
 */
#include "rt.h"

char **rt_environ;

/* ------------------------------------------------------------------ */
/* syscalls                                                            */
/* ------------------------------------------------------------------ */

long rt_syscall6(long n, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r_a0 __asm__("a0") = a0;
  register long r_a1 __asm__("a1") = a1;
  register long r_a2 __asm__("a2") = a2;
  register long r_a3 __asm__("a3") = a3;
  register long r_a4 __asm__("a4") = a4;
  register long r_a5 __asm__("a5") = a5;
  register long r_a7 __asm__("a7") = n;
  __asm__ volatile("ecall"
                   : "+r"(r_a0)
                   : "r"(r_a1), "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a7)
                   : "memory");
  return r_a0;
}

long rt_write(int fd, const void *buf, u64 len) {
  const char *p = (const char *)buf;
  u64 done = 0;
  while (done < len) {
    long r = rt_syscall6(RT_SYS_write, fd, (long)(p + done), (long)(len - done), 0, 0, 0);
    if (r <= 0) return done ? (long)done : r;
    done += (u64)r;
  }
  return (long)done;
}

void rt_exit(int status) {
  rt_syscall6(RT_SYS_exit, status, 0, 0, 0, 0, 0);
  for (;;) {
  }
}

void rt_exit_group(int status) {
  rt_syscall6(RT_SYS_exit_group, status, 0, 0, 0, 0, 0);
  for (;;) {
  }
}

long rt_brk(void *addr) { return rt_syscall6(RT_SYS_brk, (long)addr, 0, 0, 0, 0, 0); }

void *rt_mmap(void *addr, u64 len, int prot, int flags, int fd, long off) {
  return (void *)rt_syscall6(RT_SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}

int rt_munmap(void *addr, u64 len) {
  return (int)rt_syscall6(RT_SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

int rt_clock_gettime(int clk, struct rt_timespec *ts) {
  return (int)rt_syscall6(RT_SYS_clock_gettime, clk, (long)ts, 0, 0, 0, 0);
}

void *rt_mmap_anon(u64 len) {
  void *p = rt_mmap(0, len, RT_PROT_READ | RT_PROT_WRITE, RT_MAP_PRIVATE | RT_MAP_ANONYMOUS, -1, 0);
  if ((u64)p >= (u64)-4095) return 0;
  return p;
}

/* ------------------------------------------------------------------ */
/* memory / string                                                     */
/* ------------------------------------------------------------------ */

typedef u64 __attribute__((may_alias)) u64a;

void *memcpy(void *dst, const void *src, size_t n) {
  u8 *d = (u8 *)dst;
  const u8 *s = (const u8 *)src;
  if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
    while (n && ((uintptr_t)d & 7)) {
      *d++ = *s++;
      n--;
    }
    u64a *dw = (u64a *)d;
    const u64a *sw = (const u64a *)s;
    while (n >= 32) {
      u64 a = sw[0], b = sw[1], c = sw[2], e = sw[3];
      dw[0] = a;
      dw[1] = b;
      dw[2] = c;
      dw[3] = e;
      dw += 4;
      sw += 4;
      n -= 32;
    }
    while (n >= 8) {
      *dw++ = *sw++;
      n -= 8;
    }
    d = (u8 *)dw;
    s = (const u8 *)sw;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  u8 *d = (u8 *)dst;
  const u8 *s = (const u8 *)src;
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  /* overlapping, copy backwards */
  d += n;
  s += n;
  if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
    while (n && ((uintptr_t)d & 7)) {
      *--d = *--s;
      n--;
    }
    while (n >= 8) {
      d -= 8;
      s -= 8;
      *(u64a *)d = *(const u64a *)s;
      n -= 8;
    }
  }
  while (n--) *--d = *--s;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  u8 *d = (u8 *)dst;
  u8 b = (u8)c;
  while (n && ((uintptr_t)d & 7)) {
    *d++ = b;
    n--;
  }
  u64 w = 0x0101010101010101ULL * b;
  u64a *dw = (u64a *)d;
  while (n >= 32) {
    dw[0] = w;
    dw[1] = w;
    dw[2] = w;
    dw[3] = w;
    dw += 4;
    n -= 32;
  }
  while (n >= 8) {
    *dw++ = w;
    n -= 8;
  }
  d = (u8 *)dw;
  while (n--) *d++ = b;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const u8 *x = (const u8 *)a;
  const u8 *y = (const u8 *)b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i]) return (int)x[i] - (int)y[i];
  }
  return 0;
}

size_t strlen(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

int rt_strcmp(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (int)(u8)*a - (int)(u8)*b;
}

/* ------------------------------------------------------------------ */
/* formatting                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
  char *buf;
  u64 cap; /* including the NUL */
  u64 len; /* logical length (may exceed cap) */
} fmt_out;

static void out_ch(fmt_out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

static void out_pad(fmt_out *o, const char *s, u64 n, int width, int left, char padc) {
  u64 pad = (width > 0 && (u64)width > n) ? (u64)width - n : 0;
  if (!left) {
    /* zero padding goes after a leading sign */
    if (padc == '0' && n && (s[0] == '-')) {
      out_ch(o, '-');
      s++;
      n--;
    }
    while (pad--) out_ch(o, padc);
    pad = 0;
  }
  for (u64 i = 0; i < n; i++) out_ch(o, s[i]);
  while (pad--) out_ch(o, ' ');
}

static u64 fmt_u64(char *tmp, u64 v, unsigned base, int upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char rev[24];
  u64 n = 0;
  do {
    rev[n++] = digits[v % base];
    v /= base;
  } while (v);
  for (u64 i = 0; i < n; i++) tmp[i] = rev[n - 1 - i];
  return n;
}

int rt_vsnprintf(char *buf, u64 cap, const char *fmt, va_list ap) {
  fmt_out o = {buf, cap, 0};
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') {
      out_ch(&o, *f);
      continue;
    }
    f++;
    int left = 0;
    char padc = ' ';
    int width = 0;
    for (;; f++) {
      if (*f == '-')
        left = 1;
      else if (*f == '0')
        padc = '0';
      else
        break;
    }
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    int lng = 0;
    while (*f == 'l') {
      lng++;
      f++;
    }
    if (*f == 'z') {
      lng = 1;
      f++;
    }
    if (left) padc = ' ';
    char tmp[32];
    u64 n;
    switch (*f) {
      case 'd':
      case 'i': {
        i64 v = lng ? va_arg(ap, i64) : (i64)va_arg(ap, int);
        u64 mag = v < 0 ? (u64)0 - (u64)v : (u64)v;
        n = 0;
        if (v < 0) tmp[n++] = '-';
        n += fmt_u64(tmp + n, mag, 10, 0);
        out_pad(&o, tmp, n, width, left, padc);
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        u64 v = lng ? va_arg(ap, u64) : (u64)va_arg(ap, unsigned);
        n = fmt_u64(tmp, v, *f == 'u' ? 10 : 16, *f == 'X');
        out_pad(&o, tmp, n, width, left, padc);
        break;
      }
      case 'p': {
        u64 v = (u64)(uintptr_t)va_arg(ap, void *);
        tmp[0] = '0';
        tmp[1] = 'x';
        n = 2 + fmt_u64(tmp + 2, v, 16, 0);
        out_pad(&o, tmp, n, width, left, padc);
        break;
      }
      case 'c': {
        tmp[0] = (char)va_arg(ap, int);
        out_pad(&o, tmp, 1, width, left, ' ');
        break;
      }
      case 's': {
        const char *s = va_arg(ap, const char *);
        if (!s) s = "(null)";
        out_pad(&o, s, strlen(s), width, left, ' ');
        break;
      }
      case '%':
        out_ch(&o, '%');
        break;
      case 0:
        f--; /* trailing '%': stop at the terminator */
        break;
      default:
        out_ch(&o, '%');
        out_ch(&o, *f);
        break;
    }
  }
  if (o.cap) o.buf[o.len < o.cap ? o.len : o.cap - 1] = 0;
  return (int)o.len;
}

int rt_snprintf(char *buf, u64 cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = rt_vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

int rt_printf(const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = rt_vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  u64 len = (u64)n < sizeof buf ? (u64)n : sizeof buf - 1;
  rt_write(1, buf, len);
  return (int)len;
}

void rt_puts(const char *s) { rt_write(1, s, strlen(s)); }

void rt_newline(void) { rt_write(1, "\n", 1); }

void rt_put_u64(u64 v) {
  char tmp[24];
  u64 n = fmt_u64(tmp, v, 10, 0);
  rt_write(1, tmp, n);
}

void rt_put_i64(i64 v) {
  char tmp[24];
  u64 n = 0;
  if (v < 0) tmp[n++] = '-';
  n += fmt_u64(tmp + n, v < 0 ? (u64)0 - (u64)v : (u64)v, 10, 0);
  rt_write(1, tmp, n);
}

void rt_put_hex64(u64 v) {
  char tmp[16];
  for (int i = 15; i >= 0; i--) {
    tmp[i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  }
  rt_write(1, tmp, 16);
}

void rt_fail(const char *msg) {
  rt_puts("FAIL: ");
  rt_puts(msg);
  rt_newline();
  rt_exit_group(1);
}

/* ------------------------------------------------------------------ */
/* arguments                                                           */
/* ------------------------------------------------------------------ */

u64 rt_parse_u64(const char *s, u64 dflt) {
  if (!s || !*s) return dflt;
  u64 v = 0;
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    if (!*s) return dflt;
  }
  const char *start = s;
  for (; *s; s++) {
    unsigned d;
    char c = *s;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      break;
    v = v * base + d;
  }
  if (s == start) return dflt;
  switch (*s) {
    case 0:
      return v;
    case 'k':
    case 'K':
      v <<= 10;
      break;
    case 'm':
    case 'M':
      v <<= 20;
      break;
    case 'g':
    case 'G':
      v <<= 30;
      break;
    default:
      return dflt;
  }
  return s[1] ? dflt : v;
}

u64 rt_arg_u64(int argc, char **argv, int idx, u64 dflt) {
  if (idx >= argc) return dflt;
  return rt_parse_u64(argv[idx], dflt);
}

/* ------------------------------------------------------------------ */
/* PRNG / hashing                                                      */
/* ------------------------------------------------------------------ */

u64 rt_splitmix64(u64 *state) {
  u64 z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void rt_rng_seed(rt_rng *r, u64 seed) {
  u64 st = seed;
  u64 s = rt_splitmix64(&st);
  r->s = s ? s : 0x853c49e6748fea9bULL; /* xorshift state must be nonzero */
}

u64 rt_fnv1a64(const void *data, u64 len, u64 h) {
  const u8 *p = (const u8 *)data;
  for (u64 i = 0; i < len; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

/* ------------------------------------------------------------------ */
/* heap                                                                */
/* ------------------------------------------------------------------ */
/* Every block has a 16-byte header {capacity, tag} before the payload.
 * Small classes: capacity 16..1024 in steps of 16 (64 classes);
 * medium classes: 2 KiB..128 KiB in powers of two (7 classes);
 * requests >= RT_MMAP_THRESHOLD get their own anonymous mapping.
 * Free blocks go on a per-class LIFO list (no splitting or coalescing), so
 * the allocator's behaviour depends only on the request sequence, never on
 * the absolute addresses brk/mmap return. */

#define HDR 16UL
#define NSMALL 64
#define NMED 7
#define NCLASS (NSMALL + NMED)
#define TAG_MAGIC 0x5AB10C0000000000ULL
#define TAG_FREE 0x00000000F0000000ULL
#define TAG_MMAP 0x000000000000FFFFULL
#define BRK_CHUNK (256UL * 1024)

typedef struct blk {
  u64 cap;
  u64 tag;
} blk;

typedef struct freenode {
  struct freenode *next;
} freenode;

static freenode *bins[NCLASS];
static u64 heap_cur, heap_end;
static rt_heap_stats stats;

static int class_of(u64 n, u64 *cap) {
  if (n == 0) n = 1;
  if (n <= 1024) {
    u64 c = (n + 15) >> 4; /* 1..64 */
    *cap = c << 4;
    return (int)(c - 1);
  }
  u64 cp = 2048;
  int idx = NSMALL;
  while (cp < n) {
    cp <<= 1;
    idx++;
  }
  *cap = cp;
  return idx;
}

static void *heap_take(u64 bytes) {
  if (heap_end == 0) {
    /* The initial break need not be page aligned (qemu-user leaves it at the
     * end of .bss, Linux aligns and randomises it).  Start the heap at the
     * next page boundary so all accounting is independent of it. */
    long b = rt_brk(0);
    if (b <= 0) return 0;
    heap_end = ((u64)b + RT_PAGE_SIZE - 1) & ~(RT_PAGE_SIZE - 1);
    heap_cur = heap_end;
  }
  if (heap_cur + bytes > heap_end) {
    u64 need = heap_cur + bytes - heap_end;
    u64 grow = need > BRK_CHUNK ? need : BRK_CHUNK;
    u64 target = (heap_end + grow + RT_PAGE_SIZE - 1) & ~(RT_PAGE_SIZE - 1);
    long r = rt_brk((void *)target);
    if ((u64)r < target) return 0;
    stats.brk_bytes += target - heap_end;
    stats.brk_calls++;
    heap_end = target;
  }
  void *p = (void *)heap_cur;
  heap_cur += bytes;
  return p;
}

void *malloc(size_t n) {
  if (n >= RT_MMAP_THRESHOLD) {
    if (n > ((u64)1 << 40)) return 0;
    u64 len = (n + HDR + RT_PAGE_SIZE - 1) & ~(RT_PAGE_SIZE - 1);
    blk *b = (blk *)rt_mmap_anon(len);
    if (!b) return 0;
    b->cap = len - HDR;
    b->tag = TAG_MAGIC | TAG_MMAP;
    stats.mmap_calls++;
    stats.live_blocks++;
    return (u8 *)b + HDR;
  }
  u64 cap;
  int c = class_of(n, &cap);
  blk *b;
  if (bins[c]) {
    freenode *f = bins[c];
    bins[c] = f->next;
    b = (blk *)((u8 *)f - HDR);
    if (b->tag != (TAG_MAGIC | TAG_FREE | (u64)c)) rt_fail("malloc: corrupted free list");
    stats.reused_blocks++;
  } else {
    b = (blk *)heap_take(cap + HDR);
    if (!b) return 0;
    b->cap = cap;
  }
  b->tag = TAG_MAGIC | (u64)c;
  stats.live_blocks++;
  return (u8 *)b + HDR;
}

void free(void *p) {
  if (!p) return;
  blk *b = (blk *)((u8 *)p - HDR);
  if ((b->tag & 0xFFFFFF0000000000ULL) != TAG_MAGIC) rt_fail("free: bad pointer");
  if (b->tag & TAG_FREE) rt_fail("free: double free");
  stats.live_blocks--;
  if ((b->tag & 0xFFFF) == TAG_MMAP) {
    stats.munmap_calls++;
    if (rt_munmap(b, b->cap + HDR) != 0) rt_fail("free: munmap failed");
    return;
  }
  u64 c = b->tag & 0xFFFF;
  if (c >= NCLASS) rt_fail("free: bad class");
  b->tag = TAG_MAGIC | TAG_FREE | c;
  freenode *f = (freenode *)p;
  f->next = bins[c];
  bins[c] = f;
}

void *calloc(size_t n, size_t sz) {
  if (sz && n > (u64)-1 / sz) return 0;
  u64 total = n * sz;
  void *p = malloc(total);
  if (p) memset(p, 0, total);
  return p;
}

void *realloc(void *p, size_t n) {
  if (!p) return malloc(n);
  blk *b = (blk *)((u8 *)p - HDR);
  if (n <= b->cap && ((b->tag & 0xFFFF) != TAG_MMAP || n >= RT_MMAP_THRESHOLD)) return p;
  void *q = malloc(n);
  if (!q) return 0;
  memcpy(q, p, b->cap < n ? b->cap : n);
  free(p);
  return q;
}

void rt_heap_get_stats(rt_heap_stats *st) { *st = stats; }
