// scalar.cpp - the portable kernel, built for every target: 8-byte words
// through fixed-size __builtin_memcpy (no alignment or aliasing assumptions)
// with the same size classes as the vector kernels, and ordinary stores only.
// Compiled with -fno-tree-loop-distribute-patterns so that GCC does not turn
// its loops back into calls to the C library's memcpy, and -fno-tree-vectorize
// so that it does not turn its words into SIMD vectors.
#include <cstdint>

#include "simd/kernels/vector_kernel_inline.h"

namespace vm::simd::kernels {
namespace {

struct word_vector {
  using reg = uint64_t;
  using half = word_vector;  // unused: below 8 bytes copy_below_16 takes over
  static constexpr size_t kSize = 8;
  static constexpr bool kNonTemporal = false;  // portable C++ has no streaming store
  static reg load(const byte* p) noexcept { return load_word<uint64_t>(p); }
  static void store(byte* p, reg v) noexcept { store_word(p, v); }
  static void store_aligned(byte* p, reg v) noexcept { store_word(p, v); }
  static reg broadcast(byte b) noexcept { return 0x0101010101010101ull * b; }
};

}  // namespace

const memory_kernel scalar = {
    "scalar",
    "portable C++: 8-byte words, no SIMD, no non-temporal stores",
    0,
    &vector_copy<word_vector>,
    &vector_move<word_vector>,
    &vector_set<word_vector>,
};

}  // namespace vm::simd::kernels
