// memory_engines.h - the suite engines for the host memory layer:
//
//   memcpy  one kernel (core/simd's dispatched choice, a named kernel,
//           glibc's memcpy/memmove/memset, or a byte loop) on one size class,
//           hot or cold buffers, aligned or unaligned, fixed or random sizes.
//           Each iteration runs the same list of operations (seeded); bytes
//           per iteration go to bytes_per_second. prepare() checks every
//           operation's result against its definition, and each repetition
//           re-checks its last operation, so a wrong kernel fails instead of
//           being timed.
//   alloc   allocate and free fixed-size objects with the block pool
//           (core/mem/block_pool.h), malloc/free, or std::pmr pools.
//
// Size classes: the sizes "random" draws from (uniformly) and, in brackets,
// the one size "fixed" uses. The last three follow this machine's caches
// (simd::cache_bytes: cpuid, else sysfs; a copy's working set is twice its
// size):
//   0-16 [8]   17-64 [40]   65-256 [160]   257-2k [1 KiB]   2k-64k [16 KiB]
//   64k-l2: 64 KiB+1 .. L2/2 [L2/4]   l2-l3: L2/2+1 .. L3/2 [L3/8]
//   above-l3: L3/2+1 .. 2 x L3 [2 x L3]
// Hot buffers: every operation works in the same small window (the
// operation's size, at least 16 KiB), which stays in cache. Cold buffers:
// operations walk through two arenas of max(4 x L3, 4 x the size) bytes,
// so every operation meets lines that left the cache long ago.
#pragma once

#include <memory>

#include "common/result.h"
#include "run/engines.h"
#include "suite/suite.h"

namespace vm::harness {

result<std::unique_ptr<benchmark_engine>> make_memory_engine(const suite_benchmark& benchmark);

// The byte range of a size class on this machine: {low, high, fixed}.
struct size_class_bytes {
  size_t low = 0, high = 0, fixed = 0;
};
result<size_class_bytes> size_class(const std::string& name);

}  // namespace vm::harness
