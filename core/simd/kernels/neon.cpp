// neon.cpp - the AArch64 Advanced SIMD kernel: pairs of 16-byte Q registers
// (32 bytes, what LDP/STP of Q registers move), built for AArch64 only.
//
// No non-temporal path: AArch64's STNP is only a hint, glibc's AArch64
// memcpy and memset do not use it either, and without an ARM machine here we
// cannot measure whether it helps (ci/neon runs this kernel under qemu, which
// checks correctness, not speed).
#include <arm_neon.h>

#include "simd/kernels/vector_kernel_inline.h"

#if !defined(__aarch64__)
#error "kernels/neon.cpp is for AArch64"
#endif

namespace vm::simd::kernels {
namespace {

struct q_vector {
  using reg = uint8x16_t;
  using half = q_vector;  // unused: below 16 bytes the kernels use words
  static constexpr size_t kSize = 16;
  static constexpr bool kNonTemporal = false;
  static reg load(const byte* p) noexcept { return vld1q_u8(p); }
  static void store(byte* p, reg v) noexcept { vst1q_u8(p, v); }
  static void store_aligned(byte* p, reg v) noexcept { vst1q_u8(p, v); }
  static reg broadcast(byte b) noexcept { return vdupq_n_u8(b); }
};

struct q_pair_vector {
  using reg = uint8x16x2_t;
  using half = q_vector;
  static constexpr size_t kSize = 32;
  static constexpr bool kNonTemporal = false;
  static reg load(const byte* p) noexcept { return {{vld1q_u8(p), vld1q_u8(p + 16)}}; }
  static void store(byte* p, reg v) noexcept {
    vst1q_u8(p, v.val[0]);
    vst1q_u8(p + 16, v.val[1]);
  }
  static void store_aligned(byte* p, reg v) noexcept { store(p, v); }
  static reg broadcast(byte b) noexcept { return {{vdupq_n_u8(b), vdupq_n_u8(b)}}; }
};

}  // namespace

const memory_kernel neon = {
    "neon",
    "AArch64 Advanced SIMD: 32-byte Q-register pairs",
    kFeatureNeon,
    &vector_copy<q_pair_vector>,
    &vector_move<q_pair_vector>,
    &vector_set<q_pair_vector>,
};

}  // namespace vm::simd::kernels
