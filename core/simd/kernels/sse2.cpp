// sse2.cpp - the SSE2 kernel: 16-byte vectors, every x86-64 CPU has them.
// Compiled with -msse2 (core/simd/CMakeLists.txt).
#include "simd/kernels/x86_vectors_inline.h"

namespace vm::simd::kernels {

const memory_kernel sse2 = {
    "sse2",
    "SSE2: 16-byte vectors, non-temporal stores above the threshold",
    kFeatureSse2,
    &vector_copy<xmm_vector>,
    &vector_move<xmm_vector>,
    &vector_set<xmm_vector>,
};

}  // namespace vm::simd::kernels
