// non_temporal_threshold.cpp - the size above which the kernels store with
// non-temporal (streaming) stores, derived once from the last-level cache.
//
// The rule is glibc's default non_temporal_threshold in the glibc this
// machine runs (2.36, sysdeps/x86/dl-cacheinfo.h): three quarters of one
// thread's share of the last-level cache (its size divided by the threads
// sharing it). A temporal copy that large still leaves a quarter of the
// thread's share, its stack and other active data, in the cache; a larger
// one would evict other threads' data, and its own destination would not
// stay cached anyway. Streaming stores then also skip the read-for-ownership
// of every destination line. (glibc 2.38 moved to a quarter of the whole
// cache because per-thread shares became small on many-core parts; on the
// development machine, 32 MiB of L3 for 2 threads, the two rules give 12 and
// 8 MiB.)
//
// Sources, first that answers: cpuid's deterministic cache parameters (leaf 4,
// Intel; leaf 0x8000001D, AMD), which give the size and the threads sharing
// it; Linux's /sys/devices/system/cpu/cpu0/cache, the same two numbers on any
// architecture; else kDefaultShare. sysconf(_SC_LEVEL3_CACHE_SIZE) is not used:
// it gives no sharing count, and on AMD glibc reads it from leaf 0x80000006,
// which hypervisors fill inconsistently (`getconf LEVEL3_CACHE_SIZE` says
// 320 MiB on the development VM, whose leaf 0x8000001D says 32 MiB).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "simd/kernels/kernels_p.h"
#include "simd/memory_kernel.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace vm::simd {
namespace {

// Used when neither cpuid nor sysfs describe the caches (some VMs and
// emulators): 4 MiB per thread, the order of the last-level cache per
// thread of current server parts (Zen 4: 32 MiB per 16 threads; Sapphire
// Rapids: 1.875 MiB per core). Only speed depends on the threshold, never
// correctness.
constexpr size_t kDefaultShare = size_t{4} << 20;

struct last_level_cache {
  unsigned level = 0;
  size_t size = 0;       // bytes
  unsigned threads = 0;  // logical CPUs sharing it
  const char* source = "";
};

#if defined(__x86_64__)
// Leaf 4 and leaf 0x8000001D share one format: one subleaf per cache.
// `wanted` 0: the highest level; else that level only.
last_level_cache from_cpuid_leaf(unsigned leaf, const char* source, unsigned wanted = 0) noexcept {
  last_level_cache best;
  unsigned max_leaf = __get_cpuid_max(leaf & 0x80000000u, nullptr);
  if (max_leaf < leaf) return best;
  for (unsigned sub = 0; sub < 16; ++sub) {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    __cpuid_count(leaf, sub, eax, ebx, ecx, edx);
    const unsigned type = eax & 0x1f;  // 0 none (end), 1 data, 2 instruction, 3 unified
    if (type == 0) break;
    if (type == 2) continue;
    const unsigned level = (eax >> 5) & 0x7;
    if (wanted != 0 && level != wanted) continue;
    const size_t ways = ((ebx >> 22) & 0x3ff) + 1, partitions = ((ebx >> 12) & 0x3ff) + 1;
    const size_t line = (ebx & 0xfff) + 1, sets = size_t{ecx} + 1;
    if (level > best.level) {
      best = {level, ways * partitions * line * sets, ((eax >> 14) & 0xfff) + 1, source};
    }
  }
  return best;
}
#endif

// "0-15", "0,64", "0-7,64-71": the number of CPUs in a sysfs CPU list.
unsigned count_cpu_list(const char* list) noexcept {
  unsigned count = 0;
  const char* p = list;
  while (*p >= '0' && *p <= '9') {
    char* end = nullptr;
    const unsigned long first = std::strtoul(p, &end, 10);
    unsigned long last = first;
    if (*end == '-') last = std::strtoul(end + 1, &end, 10);
    if (last >= first) count += static_cast<unsigned>(last - first + 1);
    p = *end == ',' ? end + 1 : end;
  }
  return count;
}

bool read_line(const std::string& path, char* buffer, size_t size) noexcept {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  const bool ok = std::fgets(buffer, static_cast<int>(size), f) != nullptr;
  std::fclose(f);
  return ok;
}

last_level_cache from_sysfs(unsigned wanted = 0) noexcept {
  last_level_cache best;
  for (unsigned index = 0; index < 16; ++index) {
    const std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    char type[32] = {}, level[16] = {}, size[32] = {}, shared[256] = {};
    if (!read_line(dir + "type", type, sizeof type)) break;
    if (std::strncmp(type, "Instruction", 11) == 0) continue;
    if (!read_line(dir + "level", level, sizeof level) ||
        !read_line(dir + "size", size, sizeof size) ||
        !read_line(dir + "shared_cpu_list", shared, sizeof shared)) {
      continue;
    }
    char* unit = nullptr;
    size_t bytes = std::strtoull(size, &unit, 10);
    if (*unit == 'K') bytes <<= 10;
    if (*unit == 'M') bytes <<= 20;
    const unsigned lvl = static_cast<unsigned>(std::atoi(level));
    if (wanted != 0 && lvl != wanted) continue;
    const unsigned threads = count_cpu_list(shared);
    if (lvl > best.level && bytes > 0 && threads > 0) best = {lvl, bytes, threads, "sysfs"};
  }
  return best;
}

last_level_cache detect_last_level_cache(unsigned wanted = 0) noexcept {
#if defined(__x86_64__)
  last_level_cache cache = from_cpuid_leaf(4, "cpuid leaf 4", wanted);
  if (cache.size == 0) cache = from_cpuid_leaf(0x8000001d, "cpuid leaf 0x8000001d", wanted);
  if (cache.size != 0) return cache;
#endif
  return from_sysfs(wanted);
}

struct threshold_state {
  size_t detected;
  std::string source;
};

const threshold_state& detected_threshold() noexcept {
  static const threshold_state state = [] {
    const last_level_cache cache = detect_last_level_cache();
    threshold_state s;
    if (cache.size == 0 || cache.threads == 0) {
      s.detected = kDefaultShare / 4 * 3;
      s.source = "3/4 of a default 4 MiB last-level cache share per thread (no cache information)";
    } else {
      const size_t share = cache.size / cache.threads;
      s.detected = share / 4 * 3;
      s.source = "3/4 of L" + std::to_string(cache.level) + " " + std::to_string(cache.size >> 10) +
                 " KiB / " + std::to_string(cache.threads) + " threads (" + cache.source + ")";
    }
    if (s.detected == 0) s.detected = 1;  // a cache smaller than 4 bytes: stream everything
    __atomic_store_n(&kernels::non_temporal_threshold_bytes, s.detected, __ATOMIC_RELAXED);
    return s;
  }();
  return state;
}

}  // namespace

namespace kernels {
size_t non_temporal_threshold_bytes = kDefaultShare / 4 * 3;
}  // namespace kernels

size_t non_temporal_threshold() noexcept {
  detected_threshold();
  return __atomic_load_n(&kernels::non_temporal_threshold_bytes, __ATOMIC_RELAXED);
}

size_t cache_bytes(unsigned level) noexcept {
  return detect_last_level_cache(level == 0 ? 1 : level).size;
}

namespace detail {

std::string non_temporal_threshold_source() {
  return detected_threshold().source;
}

size_t set_non_temporal_threshold_for_testing(size_t bytes) noexcept {
  const size_t value = bytes != 0 ? bytes : detected_threshold().detected;
  return __atomic_exchange_n(&kernels::non_temporal_threshold_bytes, value, __ATOMIC_RELAXED);
}

}  // namespace detail
}  // namespace vm::simd
