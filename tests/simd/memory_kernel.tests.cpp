// memory_kernel.tests.cpp - every kernel this machine runs against a byte
// loop and the scalar kernel: every size 0-1024 at every source and every
// destination alignment 0-63, all 64x64 alignment pairs at the size-class
// boundaries, every overlap distance for memmove in both directions, memset
// values, random sizes up to 4 MiB, and the non-temporal path.
//
// Alignment coverage: for every size 0-1024, the source at each offset 0-63
// with the destination aligned, and the destination at each offset with the
// source aligned (each offset of each side meets every size); all 4096 pairs
// only at the sizes where a kernel changes strategy (kBoundarySizes), where
// the relative alignment of the two sides matters.

#include "simd/memory_kernel.h"

#include <catch2/catch.hpp>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "memory_checks.h"

namespace {

using simd_checks::copy_checker;
using simd_checks::copy_op;
using simd_checks::kAlignments;
using simd_checks::overlap_checker;
using simd_checks::runnable_kernels;
using simd_checks::set_checker;
using vm::simd::memory_kernel;

// The size classes change at 16 (words to vectors), at 1, 2, 4 and 8
// vectors of 8 (scalar), 16 (SSE2), 32 (AVX2, NEON) and 64 (AVX-512) bytes;
// the +/-1 neighbours of each, and the top of the sweep.
constexpr size_t kBoundarySizes[] = {0,   1,   2,   3,   4,   5,   7,   8,   9,    15,  16,
                                     17,  31,  32,  33,  63,  64,  65,  127, 128,  129, 255,
                                     256, 257, 511, 512, 513, 767, 768, 769, 1023, 1024};

constexpr size_t kMaxSweep = 1024;

// Restores the kernels' non-temporal threshold when a test that lowered it ends.
class threshold_override {
 public:
  explicit threshold_override(size_t bytes)
      : previous_(vm::simd::detail::set_non_temporal_threshold_for_testing(bytes)) {}
  ~threshold_override() { vm::simd::detail::set_non_temporal_threshold_for_testing(previous_); }
  threshold_override(const threshold_override&) = delete;
  threshold_override& operator=(const threshold_override&) = delete;

 private:
  size_t previous_;
};

TEST_CASE("the scalar kernel is compiled, runs everywhere and comes last", "[simd][kernel]") {
  const std::vector<const memory_kernel*> kernels = runnable_kernels();
  REQUIRE_FALSE(kernels.empty());
  CHECK(std::string(kernels.back()->name) == "scalar");
  CHECK(kernels.back()->required == 0);
}

TEST_CASE("every kernel copies every size 0-1024 at every source and destination alignment",
          "[simd][kernel][copy]") {
  for (const memory_kernel* k : runnable_kernels()) {
    DYNAMIC_SECTION(k->name) {
      copy_checker c(*k, copy_op::kCopy, kMaxSweep);
      simd_checks::sweep_single_alignments(c, 0, kMaxSweep);
      INFO(c.cases() << " cases");
      CHECK(c.failures() == 0);
    }
  }
}

TEST_CASE("every kernel moves non-overlapping ranges of every size 0-1024 at every alignment",
          "[simd][kernel][move]") {
  for (const memory_kernel* k : runnable_kernels()) {
    DYNAMIC_SECTION(k->name) {
      copy_checker c(*k, copy_op::kMove, kMaxSweep);
      simd_checks::sweep_single_alignments(c, 0, kMaxSweep);
      INFO(c.cases() << " cases");
      CHECK(c.failures() == 0);
    }
  }
}

TEST_CASE("every kernel copies and moves the size-class boundaries at all 64x64 alignment pairs",
          "[simd][kernel][copy][move]") {
  for (const memory_kernel* k : runnable_kernels()) {
    DYNAMIC_SECTION(k->name) {
      copy_checker copy(*k, copy_op::kCopy, kMaxSweep), move(*k, copy_op::kMove, kMaxSweep);
      for (size_t n : kBoundarySizes) {
        for (size_t src = 0; src < kAlignments; ++src) {
          for (size_t dst = 0; dst < kAlignments; ++dst) {
            copy.check(n, src, dst);
            move.check(n, src, dst);
          }
        }
      }
      CHECK(copy.failures() == 0);
      CHECK(move.failures() == 0);
    }
  }
}

TEST_CASE("every kernel's memmove handles every overlap distance in both directions",
          "[simd][kernel][move][overlap]") {
  // Every distance up to n = 320, past the start of every kernel's loop but
  // AVX-512's (above 8 vectors: 64, 128, 256 and 256 bytes for scalar, SSE2,
  // AVX2 and NEON); above, up to 1024, the distances that matter most.
  for (const memory_kernel* k : runnable_kernels()) {
    DYNAMIC_SECTION(k->name) {
      overlap_checker c(*k, 2 * kMaxSweep + 1);
      simd_checks::sweep_overlaps(c, 320, kMaxSweep);
      INFO(c.cases() << " cases");
      CHECK(c.failures() == 0);
    }
  }
}

TEST_CASE("every kernel's memset stores the value's low byte at every size 0-1024 and alignment",
          "[simd][kernel][set]") {
  for (const memory_kernel* k : runnable_kernels()) {
    DYNAMIC_SECTION(k->name) {
      set_checker c(*k, kMaxSweep);
      simd_checks::sweep_set(c, 0, kMaxSweep);
      // Every byte value and ints outside 0-255, at the boundary sizes.
      std::vector<int> values = {0x100, 0x1ab, -1, -256, INT_MIN, INT_MAX};
      for (int v = 0; v < 256; ++v) values.push_back(v);
      for (size_t n : kBoundarySizes) {
        for (size_t a : {0, 1, 31, 63}) {
          for (int v : values) c.check(n, a, v);
        }
      }
      INFO(c.cases() << " cases");
      CHECK(c.failures() == 0);
    }
  }
}

TEST_CASE("every kernel copies, moves and sets random sizes up to 4 MiB",
          "[simd][kernel][random]") {
  constexpr size_t kMax = size_t{4} << 20;
  constexpr int kCases = 24;
  for (const memory_kernel* k : runnable_kernels()) {
    DYNAMIC_SECTION(k->name) {
      const uint64_t seed = 20240607;
      CAPTURE(seed);
      std::mt19937_64 rng(seed);
      // Log-uniform sizes from 1 KiB: the size classes above 8 vectors.
      std::uniform_real_distribution<double> log_size(10.0, 22.0);
      std::uniform_int_distribution<size_t> align(0, kAlignments - 1);
      copy_checker copy(*k, copy_op::kCopy, kMax), move(*k, copy_op::kMove, kMax);
      overlap_checker overlap(*k, 2 * kMax + 1);
      set_checker set(*k, kMax);
      for (int i = 0; i < kCases; ++i) {
        const size_t n = static_cast<size_t>(std::exp2(log_size(rng)));
        const size_t src = align(rng), dst = align(rng);
        const size_t distance = std::uniform_int_distribution<size_t>(1, n + 1)(rng);
        CAPTURE(i, n, src, dst, distance);  // also in each failure's message
        copy.check(n, src, dst);
        move.check(n, src, dst);
        overlap.check(n, distance, true, src);
        overlap.check(n, distance, false, dst);
        set.check(n, dst, static_cast<int>(rng() & 0x1ff));
      }
      CHECK(copy.failures() == 0);
      CHECK(move.failures() == 0);
      CHECK(overlap.failures() == 0);
      CHECK(set.failures() == 0);
    }
  }
}

TEST_CASE("every kernel's non-temporal path copies, moves and sets like a byte loop",
          "[simd][kernel][non-temporal]") {
  // The threshold lowered so that every size above 8 vectors streams (copy,
  // set, and moves without overlap); overlapping moves must still work.
  for (const memory_kernel* k : runnable_kernels()) {
    DYNAMIC_SECTION(k->name) {
      copy_checker copy(*k, copy_op::kCopy, 2 * kMaxSweep), move(*k, copy_op::kMove, 2 * kMaxSweep);
      overlap_checker overlap(*k, 2 * kMaxSweep + 1);
      set_checker set(*k, 2 * kMaxSweep);
      {
        const threshold_override streaming(1);
        REQUIRE(vm::simd::non_temporal_threshold() == 1);
        for (size_t n = 0; n <= kMaxSweep; ++n) {
          for (size_t a : {0, 1, 15, 16, 33, 63}) {
            copy.check(n, a, (a * 7 + n) % kAlignments);
            move.check(n, (a * 7 + n) % kAlignments, a);
            set.check(n, a, static_cast<int>(n + a));
          }
          for (size_t d : {1, 7, 64}) {
            overlap.check(n, d, true, n % kAlignments);
            overlap.check(n, d, false, n % kAlignments);
          }
        }
      }
      {
        // Just below, at and above a threshold of 1500 bytes.
        const threshold_override at_1500(1500);
        for (size_t n = 1400; n <= 1600; ++n) {
          copy.check(n, n % kAlignments, 0);
          move.check(n, 0, n % kAlignments);
          set.check(n, n % kAlignments, 0xa5);
        }
      }
      CHECK(copy.failures() == 0);
      CHECK(move.failures() == 0);
      CHECK(overlap.failures() == 0);
      CHECK(set.failures() == 0);
    }
  }
  CHECK(vm::simd::non_temporal_threshold() > 1);  // restored
}

}  // namespace
