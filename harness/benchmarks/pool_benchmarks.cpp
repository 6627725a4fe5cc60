// pool_benchmarks.cpp - the allocator comparisons of pool_benchmarks.h.
#include "benchmarks/pool_benchmarks.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory_resource>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "mem/block_pool.h"

namespace vm::harness {
namespace {

constexpr size_t kPageObject = 4096;

size_t alignment_for(size_t object_size) noexcept {
  return object_size == kPageObject ? kPageObject : alignof(std::max_align_t);
}

// The allocators behind one interface the loops inline: allocate() returns
// nullptr on failure, release() frees.
struct pool_allocator_adapter {
  vm::mem::block_pool pool;
  explicit pool_allocator_adapter(size_t object_size)
      : pool(vm::mem::block_pool_options{.block_size = object_size,
                                         .alignment = alignment_for(object_size)}) {}
  void* allocate() noexcept { return pool.allocate(); }
  void release(void* p) noexcept { pool.deallocate(p); }
};

struct malloc_adapter {
  size_t size;
  explicit malloc_adapter(size_t object_size) : size(object_size) {}
  void* allocate() noexcept {
    return size == kPageObject ? std::aligned_alloc(kPageObject, size) : std::malloc(size);
  }
  void release(void* p) noexcept { std::free(p); }
};

template <class Resource>
struct pmr_adapter {
  Resource resource;
  size_t size, alignment;
  explicit pmr_adapter(size_t object_size)
      // Pools up to page-sized blocks, so every size here is pooled.
      : resource(std::pmr::pool_options{0, kPageObject}),
        size(object_size),
        alignment(alignment_for(object_size)) {}
  void* allocate() noexcept {
    try {
      return resource.allocate(size, alignment);
    } catch (...) {
      return nullptr;
    }
  }
  void release(void* p) noexcept { resource.deallocate(p, size, alignment); }
};

void set_counters(benchmark::State& state, size_t pairs) {
  state.SetItemsProcessed(static_cast<int64_t>(pairs));
  // In seconds; the console prints it with its unit (e.g. "1.6ns").
  state.counters["seconds_per_pair"] = benchmark::Counter(
      static_cast<double>(pairs), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <class Adapter>
void alloc_free_loop(benchmark::State& state, size_t object_size) {
  Adapter allocator(object_size);
  for (auto _ : state) {
    void* p = allocator.allocate();
    if (p == nullptr) {
      state.SkipWithError("allocation failed");
      return;
    }
    std::memset(p, 0, sizeof(uint64_t));  // the object's first field
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
    allocator.release(p);
  }
  set_counters(state, static_cast<size_t>(state.iterations()));
}

template <class Adapter>
void batch_loop(benchmark::State& state, size_t object_size) {
  Adapter allocator(object_size);
  std::vector<void*> live(kPoolBatchObjects);
  std::vector<uint32_t> order(kPoolBatchObjects);
  std::iota(order.begin(), order.end(), 0u);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
  for (auto _ : state) {
    for (void*& p : live) {
      p = allocator.allocate();
      if (p == nullptr) {
        state.SkipWithError("allocation failed");
        return;
      }
      std::memset(p, 0, sizeof(uint64_t));
      benchmark::DoNotOptimize(p);
    }
    benchmark::ClobberMemory();
    for (uint32_t i : order) allocator.release(live[i]);
  }
  set_counters(state, static_cast<size_t>(state.iterations()) * kPoolBatchObjects);
}

template <template <class> class Loop>
void dispatch(benchmark::State& state, size_t object_size, allocator_kind kind) {
  switch (kind) {
    case allocator_kind::kBlockPool: return Loop<pool_allocator_adapter>::run(state, object_size);
    case allocator_kind::kMalloc: return Loop<malloc_adapter>::run(state, object_size);
    case allocator_kind::kPmrUnsynchronized:
      return Loop<pmr_adapter<std::pmr::unsynchronized_pool_resource>>::run(state, object_size);
    case allocator_kind::kPmrSynchronized:
      return Loop<pmr_adapter<std::pmr::synchronized_pool_resource>>::run(state, object_size);
  }
  state.SkipWithError("unknown allocator");
}

template <class Adapter>
struct pairs_loop {
  static void run(benchmark::State& state, size_t object_size) {
    alloc_free_loop<Adapter>(state, object_size);
  }
};
template <class Adapter>
struct batches_loop {
  static void run(benchmark::State& state, size_t object_size) {
    batch_loop<Adapter>(state, object_size);
  }
};

}  // namespace

const char* allocator_name(allocator_kind kind) noexcept {
  switch (kind) {
    case allocator_kind::kBlockPool: return "block_pool";
    case allocator_kind::kMalloc: return "malloc";
    case allocator_kind::kPmrUnsynchronized: return "pmr_unsync";
    case allocator_kind::kPmrSynchronized: return "pmr_sync";
  }
  return "unknown";
}

void pool_alloc_free(benchmark::State& state, size_t object_size, allocator_kind kind) {
  dispatch<pairs_loop>(state, object_size, kind);
}

void pool_batch(benchmark::State& state, size_t object_size, allocator_kind kind) {
  dispatch<batches_loop>(state, object_size, kind);
}

void register_pool_benchmarks() {
  for (const char* pattern : {"pairs", "batch"}) {
    const bool pairs = std::strcmp(pattern, "pairs") == 0;
    for (size_t size : kPoolObjectSizes) {
      for (allocator_kind kind : kAllocatorKinds) {
        std::string name = "pool/";
        name += pattern;
        name += '/';
        name += std::to_string(size);
        name += '/';
        name += allocator_name(kind);
        benchmark::RegisterBenchmark(name.c_str(), [pairs, size, kind](benchmark::State& state) {
          if (pairs) {
            pool_alloc_free(state, size, kind);
          } else {
            pool_batch(state, size, kind);
          }
        });
      }
    }
  }
}

}  // namespace vm::harness
