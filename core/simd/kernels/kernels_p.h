// kernels_p.h - private to core/simd: the kernel descriptors that
// dispatch.cpp lists, and the non-temporal threshold the kernels read.
//
// Kernel sources are compiled with their own target flags (-mavx2, ...), so
// they must not emit out-of-line copies of inline functions shared with other
// translation units: the linker keeps one copy of each, and an AVX-512 copy
// chosen for the whole program would fault on a CPU without AVX-512. This
// header therefore declares only plain data, and the kernels read the
// threshold with a compiler builtin rather than std::atomic's members.
#pragma once

#include <cstddef>

#include "simd/memory_kernel.h"

namespace vm::simd::kernels {

extern const memory_kernel scalar;  // kernels/scalar.cpp, every target
#if defined(__x86_64__)
extern const memory_kernel sse2;    // kernels/sse2.cpp, -msse2
extern const memory_kernel avx2;    // kernels/avx2.cpp, -mavx2
extern const memory_kernel avx512;  // kernels/avx512.cpp, -mavx512f -mavx512bw -mavx512vl
#endif
#if defined(__aarch64__)
extern const memory_kernel neon;  // kernels/neon.cpp
#endif

// non_temporal_threshold()'s value, published by non_temporal_threshold.cpp
// before the first kernel is selected. Read with __atomic_load_n(..,
// __ATOMIC_RELAXED): only its value matters, never what it orders. Until
// detection runs it holds the documented default.
extern size_t non_temporal_threshold_bytes;

}  // namespace vm::simd::kernels
