// avx2.cpp - the AVX2 kernel: 32-byte vectors. Compiled with -mavx2
// (core/simd/CMakeLists.txt); the dispatcher calls it only when the CPU has
// AVX2 and the OS saves YMM state.
#include "simd/kernels/x86_vectors_inline.h"

#if !defined(__AVX2__)
#error "kernels/avx2.cpp needs -mavx2"
#endif

namespace vm::simd::kernels {

const memory_kernel avx2 = {
    "avx2",
    "AVX2: 32-byte vectors, non-temporal stores above the threshold",
    kFeatureSse2 | kFeatureAvx2,
    &vector_copy<ymm_vector>,
    &vector_move<ymm_vector>,
    &vector_set<ymm_vector>,
};

}  // namespace vm::simd::kernels
