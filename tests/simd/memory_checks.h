// memory_checks.h - the differential sweeps shared by the kernel tests and the
// dispatcher tests: a kernel's copy/move/set against a byte-loop reference
// and against the scalar kernel, with guard bytes around the destination.
//
// Every case works in a window: kGuard bytes, the destination's alignment
// offset, the bytes written, kGuard bytes. The window starts 64-byte aligned
// and is filled with random bytes; after the call the whole window must equal
// the reference's window, so a write outside [dst, dst + n) shows up as a
// changed guard byte.
#pragma once

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <new>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "simd/memory_kernel.h"

namespace simd_checks {

using vm::simd::memory_kernel;
using byte = unsigned char;

constexpr size_t kGuard = 64;
constexpr size_t kAlignments = 64;  // offsets 0..63 from a 64-byte boundary

// The kernels this machine runs, best first (scalar last).
inline std::vector<const memory_kernel*> runnable_kernels() {
  std::vector<const memory_kernel*> kernels;
  for (const memory_kernel* k : vm::simd::compiled_kernels()) {
    if (vm::simd::supported(*k)) kernels.push_back(k);
  }
  return kernels;
}

inline const memory_kernel& scalar_kernel() {
  return *vm::simd::find_kernel("scalar");
}

// The reference: byte loops whose stores are volatile, so that the compiler
// cannot turn them into calls to the C library's memmove/memset; the
// reference stays independent of every kernel and of libc.
inline void reference_move(byte* dst, const byte* src, size_t n) {
  volatile byte* d = dst;
  if (reinterpret_cast<uintptr_t>(dst) <= reinterpret_cast<uintptr_t>(src)) {
    for (size_t i = 0; i < n; ++i) d[i] = src[i];
  } else {
    for (size_t i = n; i-- > 0;) d[i] = src[i];
  }
}

inline void reference_set(byte* dst, int value, size_t n) {
  volatile byte* d = dst;
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<byte>(value);
}

// A 64-byte aligned byte array.
class aligned_bytes {
 public:
  explicit aligned_bytes(size_t size)
      : data_(static_cast<byte*>(::operator new (size == 0 ? 1 : size, std::align_val_t{64}))),
        size_(size) {}
  ~aligned_bytes() { ::operator delete (data_, std::align_val_t{64}); }
  aligned_bytes(const aligned_bytes&) = delete;
  aligned_bytes& operator=(const aligned_bytes&) = delete;

  byte* data() noexcept { return data_; }
  const byte* data() const noexcept { return data_; }
  size_t size() const noexcept { return size_; }

 private:
  byte* data_;
  size_t size_;
};

inline void fill_random(byte* p, size_t n, std::mt19937_64& rng) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t word = rng();
    std::memcpy(p + i, &word, 8);
  }
  for (; i < n; ++i) p[i] = static_cast<byte>(rng());
}

// Counts mismatching cases; the first few become Catch2 failures with the
// case spelled out, the rest only count (one assertion per case would make
// the sweeps slow). Every sweep ends with CHECK(failures == 0).
class mismatch_log {
 public:
  // `actual`, `reference` and `scalar` are windows of `size` bytes; `dst_at`
  // is the destination's offset in the window; describe() names the case.
  template <class Describe>
  void compare(const byte* actual, const byte* reference, const byte* scalar, size_t size,
               size_t dst_at, Describe&& describe) {
    if (std::memcmp(actual, reference, size) == 0 && std::memcmp(scalar, reference, size) == 0)
      return;
    if (++failures_ > kReported) return;
    size_t i = 0;
    while (i < size && actual[i] == reference[i] && scalar[i] == reference[i]) ++i;
    std::ostringstream out;
    out << describe() << ": first difference at window byte " << i << " (destination offset "
        << static_cast<std::ptrdiff_t>(i) - static_cast<std::ptrdiff_t>(dst_at) << "): kernel 0x"
        << std::hex << int{actual[i]} << ", scalar kernel 0x" << int{scalar[i]} << ", byte loop 0x"
        << int{reference[i]};
    FAIL_CHECK(out.str());
  }
  int failures() const noexcept { return failures_; }

 private:
  static constexpr int kReported = 5;
  int failures_ = 0;
};

// One destination window and the reference/scalar/kernel copies of it.
class window_set {
 public:
  window_set(size_t capacity, uint64_t seed)
      : initial_(capacity), reference_(capacity), scalar_(capacity), actual_(capacity) {
    std::mt19937_64 rng(seed);
    fill_random(initial_.data(), capacity, rng);
  }
  byte* initial() noexcept { return initial_.data(); }
  byte* reference() noexcept { return reference_.data(); }
  byte* scalar() noexcept { return scalar_.data(); }
  byte* actual() noexcept { return actual_.data(); }
  // Resets the three working windows to the initial bytes.
  void reset(size_t size) {
    std::memcpy(reference_.data(), initial_.data(), size);
    std::memcpy(scalar_.data(), initial_.data(), size);
    std::memcpy(actual_.data(), initial_.data(), size);
  }

 private:
  aligned_bytes initial_, reference_, scalar_, actual_;
};

enum class copy_op { kCopy, kMove };

inline const char* op_name(copy_op op) {
  return op == copy_op::kCopy ? "copy" : "move";
}

inline void run(const memory_kernel& k, copy_op op, byte* dst, const byte* src, size_t n) {
  if (op == copy_op::kCopy) {
    k.copy(dst, src, n);
  } else {
    k.move(dst, src, n);
  }
}

// Copies n bytes from a separate source buffer at offset src_align to the
// window's destination at offset dst_align (non-overlapping: copy or move).
class copy_checker {
 public:
  copy_checker(const memory_kernel& k, copy_op op, size_t max_size, uint64_t seed = 1)
      : kernel_(k),
        op_(op),
        source_(max_size + kAlignments),
        windows_(kGuard + kAlignments + max_size + kGuard, seed + 1) {
    std::mt19937_64 rng(seed);
    fill_random(source_.data(), source_.size(), rng);
  }

  void check(size_t n, size_t src_align, size_t dst_align) {
    const size_t at = kGuard + dst_align, size = at + n + kGuard;
    const byte* src = source_.data() + src_align;
    windows_.reset(size);
    reference_move(windows_.reference() + at, src, n);
    run(scalar_kernel(), op_, windows_.scalar() + at, src, n);
    run(kernel_, op_, windows_.actual() + at, src, n);
    log_.compare(windows_.actual(), windows_.reference(), windows_.scalar(), size, at, [&] {
      std::ostringstream what;
      what << kernel_.name << ' ' << op_name(op_) << " n=" << n << " src_align=" << src_align
           << " dst_align=" << dst_align;
      return what.str();
    });
    ++cases_;
  }

  int failures() const noexcept { return log_.failures(); }
  long cases() const noexcept { return cases_; }

 private:
  const memory_kernel& kernel_;
  copy_op op_;
  aligned_bytes source_;
  window_set windows_;
  mismatch_log log_;
  long cases_ = 0;
};

// memmove within one buffer: n bytes between two ranges `distance` apart,
// the destination below the source (forward) or above it (backward).
class overlap_checker {
 public:
  // max_span: the largest n + distance.
  overlap_checker(const memory_kernel& k, size_t max_span, uint64_t seed = 3)
      : kernel_(k), windows_(kGuard + kAlignments + max_span + kGuard, seed), snapshot_(max_span) {}

  // base_align: the lower range's offset from a 64-byte boundary.
  void check(size_t n, size_t distance, bool dst_below_src, size_t base_align) {
    const size_t low = kGuard + base_align, size = low + n + distance + kGuard;
    const size_t src_at = dst_below_src ? low + distance : low;
    const size_t dst_at = dst_below_src ? low : low + distance;
    windows_.reset(size);
    // memmove behaves as if the source were first copied aside.
    std::memcpy(snapshot_.data(), windows_.initial() + src_at, n);
    reference_move(windows_.reference() + dst_at, snapshot_.data(), n);
    scalar_kernel().move(windows_.scalar() + dst_at, windows_.scalar() + src_at, n);
    kernel_.move(windows_.actual() + dst_at, windows_.actual() + src_at, n);
    log_.compare(windows_.actual(), windows_.reference(), windows_.scalar(), size, dst_at, [&] {
      std::ostringstream what;
      what << kernel_.name << " move n=" << n << " distance=" << distance
           << (dst_below_src ? " dst below src" : " dst above src") << " base_align=" << base_align;
      return what.str();
    });
    ++cases_;
  }

  int failures() const noexcept { return log_.failures(); }
  long cases() const noexcept { return cases_; }

 private:
  const memory_kernel& kernel_;
  window_set windows_;
  std::vector<byte> snapshot_;
  mismatch_log log_;
  long cases_ = 0;
};

class set_checker {
 public:
  set_checker(const memory_kernel& k, size_t max_size, uint64_t seed = 5)
      : kernel_(k), windows_(kGuard + kAlignments + max_size + kGuard, seed) {}

  void check(size_t n, size_t dst_align, int value) {
    const size_t at = kGuard + dst_align, size = at + n + kGuard;
    windows_.reset(size);
    reference_set(windows_.reference() + at, value, n);
    scalar_kernel().set(windows_.scalar() + at, value, n);
    kernel_.set(windows_.actual() + at, value, n);
    log_.compare(windows_.actual(), windows_.reference(), windows_.scalar(), size, at, [&] {
      std::ostringstream what;
      what << kernel_.name << " set n=" << n << " dst_align=" << dst_align << " value=" << value;
      return what.str();
    });
    ++cases_;
  }

  int failures() const noexcept { return log_.failures(); }
  long cases() const noexcept { return cases_; }

 private:
  const memory_kernel& kernel_;
  window_set windows_;
  mismatch_log log_;
  long cases_ = 0;
};

// The sweeps, each over every size in [min_size, max_size].

// Every size with every single alignment: the source at 0..63 with the
// destination at 0, and the destination at 0..63 with the source at 0.
inline void sweep_single_alignments(copy_checker& c, size_t min_size, size_t max_size) {
  for (size_t n = min_size; n <= max_size; ++n) {
    for (size_t a = 0; a < kAlignments; ++a) {
      c.check(n, a, 0);
      if (a != 0) c.check(n, 0, a);
    }
  }
}

// The values memset is checked with across all sizes and alignments: both
// extremes, a pattern, and ints above 255 or negative (memset converts them
// to unsigned char).
constexpr int kSetValues[] = {0, 0xff, 0x5a, 0x1ab, -1, 0x80, 1, 0x100};

inline void sweep_set(set_checker& c, size_t min_size, size_t max_size) {
  size_t v = 0;
  for (size_t n = min_size; n <= max_size; ++n) {
    for (size_t a = 0; a < kAlignments; ++a) {
      c.check(n, a, kSetValues[v++ % std::size(kSetValues)]);
    }
  }
}

// Every overlap distance 1..n+1 (n+1: adjacent, no overlap) in both
// directions for n <= max_all_distances; above, up to max_size, the
// distances below two AVX-512 vectors (129), those at 4 and 8 vectors of each
// vector size and their neighbours, and those near n. The lower range's
// alignment varies with n and the distance.
inline void sweep_overlaps(overlap_checker& c, size_t max_all_distances, size_t max_size) {
  std::vector<size_t> distances;
  for (size_t n = 0; n <= max_size; ++n) {
    distances.clear();
    if (n <= max_all_distances) {
      for (size_t d = 1; d <= n + 1; ++d) distances.push_back(d);
    } else {
      for (size_t d = 1; d <= 129; ++d) distances.push_back(d);
      for (size_t d : {255, 256, 257, 511, 512, 513}) {
        if (d < n - 8) distances.push_back(d);
      }
      for (size_t d = n - 8; d <= n + 1; ++d) distances.push_back(d);
    }
    for (size_t d : distances) {
      const size_t base = (n * 7 + d * 13) % kAlignments;
      c.check(n, d, true, base);
      c.check(n, d, false, base);
    }
  }
}

}  // namespace simd_checks
