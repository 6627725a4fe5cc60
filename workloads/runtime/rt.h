/* vmbench workload runtime: freestanding helpers for RV64 Linux-ABI guests.
 *
 * No libc: only gcc's freestanding headers are used.  Everything printed by a
 * workload must be deterministic (no clock, no addresses, no argv[0]).
 */
#ifndef VMBENCH_RT_H
#define VMBENCH_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef int64_t i64;

/* ---- Linux RV64 syscall numbers (asm-generic) ---- */
#define RT_SYS_write 64
#define RT_SYS_exit 93
#define RT_SYS_exit_group 94
#define RT_SYS_clock_gettime 113
#define RT_SYS_brk 214
#define RT_SYS_munmap 215
#define RT_SYS_mmap 222

#define RT_PROT_READ 0x1
#define RT_PROT_WRITE 0x2
#define RT_MAP_PRIVATE 0x02
#define RT_MAP_ANONYMOUS 0x20
#define RT_PAGE_SIZE 4096UL

struct rt_timespec {
  i64 tv_sec;
  i64 tv_nsec;
};

extern char **rt_environ; /* set by _start */

long rt_syscall6(long n, long a0, long a1, long a2, long a3, long a4, long a5);

long rt_write(int fd, const void *buf, u64 len); /* loops on short writes */
__attribute__((noreturn)) void rt_exit(int status);
__attribute__((noreturn)) void rt_exit_group(int status);
long rt_brk(void *addr); /* raw syscall: returns the (new or old) break */
void *rt_mmap(void *addr, u64 len, int prot, int flags, int fd, long off);
int rt_munmap(void *addr, u64 len);
int rt_clock_gettime(int clk, struct rt_timespec *ts); /* never print it */
void *rt_mmap_anon(u64 len); /* NULL on failure */

/* ---- memory/string (gcc emits calls to these) ---- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int rt_strcmp(const char *a, const char *b);

/* ---- output (stdout, unbuffered: one write per call) ---- */
void rt_puts(const char *s); /* no newline appended */
void rt_put_u64(u64 v);
void rt_put_i64(i64 v);
void rt_put_hex64(u64 v); /* 16 hex digits, no prefix */
void rt_newline(void);
/* %s %c %d %i %u %x %ld %lu %lx %lld %llu %llx %p %%, flags: '0', width,
 * '-' (left-justify). Returns bytes written. */
int rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rt_vsnprintf(char *buf, u64 cap, const char *fmt, va_list ap);
int rt_snprintf(char *buf, u64 cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* prints "FAIL: msg\n" and exits with status 1 */
__attribute__((noreturn)) void rt_fail(const char *msg);
#define RT_CHECK(cond)                                           \
  do {                                                           \
    if (!(cond)) rt_fail(__FILE__ ": check failed: " #cond);     \
  } while (0)

/* ---- arguments ---- */
/* Parses a decimal (or 0x-prefixed hex) unsigned integer; optional k/m/g
 * suffix multiplies by 2^10/2^20/2^30.  Returns dflt on NULL/empty/invalid. */
u64 rt_parse_u64(const char *s, u64 dflt);
/* argv[idx] parsed with rt_parse_u64, dflt if absent */
u64 rt_arg_u64(int argc, char **argv, int idx, u64 dflt);

/* ---- deterministic PRNG: splitmix64-seeded xorshift64* ---- */
typedef struct {
  u64 s;
} rt_rng;
u64 rt_splitmix64(u64 *state);
void rt_rng_seed(rt_rng *r, u64 seed);
static inline u64 rt_rng_next(rt_rng *r) {
  u64 x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1DULL;
}
/* uniform-ish in [0, n) via multiply-high (n > 0) */
static inline u64 rt_rng_below(rt_rng *r, u64 n) {
  return (u64)(((unsigned __int128)rt_rng_next(r) * n) >> 64);
}

/* ---- hashing/checksums ---- */
u64 rt_fnv1a64(const void *data, u64 len, u64 h); /* h = RT_FNV_INIT to start */
#define RT_FNV_INIT 0xcbf29ce484222325ULL
static inline u64 rt_mix64(u64 h, u64 v) { /* order-dependent combiner */
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdULL;
  return h ^ (h >> 33);
}

/* ---- heap: brk-based segregated free lists, mmap for big blocks ---- */
void *malloc(size_t n);
void free(void *p);
void *calloc(size_t n, size_t sz);
void *realloc(void *p, size_t n);
/* Blocks >= RT_MMAP_THRESHOLD bytes are served by mmap and returned with munmap. */
#define RT_MMAP_THRESHOLD (128UL * 1024)
typedef struct {
  u64 brk_bytes;       /* total bytes obtained from brk */
  u64 brk_calls;       /* successful brk extensions */
  u64 mmap_calls;      /* mmaps done by malloc */
  u64 munmap_calls;    /* munmaps done by free */
  u64 live_blocks;     /* malloc'ed and not yet freed */
  u64 reused_blocks;   /* allocations served from a free list */
} rt_heap_stats;
void rt_heap_get_stats(rt_heap_stats *st);

#endif
