// x86_vectors_inline.h - vector traits for vector_kernel_inline.h on x86-64:
// 16-byte SSE2 registers always, 32-byte AVX2 registers when the including
// source is compiled with -mavx2, 64-byte AVX-512 registers with -mavx512f.
// Included only by kernels/{sse2,avx2,avx512}.cpp.
#pragma once

#include <immintrin.h>

#include <cstddef>

#include "simd/kernels/vector_kernel_inline.h"

namespace vm::simd::kernels {
namespace {  // NOLINT(google-build-namespaces): internal linkage, see kernels_p.h

struct xmm_vector {
  using reg = __m128i;
  using half = xmm_vector;  // unused: below 16 bytes the kernels use words
  static constexpr size_t kSize = 16;
  static constexpr bool kNonTemporal = true;
  static reg load(const byte* p) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  }
  static void store(byte* p, reg v) noexcept { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
  static void store_aligned(byte* p, reg v) noexcept {
    _mm_store_si128(reinterpret_cast<__m128i*>(p), v);
  }
  static void stream(byte* p, reg v) noexcept {
    _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
  }
  static void fence() noexcept { _mm_sfence(); }
  static reg broadcast(byte b) noexcept { return _mm_set1_epi8(static_cast<char>(b)); }
};

#if defined(__AVX2__)
struct ymm_vector {
  using reg = __m256i;
  using half = xmm_vector;
  static constexpr size_t kSize = 32;
  static constexpr bool kNonTemporal = true;
  static reg load(const byte* p) noexcept {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
  static void store(byte* p, reg v) noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  }
  static void store_aligned(byte* p, reg v) noexcept {
    _mm256_store_si256(reinterpret_cast<__m256i*>(p), v);
  }
  static void stream(byte* p, reg v) noexcept {
    _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
  }
  static void fence() noexcept { _mm_sfence(); }
  static reg broadcast(byte b) noexcept { return _mm256_set1_epi8(static_cast<char>(b)); }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
struct zmm_vector {
  using reg = __m512i;
  using half = ymm_vector;
  static constexpr size_t kSize = 64;
  static constexpr bool kNonTemporal = true;
  static reg load(const byte* p) noexcept { return _mm512_loadu_si512(p); }
  static void store(byte* p, reg v) noexcept { _mm512_storeu_si512(p, v); }
  static void store_aligned(byte* p, reg v) noexcept { _mm512_store_si512(p, v); }
  static void stream(byte* p, reg v) noexcept {
    _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v);
  }
  static void fence() noexcept { _mm_sfence(); }
  static reg broadcast(byte b) noexcept { return _mm512_set1_epi8(static_cast<char>(b)); }
};
#endif

}  // namespace
}  // namespace vm::simd::kernels
