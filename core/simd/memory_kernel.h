// memory_kernel.h - the host's memcpy/memmove/memset kernels, one per
// instruction set (core/simd/kernels/<isa>.cpp, each compiled with its own
// target flags), and the dispatcher that picks the best one the CPU runs.
//
// The model is simdjson's implementation list: every kernel describes itself
// (name, description, the CPU features it needs); the dispatcher detects the
// CPU once (cpuid/xgetbv on x86-64, getauxval(AT_HWCAP) on AArch64), walks a
// priority list and caches the choice in an atomic pointer. VM_FORCE_MEMCPY
// (read once, at the first call) or force_kernel() pins one kernel.
//
// Adding a kernel is one file in kernels/ plus one line in the list in
// dispatch.cpp. The portable `scalar` kernel is always built.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vm::simd {

// CPU features a kernel may require (a bit set).
enum cpu_feature : uint32_t {
  kFeatureSse2 = 1u << 0,
  kFeatureAvx2 = 1u << 1,    // AVX2 and the OS saves YMM state (xgetbv)
  kFeatureAvx512 = 1u << 2,  // AVX-512 F+BW+VL and the OS saves ZMM state
  kFeatureErms = 1u << 3,    // enhanced rep movsb
  kFeatureFsrm = 1u << 4,    // fast short rep movsb
  kFeatureNeon = 1u << 5,    // AArch64 Advanced SIMD (HWCAP_ASIMD)
};

struct memory_kernel {
  const char* name;         // "avx512", "avx2", "sse2", "neon", "scalar"
  const char* description;  // one line for `vmbench --list-memcpy` and reports
  uint32_t required;        // cpu_feature bits
  // memcpy: the ranges must not overlap. n == 0 touches nothing.
  void (*copy)(void* dst, const void* src, size_t n) noexcept;
  // memmove: any overlap.
  void (*move)(void* dst, const void* src, size_t n) noexcept;
  // memset
  void (*set)(void* dst, int value, size_t n) noexcept;
};

// The features of this CPU, detected once.
uint32_t cpu_features() noexcept;
// "sse2 avx2 avx512 erms fsrm" for the bits set.
std::string feature_names(uint32_t features);

// Every kernel compiled into this binary, best first (scalar last).
std::span<const memory_kernel* const> compiled_kernels() noexcept;
// True when this CPU has every feature the kernel needs.
bool supported(const memory_kernel& k) noexcept;
// The kernel named `name` among compiled_kernels(), or nullptr.
const memory_kernel* find_kernel(std::string_view name) noexcept;

// Makes `name` the active kernel. Errors (kInvalidArgument), active kernel
// unchanged: an unknown name (the message lists the compiled kernels) or a
// kernel this CPU cannot run (the message names the missing features).
error force_kernel(std::string_view name);

// Stores copies at or above this size bypass the cache (non-temporal
// stores): a share of the last-level cache, read once from the CPU.
size_t non_temporal_threshold() noexcept;

// The size in bytes of the data (or unified) cache of `level` (1, 2, 3)
// as the CPU describes it (cpuid leaf 4 / 0x8000001D, else sysfs), the
// whole cache even where threads share it; 0 when unknown. Read on every
// call: not for hot paths. (sysconf(_SC_LEVEL3_CACHE_SIZE) is not used: see
// non_temporal_threshold.cpp.)
size_t cache_bytes(unsigned level) noexcept;

namespace detail {
extern std::atomic<const memory_kernel*> active_kernel;
const memory_kernel& select_kernel() noexcept;  // first call: detect, apply VM_FORCE_MEMCPY, cache

// The best kernel among compiled_kernels() that a CPU with `features` runs
// (scalar when nothing else fits).
const memory_kernel& best_kernel(uint32_t features) noexcept;
// What VM_FORCE_MEMCPY=`value` selects on a CPU with `features`: nullptr or
// "" the best kernel; a compiled kernel's name that kernel. Errors
// (kInvalidArgument): an unknown name (the message lists the compiled
// kernels) or a kernel the CPU cannot run (it names the missing features).
// select_kernel() passes getenv's value; tests call it directly.
result<const memory_kernel*> kernel_for_environment(const char* value, uint32_t features);
// Where non_temporal_threshold() comes from, one line: the cache level, its
// size, the threads sharing it and the source (cpuid leaf, sysconf or the
// default).
std::string non_temporal_threshold_source();

// Test hooks. Both return the previous setting so a test can restore it.
// The kernels' non-temporal threshold; 0 restores the detected value.
size_t set_non_temporal_threshold_for_testing(size_t bytes) noexcept;
// cpu_features() (and so supported(), force_kernel()) reports only the
// detected features that are also in `mask`; ~0u restores them all.
uint32_t mask_cpu_features_for_testing(uint32_t mask) noexcept;
}  // namespace detail

// The kernel in use: the best supported one, unless VM_FORCE_MEMCPY or
// force_kernel() chose another. VM_FORCE_MEMCPY naming an unknown or
// unsupported kernel leaves the best one active and is reported by
// environment_error().
inline const memory_kernel& active_kernel() noexcept {
  const memory_kernel* k = detail::active_kernel.load(std::memory_order_acquire);
  return k != nullptr ? *k : detail::select_kernel();
}
// The error VM_FORCE_MEMCPY caused, if any (checked by the CLI at start so
// that a bad value is a one-line error with exit 2, never a crash).
error environment_error();

inline void copy(void* dst, const void* src, size_t n) noexcept {
  active_kernel().copy(dst, src, n);
}
inline void move(void* dst, const void* src, size_t n) noexcept {
  active_kernel().move(dst, src, n);
}
inline void set(void* dst, int value, size_t n) noexcept {
  active_kernel().set(dst, value, n);
}

}  // namespace vm::simd
