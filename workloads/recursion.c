/* recursion: call/return heavy code and deep stacks.
 *
 * Each round r runs (arguments vary with r so nothing can be hoisted):
 *   - Ackermann A(3, 4 + r%3)                      (checked: 2^(n+3) - 3)
 *   - naive recursive Fibonacci fib(20 + r%5)       (checked vs. iterative)
 *   - Towers of Hanoi with 14 + r%3 discs            (checked: 2^n - 1 moves)
 *   - N-queens, N = 6 + r%3, bitmask backtracking    (checked: 4, 40, 92)
 *   - a recursive-descent parser/evaluator for a generated nested expression
 *   - a chain-shaped tree 10240 levels deep built and walked recursively
 *     (~10k live frames, well under 1 MiB of stack)
 *
 * usage: recursion [ROUNDS]   (default 450, small 1)
 */
#include "rt.h"

static int failed;

static __attribute__((noinline)) u64 ack(u64 m, u64 n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

static __attribute__((noinline)) u64 fib(u64 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static u64 hanoi_moves, hanoi_hash;
static __attribute__((noinline)) void hanoi(u32 n, u32 from, u32 to, u32 via) {
  if (n == 0) return;
  hanoi(n - 1, from, via, to);
  hanoi_moves++;
  hanoi_hash = hanoi_hash * 31 + (n << 4) + (from << 2) + to;
  hanoi(n - 1, via, to, from);
}

static __attribute__((noinline)) u64 queens(u32 all, u32 cols, u32 d1, u32 d2) {
  if (cols == all) return 1;
  u64 count = 0;
  u32 avail = all & ~(cols | d1 | d2);
  while (avail) {
    u32 bit = avail & (0u - avail);
    avail ^= bit;
    count += queens(all, cols | bit, ((d1 | bit) << 1) & all, (d2 | bit) >> 1);
  }
  return count;
}

/* ---- expression parser: expr := term (('+'|'-') term)*, term := factor
 * (('*'|'^') factor)*, factor := digit | '(' expr ')' | '-' factor ---- */
#define EXPR_MAX 8192
static char expr_buf[EXPR_MAX];
static u32 expr_len;

static void gen_expr(rt_rng *rng, u32 depth) {
  u64 k = rt_rng_below(rng, 8);
  if (depth == 0 || expr_len > EXPR_MAX - 256 || k == 0) {
    expr_buf[expr_len++] = (char)('0' + rt_rng_below(rng, 10));
    return;
  }
  if (k == 1) {
    expr_buf[expr_len++] = '-';
    gen_expr(rng, depth - 1);
    return;
  }
  expr_buf[expr_len++] = '(';
  gen_expr(rng, depth - 1);
  expr_buf[expr_len++] = "+-*^"[k & 3];
  gen_expr(rng, (k > 5 && depth > 1) ? depth - 2 : depth - 1);
  expr_buf[expr_len++] = ')';
}

static const char *ep;
static i64 parse_expr(void);
static __attribute__((noinline)) i64 parse_factor(void) {
  char c = *ep++;
  if (c >= '0' && c <= '9') return c - '0';
  if (c == '-') return (i64)(0 - (u64)parse_factor());
  if (c == '(') {
    i64 v = parse_expr();
    if (*ep++ != ')') failed = 1;
    return v;
  }
  failed = 1;
  return 0;
}
static __attribute__((noinline)) i64 parse_term(void) {
  i64 v = parse_factor();
  while (*ep == '*' || *ep == '^') {
    char op = *ep++;
    i64 r = parse_factor();
    v = op == '*' ? (i64)((u64)v * (u64)r) : (v ^ r);
  }
  return v;
}
static __attribute__((noinline)) i64 parse_expr(void) {
  i64 v = parse_term();
  while (*ep == '+' || *ep == '-') {
    char op = *ep++;
    i64 r = parse_term();
    v = (i64)(op == '+' ? (u64)v + (u64)r : (u64)v - (u64)r);
  }
  return v;
}

/* ---- deep chain tree ---- */
#define DEPTH 10240
#define MAXNODES (DEPTH * 4)
typedef struct tnode {
  struct tnode *left, *right;
  u64 val;
} tnode;
static tnode arena[MAXNODES];
static u32 arena_used;

static __attribute__((noinline)) tnode *build(u32 depth, u32 r) {
  tnode *t = &arena[arena_used++];
  t->val = (u64)depth * 2654435761u + r;
  t->left = depth ? build(depth - 1, r) : 0;
  t->right = (depth % (61 + r % 7) == 0 && depth) ? build(depth % 3, r + 1) : 0;
  return t;
}

static __attribute__((noinline)) u64 walk(const tnode *t, u32 level) {
  if (!t) return level;
  u64 l = walk(t->left, level + 1);
  u64 rr = walk(t->right, level + 1);
  return t->val + 3 * l + (rr ^ level);
}

static __attribute__((noinline)) u64 count_nodes(const tnode *t) {
  return t ? 1 + count_nodes(t->left) + count_nodes(t->right) : 0;
}

int main(int argc, char **argv) {
  u64 rounds = rt_arg_u64(argc, argv, 1, 450);
  static const u64 queens_expected[3] = {4, 40, 92};
  u64 cs = 0;
  rt_rng rng;
  rt_rng_seed(&rng, 0x2EC);
  for (u64 r = 0; r < rounds; r++) {
    u64 an = 4 + r % 3;
    u64 a = ack(3, an);
    if (a != ((u64)1 << (an + 3)) - 3) failed = 1;

    u64 fn = 20 + r % 5;
    u64 f = fib(fn);
    u64 x = 0, y = 1;
    for (u64 i = 0; i < fn; i++) {
      u64 z = x + y;
      x = y;
      y = z;
    }
    if (f != x) failed = 1;

    u32 hn = 14 + (u32)(r % 3);
    hanoi_moves = 0;
    hanoi_hash = 0;
    hanoi(hn, 0, 2, 1);
    if (hanoi_moves != ((u64)1 << hn) - 1) failed = 1;

    u32 qn = 6 + (u32)(r % 3);
    u64 q = queens((1u << qn) - 1, 0, 0, 0);
    if (q != queens_expected[r % 3]) failed = 1;

    expr_len = 0;
    gen_expr(&rng, 40);
    expr_buf[expr_len] = 0;
    ep = expr_buf;
    i64 ev = parse_expr();
    if (ep != expr_buf + expr_len) failed = 1;

    arena_used = 0;
    const tnode *root = build(DEPTH, (u32)r);
    u64 w = walk(root, 0);
    if (count_nodes(root) != arena_used) failed = 1;

    cs = rt_mix64(cs, a);
    cs = rt_mix64(cs, f);
    cs = rt_mix64(cs, hanoi_hash);
    cs = rt_mix64(cs, q);
    cs = rt_mix64(cs, (u64)ev);
    cs = rt_mix64(cs, w);
    cs = rt_mix64(cs, arena_used);
    if (r + 1 == rounds)
      rt_printf("last round: ack %lu fib %lu hanoi %lx queens %lu expr %ld (len %u) tree %lu nodes %lx\n",
                a, f, hanoi_hash, q, ev, expr_len, (u64)arena_used, w);
  }
  rt_printf("recursion: rounds %lu\n", rounds);
  rt_printf("checksum 0x%016lx\n", cs);
  if (failed) {
    rt_printf("FAIL: self-check\n");
    return 1;
  }
  return 0;
}
