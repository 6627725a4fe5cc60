// avx512.cpp - the AVX-512 kernel: 64-byte vectors (one cache line per
// store). Compiled with -mavx512f -mavx512bw -mavx512vl
// (core/simd/CMakeLists.txt); the dispatcher calls it only when the CPU has
// AVX-512 F, BW and VL and the OS saves ZMM and opmask state.
#include "simd/kernels/x86_vectors_inline.h"

#if !defined(__AVX512F__) || !defined(__AVX512BW__)
#error "kernels/avx512.cpp needs -mavx512f -mavx512bw"
#endif

namespace vm::simd::kernels {

const memory_kernel avx512 = {
    "avx512",
    "AVX-512: 64-byte vectors, non-temporal stores above the threshold",
    kFeatureSse2 | kFeatureAvx2 | kFeatureAvx512,  // -mavx512f implies AVX2 code too
    &vector_copy<zmm_vector>,
    &vector_move<zmm_vector>,
    &vector_set<zmm_vector>,
};

}  // namespace vm::simd::kernels
