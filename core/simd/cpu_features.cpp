// cpu_features.cpp - what this CPU can run, detected once: cpuid and xgetbv
// on x86-64, getauxval(AT_HWCAP) on AArch64.
#include <atomic>
#include <cstdint>
#include <string>

#include "simd/memory_kernel.h"

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace vm::simd {
namespace {

#if defined(__x86_64__)
// XCR0: the register state the OS saves on a context switch. A CPU may have
// AVX2 or AVX-512 while the OS does not save its registers; then using them
// would corrupt state, so they count as absent.
uint64_t read_xcr0() noexcept {
  uint32_t low = 0, high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (uint64_t{high} << 32) | low;
}

uint32_t detect() noexcept {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return 0;
  uint32_t features = 0;
  if (edx & bit_SSE2) features |= kFeatureSse2;
  const bool osxsave = (ecx & bit_OSXSAVE) != 0;
  const bool avx = (ecx & bit_AVX) != 0;
  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  const bool ymm_saved = (xcr0 & 0x6) == 0x6;  // bit 1 SSE, bit 2 AVX (YMM upper halves)
  const bool zmm_saved =
      ymm_saved && (xcr0 & 0xe0) == 0xe0;  // bits 5-7: opmask, ZMM_Hi256, Hi16_ZMM

  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0) {
    if (avx && ymm_saved && (ebx & bit_AVX2)) features |= kFeatureAvx2;
    constexpr unsigned avx512 = bit_AVX512F | bit_AVX512BW | bit_AVX512VL;
    if (avx && zmm_saved && (ebx & avx512) == avx512) features |= kFeatureAvx512;
    if (ebx & (1u << 9)) features |= kFeatureErms;  // cpuid.h names no bit for ERMS
    if (edx & (1u << 4)) features |= kFeatureFsrm;  // nor for FSRM
  }
  return features;
}
#elif defined(__aarch64__)
uint32_t detect() noexcept {
  return (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0 ? uint32_t{kFeatureNeon} : 0u;
}
#else
uint32_t detect() noexcept {
  return 0;
}
#endif

std::atomic<uint32_t> feature_mask{~0u};

}  // namespace

uint32_t cpu_features() noexcept {
  static const uint32_t detected = detect();
  return detected & feature_mask.load(std::memory_order_relaxed);
}

std::string feature_names(uint32_t features) {
  static constexpr struct {
    uint32_t bit;
    const char* name;
  } kNames[] = {{kFeatureSse2, "sse2"}, {kFeatureAvx2, "avx2"}, {kFeatureAvx512, "avx512"},
                {kFeatureErms, "erms"}, {kFeatureFsrm, "fsrm"}, {kFeatureNeon, "neon"}};
  std::string names;
  for (const auto& [bit, name] : kNames) {
    if ((features & bit) == 0) continue;
    if (!names.empty()) names += ' ';
    names += name;
  }
  return names;
}

namespace detail {
uint32_t mask_cpu_features_for_testing(uint32_t mask) noexcept {
  return feature_mask.exchange(mask, std::memory_order_relaxed);
}
}  // namespace detail

}  // namespace vm::simd
