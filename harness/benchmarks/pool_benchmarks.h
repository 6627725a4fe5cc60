// pool_benchmarks.h - Google Benchmark bodies comparing vm::mem::block_pool
// (its thread-cache path) with what users have today for the VM's
// fixed-size objects: malloc/free (aligned_alloc for page-sized objects) and
// the std::pmr pool resources. Each function is a benchmark body; call it
// from a lambda given to benchmark::RegisterBenchmark, or register the whole
// set with register_pool_benchmarks().
//
// Objects of 4096 bytes are 4096-aligned (page-table pages); smaller ones
// take each allocator's natural alignment (the pool's is a cache line).
// Every allocation's first word is written, as its constructor would, and
// its pointer escapes (benchmark::DoNotOptimize), so no allocation is
// elided. Items are alloc+free pairs: `seconds_per_pair` is the time of
// one.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>

namespace vm::harness {

enum class allocator_kind {
  kBlockPool,          // vm::mem::block_pool, thread-cache path
  kMalloc,             // malloc/free; aligned_alloc/free for 4096-byte objects
  kPmrUnsynchronized,  // std::pmr::unsynchronized_pool_resource
  kPmrSynchronized,    // std::pmr::synchronized_pool_resource
};

inline constexpr allocator_kind kAllocatorKinds[] = {
    allocator_kind::kBlockPool, allocator_kind::kMalloc, allocator_kind::kPmrUnsynchronized,
    allocator_kind::kPmrSynchronized};
// The sizes of the VM's fixed-size objects: a TLB node, a larger node, a
// page-table page.
inline constexpr size_t kPoolObjectSizes[] = {64, 256, 4096};
// Live objects in the batch pattern.
inline constexpr size_t kPoolBatchObjects = 1000;

// "block_pool", "malloc", "pmr_unsync", "pmr_sync".
const char* allocator_name(allocator_kind kind) noexcept;

// One allocation of `object_size` bytes and its free per iteration.
void pool_alloc_free(benchmark::State& state, size_t object_size, allocator_kind kind);

// Per iteration: kPoolBatchObjects allocations, then their frees in a
// random order (the same permutation every run: seed 1).
void pool_batch(benchmark::State& state, size_t object_size, allocator_kind kind);

// Registers pool/pairs/<size>/<allocator> and pool/batch/<size>/<allocator>
// for every size in kPoolObjectSizes and every allocator.
void register_pool_benchmarks();

}  // namespace vm::harness
