/* bytecode_vm: a small stack-machine interpreter (switch dispatch through a
 * jump table: indirect-branch heavy, like a scripting-language VM).
 *
 * Two guest programs are assembled at startup and interpreted:
 *   1. Collatz: for i in 1..N sum the number of steps to reach 1 and track
 *      the longest chain;
 *   2. Sieve of Eratosthenes over [0, 8N) in VM memory with a CALL/RET
 *      subroutine that strikes out multiples, then counts primes.
 * Results are checked against native C implementations.
 *
 * usage: bytecode_vm [N]   (Collatz bound, sieve limit = 8N; default 40000, small 500)
 */
#include "rt.h"

enum {
  OP_HALT,
  OP_PUSH, /* imm */
  OP_POP,
  OP_DUP,
  OP_SWAP,
  OP_OVER,
  OP_LOAD,  /* reg */
  OP_STORE, /* reg */
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIVU,
  OP_REMU,
  OP_AND,
  OP_SHR,
  OP_LTU,
  OP_EQ,
  OP_JMP, /* target */
  OP_JZ,  /* target */
  OP_JNZ, /* target */
  OP_MLOAD,
  OP_MSTORE,
  OP_CALL, /* target */
  OP_RET,
  OP_INC, /* reg */
};

typedef struct {
  i64 code[256];
  int n;
} prog;

static void emit1(prog *p, i64 op) { p->code[p->n++] = op; }
static void emit2(prog *p, i64 op, i64 arg) {
  p->code[p->n++] = op;
  p->code[p->n++] = arg;
}
static int here(const prog *p) { return p->n; }
static void patch(prog *p, int at, int target) { p->code[at] = target; }

#define STACK 256
static u64 vm_steps;

static i64 run(const prog *p, i64 *regs, u8 *mem, u64 memsize) {
  i64 st[STACK];
  i64 rs[64];
  int sp = 0, rsp = 0;
  i64 pc = 0;
  u64 steps = 0;
  for (;;) {
    steps++;
    i64 op = p->code[pc++];
    switch (op) {
      case OP_HALT:
        vm_steps += steps;
        return sp ? st[sp - 1] : 0;
      case OP_PUSH:
        st[sp++] = p->code[pc++];
        break;
      case OP_POP:
        sp--;
        break;
      case OP_DUP:
        st[sp] = st[sp - 1];
        sp++;
        break;
      case OP_SWAP: {
        i64 t = st[sp - 1];
        st[sp - 1] = st[sp - 2];
        st[sp - 2] = t;
        break;
      }
      case OP_OVER:
        st[sp] = st[sp - 2];
        sp++;
        break;
      case OP_LOAD:
        st[sp++] = regs[p->code[pc++]];
        break;
      case OP_STORE:
        regs[p->code[pc++]] = st[--sp];
        break;
      case OP_INC:
        regs[p->code[pc++]]++;
        break;
      case OP_ADD:
        sp--;
        st[sp - 1] = (i64)((u64)st[sp - 1] + (u64)st[sp]);
        break;
      case OP_SUB:
        sp--;
        st[sp - 1] = (i64)((u64)st[sp - 1] - (u64)st[sp]);
        break;
      case OP_MUL:
        sp--;
        st[sp - 1] = (i64)((u64)st[sp - 1] * (u64)st[sp]);
        break;
      case OP_DIVU:
        sp--;
        st[sp - 1] = st[sp] ? (i64)((u64)st[sp - 1] / (u64)st[sp]) : -1;
        break;
      case OP_REMU:
        sp--;
        st[sp - 1] = st[sp] ? (i64)((u64)st[sp - 1] % (u64)st[sp]) : st[sp - 1];
        break;
      case OP_AND:
        sp--;
        st[sp - 1] &= st[sp];
        break;
      case OP_SHR:
        sp--;
        st[sp - 1] = (i64)((u64)st[sp - 1] >> (st[sp] & 63));
        break;
      case OP_LTU:
        sp--;
        st[sp - 1] = (u64)st[sp - 1] < (u64)st[sp];
        break;
      case OP_EQ:
        sp--;
        st[sp - 1] = st[sp - 1] == st[sp];
        break;
      case OP_JMP:
        pc = p->code[pc];
        break;
      case OP_JZ:
        pc = st[--sp] == 0 ? p->code[pc] : pc + 1;
        break;
      case OP_JNZ:
        pc = st[--sp] != 0 ? p->code[pc] : pc + 1;
        break;
      case OP_MLOAD: {
        u64 a = (u64)st[sp - 1];
        st[sp - 1] = a < memsize ? mem[a] : 0;
        break;
      }
      case OP_MSTORE: { /* addr value -- */
        u64 a = (u64)st[sp - 2];
        if (a < memsize) mem[a] = (u8)st[sp - 1];
        sp -= 2;
        break;
      }
      case OP_CALL:
        rs[rsp++] = pc + 1;
        pc = p->code[pc];
        break;
      case OP_RET:
        pc = rs[--rsp];
        break;
      default:
        rt_fail("bad opcode");
    }
    if (sp < 0 || sp >= STACK - 2 || rsp < 0 || rsp >= 64) rt_fail("vm stack overflow");
  }
}

/* registers: r0 = i, r1 = N, r2 = n, r3 = steps, r4 = total, r5 = best, r6 = best_i */
static void build_collatz(prog *p) {
  p->n = 0;
  emit2(p, OP_PUSH, 1);
  emit2(p, OP_STORE, 0);
  int loop_i = here(p);
  emit2(p, OP_LOAD, 0);
  emit2(p, OP_LOAD, 1);
  emit1(p, OP_LTU); /* i < N+1 ? */
  emit1(p, OP_JZ);
  int exit_fix = here(p);
  emit1(p, 0);
  emit2(p, OP_LOAD, 0);
  emit2(p, OP_STORE, 2);
  emit2(p, OP_PUSH, 0);
  emit2(p, OP_STORE, 3);
  int loop_n = here(p);
  emit2(p, OP_LOAD, 2);
  emit2(p, OP_PUSH, 1);
  emit1(p, OP_EQ);
  emit1(p, OP_JNZ);
  int done_fix = here(p);
  emit1(p, 0);
  emit2(p, OP_LOAD, 2);
  emit2(p, OP_PUSH, 1);
  emit1(p, OP_AND);
  emit1(p, OP_JZ);
  int even_fix = here(p);
  emit1(p, 0);
  /* odd: n = 3n + 1 */
  emit2(p, OP_LOAD, 2);
  emit2(p, OP_PUSH, 3);
  emit1(p, OP_MUL);
  emit2(p, OP_PUSH, 1);
  emit1(p, OP_ADD);
  emit2(p, OP_STORE, 2);
  emit2(p, OP_INC, 3);
  emit2(p, OP_JMP, loop_n);
  patch(p, even_fix, here(p));
  emit2(p, OP_LOAD, 2);
  emit2(p, OP_PUSH, 1);
  emit1(p, OP_SHR);
  emit2(p, OP_STORE, 2);
  emit2(p, OP_INC, 3);
  emit2(p, OP_JMP, loop_n);
  patch(p, done_fix, here(p));
  emit2(p, OP_LOAD, 4);
  emit2(p, OP_LOAD, 3);
  emit1(p, OP_ADD);
  emit2(p, OP_STORE, 4);
  emit2(p, OP_LOAD, 5);
  emit2(p, OP_LOAD, 3);
  emit1(p, OP_LTU); /* best < steps ? */
  emit1(p, OP_JZ);
  int nobest_fix = here(p);
  emit1(p, 0);
  emit2(p, OP_LOAD, 3);
  emit2(p, OP_STORE, 5);
  emit2(p, OP_LOAD, 0);
  emit2(p, OP_STORE, 6);
  patch(p, nobest_fix, here(p));
  emit2(p, OP_INC, 0);
  emit2(p, OP_JMP, loop_i);
  patch(p, exit_fix, here(p));
  emit2(p, OP_LOAD, 4);
  emit1(p, OP_HALT);
}

/* registers: r0 = i, r1 = limit, r2 = j, r3 = count */
static void build_sieve(prog *p) {
  p->n = 0;
  emit2(p, OP_JMP, 0); /* patched to main */
  /* subroutine strike(i): for j = i*i; j < limit; j += i: mem[j] = 1 */
  int strike = here(p);
  emit2(p, OP_LOAD, 0);
  emit1(p, OP_DUP);
  emit1(p, OP_MUL);
  emit2(p, OP_STORE, 2);
  int sloop = here(p);
  emit2(p, OP_LOAD, 2);
  emit2(p, OP_LOAD, 1);
  emit1(p, OP_LTU);
  emit1(p, OP_JZ);
  int sdone = here(p);
  emit1(p, 0);
  emit2(p, OP_LOAD, 2);
  emit2(p, OP_PUSH, 1);
  emit1(p, OP_MSTORE);
  emit2(p, OP_LOAD, 2);
  emit2(p, OP_LOAD, 0);
  emit1(p, OP_ADD);
  emit2(p, OP_STORE, 2);
  emit2(p, OP_JMP, sloop);
  patch(p, sdone, here(p));
  emit1(p, OP_RET);
  /* main */
  patch(p, 1, here(p));
  emit2(p, OP_PUSH, 2);
  emit2(p, OP_STORE, 0);
  int loop = here(p);
  emit2(p, OP_LOAD, 0);
  emit2(p, OP_LOAD, 1);
  emit1(p, OP_LTU);
  emit1(p, OP_JZ);
  int done = here(p);
  emit1(p, 0);
  emit2(p, OP_LOAD, 0);
  emit1(p, OP_MLOAD);
  emit1(p, OP_JNZ);
  int composite = here(p);
  emit1(p, 0);
  emit2(p, OP_INC, 3);
  emit2(p, OP_LOAD, 0);
  emit2(p, OP_LOAD, 0);
  emit1(p, OP_MUL);
  emit2(p, OP_LOAD, 1);
  emit1(p, OP_LTU);
  emit1(p, OP_JZ);
  int skip = here(p);
  emit1(p, 0);
  emit2(p, OP_CALL, strike);
  patch(p, skip, here(p));
  patch(p, composite, here(p));
  emit2(p, OP_INC, 0);
  emit2(p, OP_JMP, loop);
  patch(p, done, here(p));
  emit2(p, OP_LOAD, 3);
  emit1(p, OP_HALT);
}

int main(int argc, char **argv) {
  u64 n = rt_arg_u64(argc, argv, 1, 40000);
  if (n < 1) n = 1;
  int ok = 1;
  static prog p;

  /* 1. Collatz */
  i64 regs[8];
  memset(regs, 0, sizeof regs);
  regs[1] = (i64)n + 1;
  build_collatz(&p);
  i64 total = run(&p, regs, 0, 0);
  u64 ntotal = 0, nbest = 0, nbest_i = 0;
  for (u64 i = 1; i <= n; i++) {
    u64 x = i, s = 0;
    while (x != 1) {
      x = (x & 1) ? 3 * x + 1 : x >> 1;
      s++;
    }
    ntotal += s;
    if (s > nbest) {
      nbest = s;
      nbest_i = i;
    }
  }
  if ((u64)total != ntotal || (u64)regs[5] != nbest || (u64)regs[6] != nbest_i) ok = 0;
  rt_printf("collatz: n %lu total_steps %ld longest %ld at %ld\n", n, total, regs[5], regs[6]);

  /* 2. sieve */
  u64 limit = 8 * n;
  u8 *mem = calloc(limit, 1);
  if (!mem) rt_fail("out of memory");
  memset(regs, 0, sizeof regs);
  regs[1] = (i64)limit;
  build_sieve(&p);
  i64 primes = run(&p, regs, mem, limit);
  u64 nprimes = 0, psum = 0;
  memset(mem, 0, limit);
  for (u64 i = 2; i < limit; i++) {
    if (mem[i]) continue;
    nprimes++;
    psum += i;
    for (u64 j = i * i; j < limit; j += i) mem[j] = 1;
  }
  if ((u64)primes != nprimes) ok = 0;
  rt_printf("sieve: limit %lu primes %ld\n", limit, primes);
  rt_printf("vm instructions %lu\n", vm_steps);
  u64 cs = rt_mix64(rt_mix64(rt_mix64((u64)total, (u64)regs[5]), nprimes), psum);
  rt_printf("checksum 0x%016lx\n", rt_mix64(cs, vm_steps));
  free(mem);
  if (!ok) {
    rt_printf("FAIL: VM result differs from native\n");
    return 1;
  }
  return 0;
}
