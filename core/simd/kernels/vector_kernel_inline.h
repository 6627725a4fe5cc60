// vector_kernel_inline.h - the size classes every kernel shares, written once
// over a vector type V. Included only by kernels/<isa>.cpp, each compiled with
// its own target flags.
//
// The size classes follow glibc's memmove-vec-unaligned-erms.S (k = V::kSize):
//   n < k         halves of the vector, then 8/4/2/1-byte words, each size
//                 class as two overlapping accesses (head and tail)
//   n <= 2k       two vectors: the first k bytes and the last k bytes
//   n <= 4k       two from the head, two from the tail
//   n <= 8k       four from the head, four from the tail
//   n > 8k        a loop of four vectors with aligned stores: the first
//                 (unaligned) vector and the last four are loaded before the
//                 loop and stored after it, so the loop needs no remainder
//   n >= threshold (copy, set, and moves whose ranges do not overlap):
//                 the same loop with non-temporal stores and a store fence
// Every access of a class is a load before any store, so up to 8k bytes need
// no direction check for memmove; above, memmove copies backwards when the
// destination starts inside the source.
//
// Traits V provide:
//   using reg; static constexpr size_t kSize;  a power of two >= 8
//   static reg load(const byte*);  store(byte*, reg)  (unaligned)
//   static void store_aligned(byte*, reg);  p aligned to kSize
//   static reg broadcast(byte);
//   static constexpr bool kNonTemporal;  when true also:
//     static void stream(byte*, reg);  p aligned to kSize, non-temporal
//     static void fence();             orders the streamed stores
//   using half;  traits for kSize / 2, used when kSize > 16
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/kernels/kernels_p.h"

namespace vm::simd::kernels {
// Internal linkage on purpose: each kernel source keeps its own copy, compiled
// with its own target flags (see kernels_p.h).
namespace {  // NOLINT(google-build-namespaces)

using byte = unsigned char;

[[gnu::always_inline]] inline size_t nt_threshold() noexcept {
  return __atomic_load_n(&non_temporal_threshold_bytes, __ATOMIC_RELAXED);
}

// Fixed-size words through __builtin_memcpy: no alignment or aliasing
// assumptions, and always a single load or store.
template <class T>
[[gnu::always_inline]] inline T load_word(const byte* p) noexcept {
  T v;
  __builtin_memcpy(&v, p, sizeof(T));
  return v;
}
template <class T>
[[gnu::always_inline]] inline void store_word(byte* p, T v) noexcept {
  __builtin_memcpy(p, &v, sizeof(T));
}

// n < 16: the two overlapping words of the largest size <= n.
[[gnu::always_inline]] inline void copy_below_16(byte* d, const byte* s, size_t n) noexcept {
  if (n >= 8) {
    const uint64_t head = load_word<uint64_t>(s), tail = load_word<uint64_t>(s + n - 8);
    store_word(d, head);
    store_word(d + n - 8, tail);
  } else if (n >= 4) {
    const uint32_t head = load_word<uint32_t>(s), tail = load_word<uint32_t>(s + n - 4);
    store_word(d, head);
    store_word(d + n - 4, tail);
  } else if (n >= 2) {
    const uint16_t head = load_word<uint16_t>(s), tail = load_word<uint16_t>(s + n - 2);
    store_word(d, head);
    store_word(d + n - 2, tail);
  } else if (n == 1) {
    *d = *s;
  }
}

[[gnu::always_inline]] inline void set_below_16(byte* d, byte b, size_t n) noexcept {
  const uint64_t pattern = 0x0101010101010101ull * b;
  if (n >= 8) {
    store_word(d, pattern);
    store_word(d + n - 8, pattern);
  } else if (n >= 4) {
    store_word(d, static_cast<uint32_t>(pattern));
    store_word(d + n - 4, static_cast<uint32_t>(pattern));
  } else if (n >= 2) {
    store_word(d, static_cast<uint16_t>(pattern));
    store_word(d + n - 2, static_cast<uint16_t>(pattern));
  } else if (n == 1) {
    *d = b;
  }
}

template <class V>
[[gnu::always_inline]] inline void copy_below_vector(byte* d, const byte* s, size_t n) noexcept {
  if constexpr (V::kSize > 16) {
    using H = typename V::half;
    if (n >= H::kSize) {
      const auto head = H::load(s), tail = H::load(s + n - H::kSize);
      H::store(d, head);
      H::store(d + n - H::kSize, tail);
      return;
    }
    copy_below_vector<H>(d, s, n);
  } else {
    copy_below_16(d, s, n);
  }
}

template <class V>
[[gnu::always_inline]] inline void set_below_vector(byte* d, byte b, size_t n) noexcept {
  if constexpr (V::kSize > 16) {
    using H = typename V::half;
    if (n >= H::kSize) {
      const auto v = H::broadcast(b);
      H::store(d, v);
      H::store(d + n - H::kSize, v);
      return;
    }
    set_below_vector<H>(d, b, n);
  } else {
    set_below_16(d, b, n);
  }
}

// n <= 8k, any overlap: every load happens before the first store.
template <class V>
[[gnu::always_inline]] inline void copy_small(byte* d, const byte* s, size_t n) noexcept {
  constexpr size_t k = V::kSize;
  if (n < k) {
    copy_below_vector<V>(d, s, n);
  } else if (n <= 2 * k) {
    const auto a = V::load(s), b = V::load(s + n - k);
    V::store(d, a);
    V::store(d + n - k, b);
  } else if (n <= 4 * k) {
    const auto a = V::load(s), b = V::load(s + k);
    const auto c = V::load(s + n - 2 * k), e = V::load(s + n - k);
    V::store(d, a);
    V::store(d + k, b);
    V::store(d + n - 2 * k, c);
    V::store(d + n - k, e);
  } else {
    const auto a = V::load(s), b = V::load(s + k), c = V::load(s + 2 * k), e = V::load(s + 3 * k);
    const auto f = V::load(s + n - 4 * k), g = V::load(s + n - 3 * k);
    const auto h = V::load(s + n - 2 * k), i = V::load(s + n - k);
    V::store(d, a);
    V::store(d + k, b);
    V::store(d + 2 * k, c);
    V::store(d + 3 * k, e);
    V::store(d + n - 4 * k, f);
    V::store(d + n - 3 * k, g);
    V::store(d + n - 2 * k, h);
    V::store(d + n - k, i);
  }
}

template <class V, bool kStream>
[[gnu::always_inline]] inline void store_loop(byte* p, typename V::reg v) noexcept {
  if constexpr (kStream) {
    V::stream(p, v);
  } else {
    V::store_aligned(p, v);
  }
}

// n > 8k, copying forwards: correct unless d lies inside (s, s + n). The
// head and the tail are loaded before the loop stores anything, so a memmove
// with d < s reads them intact; inside the loop, stores only reach source
// bytes the loop has already read.
template <class V, bool kStream>
[[gnu::noinline]] void copy_forward_large(byte* d, const byte* s, size_t n) noexcept {
  constexpr size_t k = V::kSize;
  const auto head = V::load(s);
  const auto t0 = V::load(s + n - k), t1 = V::load(s + n - 2 * k);
  const auto t2 = V::load(s + n - 3 * k), t3 = V::load(s + n - 4 * k);
  byte* const end = d + n;
  // First aligned destination vector: 1..k bytes in, the head covers the gap.
  const size_t skip = k - (reinterpret_cast<uintptr_t>(d) & (k - 1));
  byte* dp = d + skip;
  const byte* sp = s + skip;
  while (static_cast<size_t>(end - dp) > 4 * k) {
    const auto a = V::load(sp), b = V::load(sp + k), c = V::load(sp + 2 * k),
               e = V::load(sp + 3 * k);
    store_loop<V, kStream>(dp, a);
    store_loop<V, kStream>(dp + k, b);
    store_loop<V, kStream>(dp + 2 * k, c);
    store_loop<V, kStream>(dp + 3 * k, e);
    dp += 4 * k;
    sp += 4 * k;
  }
  if constexpr (kStream) V::fence();
  // At most 4k bytes remain: the tail vectors cover them.
  V::store(end - k, t0);
  V::store(end - 2 * k, t1);
  V::store(end - 3 * k, t2);
  V::store(end - 4 * k, t3);
  V::store(d, head);
}

// n > 8k, copying backwards: for memmove with s < d < s + n. The mirror
// image of copy_forward_large: the last (unaligned) vector and the first four
// are loaded first and stored last; the loop walks down from the aligned end.
template <class V>
[[gnu::noinline]] void copy_backward_large(byte* d, const byte* s, size_t n) noexcept {
  constexpr size_t k = V::kSize;
  const auto tail = V::load(s + n - k);
  const auto h0 = V::load(s), h1 = V::load(s + k), h2 = V::load(s + 2 * k), h3 = V::load(s + 3 * k);
  byte* const end = d + n;
  const size_t skip = reinterpret_cast<uintptr_t>(end) & (k - 1);  // 0..k-1: the tail covers it
  byte* dp = end - skip;
  const byte* sp = s + n - skip;
  while (static_cast<size_t>(dp - d) > 4 * k) {
    const auto a = V::load(sp - k), b = V::load(sp - 2 * k);
    const auto c = V::load(sp - 3 * k), e = V::load(sp - 4 * k);
    V::store_aligned(dp - k, a);
    V::store_aligned(dp - 2 * k, b);
    V::store_aligned(dp - 3 * k, c);
    V::store_aligned(dp - 4 * k, e);
    dp -= 4 * k;
    sp -= 4 * k;
  }
  V::store(d, h0);
  V::store(d + k, h1);
  V::store(d + 2 * k, h2);
  V::store(d + 3 * k, h3);
  V::store(end - k, tail);
}

template <class V, bool kStream>
[[gnu::noinline]] void set_large(byte* d, byte b, size_t n) noexcept {
  constexpr size_t k = V::kSize;
  const auto v = V::broadcast(b);
  byte* const end = d + n;
  V::store(d, v);
  byte* dp = d + (k - (reinterpret_cast<uintptr_t>(d) & (k - 1)));
  while (static_cast<size_t>(end - dp) > 4 * k) {
    store_loop<V, kStream>(dp, v);
    store_loop<V, kStream>(dp + k, v);
    store_loop<V, kStream>(dp + 2 * k, v);
    store_loop<V, kStream>(dp + 3 * k, v);
    dp += 4 * k;
  }
  if constexpr (kStream) V::fence();
  V::store(end - 4 * k, v);
  V::store(end - 3 * k, v);
  V::store(end - 2 * k, v);
  V::store(end - k, v);
}

// The memory_kernel entry points.

template <class V>
void vector_copy(void* dst, const void* src, size_t n) noexcept {
  byte* d = static_cast<byte*>(dst);
  const byte* s = static_cast<const byte*>(src);
  if (n <= 8 * V::kSize) {
    copy_small<V>(d, s, n);
    return;
  }
  if constexpr (V::kNonTemporal) {
    if (n >= nt_threshold()) {
      copy_forward_large<V, true>(d, s, n);
      return;
    }
  }
  copy_forward_large<V, false>(d, s, n);
}

template <class V>
void vector_move(void* dst, const void* src, size_t n) noexcept {
  byte* d = static_cast<byte*>(dst);
  const byte* s = static_cast<const byte*>(src);
  if (n <= 8 * V::kSize) {
    copy_small<V>(d, s, n);
    return;
  }
  // Unsigned distance: below n exactly when s <= d < s + n, where copying
  // forwards would overwrite source bytes before reading them.
  const uintptr_t forward_distance =
      reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s);
  if (forward_distance < n) {
    copy_backward_large<V>(d, s, n);
    return;
  }
  if constexpr (V::kNonTemporal) {
    // Streaming only without any overlap: with d < s < d + n the source is
    // read just after the cache line holding it was written.
    const uintptr_t backward_distance =
        reinterpret_cast<uintptr_t>(s) - reinterpret_cast<uintptr_t>(d);
    if (n >= nt_threshold() && backward_distance >= n) {
      copy_forward_large<V, true>(d, s, n);
      return;
    }
  }
  copy_forward_large<V, false>(d, s, n);
}

template <class V>
void vector_set(void* dst, int value, size_t n) noexcept {
  byte* d = static_cast<byte*>(dst);
  const byte b = static_cast<byte>(value);  // memset's conversion to unsigned char
  constexpr size_t k = V::kSize;
  if (n < k) {
    set_below_vector<V>(d, b, n);
    return;
  }
  if (n <= 8 * k) {
    const auto v = V::broadcast(b);
    if (n <= 2 * k) {
      V::store(d, v);
      V::store(d + n - k, v);
    } else if (n <= 4 * k) {
      V::store(d, v);
      V::store(d + k, v);
      V::store(d + n - 2 * k, v);
      V::store(d + n - k, v);
    } else {
      V::store(d, v);
      V::store(d + k, v);
      V::store(d + 2 * k, v);
      V::store(d + 3 * k, v);
      V::store(d + n - 4 * k, v);
      V::store(d + n - 3 * k, v);
      V::store(d + n - 2 * k, v);
      V::store(d + n - k, v);
    }
    return;
  }
  if constexpr (V::kNonTemporal) {
    if (n >= nt_threshold()) {
      set_large<V, true>(d, b, n);
      return;
    }
  }
  set_large<V, false>(d, b, n);
}

}  // namespace
}  // namespace vm::simd::kernels
