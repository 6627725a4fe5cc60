/* nbody_fixed: softened N-body gravity in Q32.32 fixed point (no FPU).
 *
 * 24 bodies with deterministic pseudo-random positions, velocities and
 * masses; symplectic Euler steps with dt = 2^-10.  Uses 64x64->128-bit
 * multiplies (mulh), a bitwise 128-bit integer square root and 128-bit
 * divisions (libgcc __divti3).  Checks that total energy drifts by less than
 * 1% and that total momentum stays (nearly) zero.
 *
 * usage: nbody_fixed [STEPS]   (time steps; default 10000, small 40)
 */
#include "rt.h"

#define NB 24
#define FRAC 32
#define ONE ((i64)1 << FRAC)

typedef __int128 i128;
typedef unsigned __int128 u128;

static i64 px[NB], py[NB], pz[NB], vx[NB], vy[NB], vz[NB], mass[NB];

static inline i64 fmul(i64 a, i64 b) { return (i64)(((i128)a * b) >> FRAC); }
static inline i64 fdiv(i64 a, i64 b) { return (i64)(((i128)a << FRAC) / b); }

/* floor(sqrt(x)) for a 128-bit x, digit by digit */
static u64 isqrt128(u128 x) {
  u128 res = 0;
  u128 bit = (u128)1 << 126;
  while (bit > x) bit >>= 2;
  while (bit) {
    if (x >= res + bit) {
      x -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  return (u64)res;
}
/* sqrt of a nonnegative Q32.32 value, result Q32.32 */
static inline i64 fsqrt(i64 a) { return (i64)isqrt128((u128)(u64)a << FRAC); }

static const i64 EPS2 = ONE / 64;     /* softening^2 */
static const i64 DT = ONE >> 10;      /* time step */

static i64 rnd_fixed(rt_rng *r, i64 lo, i64 hi) { /* uniform in [lo, hi) */
  return lo + (i64)rt_rng_below(r, (u64)(hi - lo));
}

static void init(void) {
  rt_rng r;
  rt_rng_seed(&r, 0xB0D1E5);
  for (int i = 0; i < NB; i++) {
    px[i] = rnd_fixed(&r, -8 * ONE, 8 * ONE);
    py[i] = rnd_fixed(&r, -8 * ONE, 8 * ONE);
    pz[i] = rnd_fixed(&r, -2 * ONE, 2 * ONE);
    vx[i] = rnd_fixed(&r, -ONE / 4, ONE / 4);
    vy[i] = rnd_fixed(&r, -ONE / 4, ONE / 4);
    vz[i] = rnd_fixed(&r, -ONE / 16, ONE / 16);
    mass[i] = rnd_fixed(&r, ONE / 32, ONE / 4);
  }
  /* zero total momentum: adjust the velocity of every body by -P/M */
  i64 P[3] = {0, 0, 0}, M = 0;
  for (int i = 0; i < NB; i++) {
    P[0] += fmul(vx[i], mass[i]);
    P[1] += fmul(vy[i], mass[i]);
    P[2] += fmul(vz[i], mass[i]);
    M += mass[i];
  }
  for (int i = 0; i < NB; i++) {
    vx[i] -= fdiv(P[0], M);
    vy[i] -= fdiv(P[1], M);
    vz[i] -= fdiv(P[2], M);
  }
}

static __attribute__((noinline)) void step(void) {
  for (int i = 0; i < NB; i++) {
    for (int j = i + 1; j < NB; j++) {
      i64 dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
      i64 d2 = fmul(dx, dx) + fmul(dy, dy) + fmul(dz, dz) + EPS2;
      i64 d = fsqrt(d2);
      i64 mag = fdiv(DT, fmul(d2, d)); /* dt / |r|^3 */
      i64 mi = fmul(mass[i], mag), mj = fmul(mass[j], mag);
      vx[i] -= fmul(dx, mj);
      vy[i] -= fmul(dy, mj);
      vz[i] -= fmul(dz, mj);
      vx[j] += fmul(dx, mi);
      vy[j] += fmul(dy, mi);
      vz[j] += fmul(dz, mi);
    }
  }
  for (int i = 0; i < NB; i++) {
    px[i] += fmul(DT, vx[i]);
    py[i] += fmul(DT, vy[i]);
    pz[i] += fmul(DT, vz[i]);
  }
}

static i64 energy(void) {
  i64 e = 0;
  for (int i = 0; i < NB; i++) {
    i64 v2 = fmul(vx[i], vx[i]) + fmul(vy[i], vy[i]) + fmul(vz[i], vz[i]);
    e += fmul(mass[i], v2) / 2;
    for (int j = i + 1; j < NB; j++) {
      i64 dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
      i64 d2 = fmul(dx, dx) + fmul(dy, dy) + fmul(dz, dz) + EPS2;
      e -= fdiv(fmul(mass[i], mass[j]), fsqrt(d2));
    }
  }
  return e;
}

static void print_fixed(const char *label, i64 v) {
  /* sign, integer part, 9 decimal digits of the fraction (truncated) */
  u64 a = v < 0 ? (u64)0 - (u64)v : (u64)v;
  u64 ip = a >> FRAC;
  u64 fp = (u64)(((u128)(a & (ONE - 1)) * 1000000000u) >> FRAC);
  rt_printf("%s %s%lu.%09lu\n", label, v < 0 ? "-" : "", ip, fp);
}

int main(int argc, char **argv) {
  u64 steps = rt_arg_u64(argc, argv, 1, 10000);
  /* quick self-test of the primitives */
  int ok = fsqrt(4 * ONE) == 2 * ONE && fsqrt(ONE / 4) == ONE / 2 && fdiv(ONE, 4 * ONE) == ONE / 4 &&
           fmul(-3 * ONE, ONE / 2) == -3 * ONE / 2 && isqrt128((u128)1 << 100) == (u64)1 << 50;
  init();
  i64 e0 = energy();
  for (u64 s = 0; s < steps; s++) step();
  i64 e1 = energy();
  i64 drift = e1 - e0;
  if (drift < 0) drift = -drift;
  i64 ae0 = e0 < 0 ? -e0 : e0;
  if (drift > ae0 / 100) ok = 0;
  i64 P[3] = {0, 0, 0};
  u64 cs = 0;
  for (int i = 0; i < NB; i++) {
    P[0] += fmul(vx[i], mass[i]);
    P[1] += fmul(vy[i], mass[i]);
    P[2] += fmul(vz[i], mass[i]);
    cs = rt_mix64(cs, (u64)px[i]);
    cs = rt_mix64(cs, (u64)py[i]);
    cs = rt_mix64(cs, (u64)pz[i]);
    cs = rt_mix64(cs, (u64)vx[i] ^ (u64)vy[i] ^ (u64)vz[i]);
  }
  for (int k = 0; k < 3; k++)
    if (P[k] > ONE / 1000 || P[k] < -ONE / 1000) ok = 0;

  rt_printf("nbody_fixed: %d bodies, %lu steps\n", NB, steps);
  print_fixed("energy_start", e0);
  print_fixed("energy_end", e1);
  print_fixed("body0_x", px[0]);
  rt_printf("checksum 0x%016lx\n", cs);
  if (!ok) {
    rt_printf("FAIL: self-check (energy drift or momentum)\n");
    return 1;
  }
  return 0;
}
