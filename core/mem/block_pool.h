// block_pool.h - a fixed-size block pool with per-thread caches, for the
// VM's fixed-size objects: TLB nodes (~64 B), page-table pages (4 KiB,
// 4 KiB aligned) and, one pool per size class, JIT blocks.
//
// Layout. Blocks are carved from chunks mapped with mmap (64 KiB to 2 MiB by
// default) and handed back to the OS only when the pool is destroyed. A block
// occupies `stride()` bytes: `block_size` rounded up to `alignment`, which is
// at least a cache line (64 B), so two blocks never share a line.
//
// Per-thread caches (Bonwick's magazines, tcmalloc's thread caches). Each
// thread keeps, per pool, an array of up to `cache_blocks()` free blocks.
// allocate() pops from it and deallocate() pushes onto it: no lock, no
// atomic. An empty cache refills with `cache_blocks() / 2` blocks and a full
// one spills as many, each transfer one short critical section on the pool's
// mutex that copies one array of block pointers (a magazine) to or from the
// pool's shared list of magazines. A block may be freed by any thread, not
// only the one that allocated it.
//
// Free blocks are never written by the pool (no links inside them): the
// shared list keeps their addresses in magazines reserved with each chunk,
// 8 bytes per block (12.5 % of a 64-byte block, 0.2 % of a 4 KiB page), so
// freeing can never fail for want of memory.
//
// Lifetime contract.
//  - A thread that exits gives the blocks in its caches back to their pools
//    (a thread_local destructor), so they can be reused by other threads.
//  - A pool may be destroyed while other threads still cache its blocks: the
//    destructor detaches those caches (under a process-wide mutex that thread
//    exit also takes), so an exiting thread never touches a dead pool.
//  - Destroying a pool releases all its memory, including blocks still
//    allocated (arena semantics: whole structures may be dropped at once).
//    Blocks must not be used afterwards.
//  - As for any object, no thread may call allocate()/deallocate() on a pool
//    while or after it is destroyed; the caller orders the last use before
//    the destructor (join, mutex, ...).
//  - Up to 255 pools (detail::kCacheSlots - 1) can have thread caches at
//    the same time; pools beyond that (and pools built with thread_caches =
//    false) still work, taking the mutex on every call. A thread's cache of
//    one pool is a 2 KiB object, created at its first use of the pool.
//
// AddressSanitizer. In ASan builds every free block (in a cache, in the
// shared list, or not yet carved) is poisoned, so a use after deallocate()
// or past `block_size` is reported; deallocate() of a block that is already
// free is reported as a use-after-poison. Chunks are registered as LSan root
// regions, so pointers held in pooled objects keep heap memory reachable.
//
// Exhaustion. allocate() returns nullptr when the OS refuses a chunk or the
// pool would exceed `max_bytes`. Free blocks held in other threads' caches
// are not reclaimed for it (at most `cache_blocks()` per thread).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include "common/result.h"

#if defined(__SANITIZE_ADDRESS__)
#define VM_MEM_POOL_POISONING 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VM_MEM_POOL_POISONING 1
#endif
#endif
#if defined(VM_MEM_POOL_POISONING)
#include <sanitizer/asan_interface.h>
#endif

namespace vm::mem {

class block_pool;

namespace detail {

// Thread-cache slots: a pool with a slot finds its cache in the calling
// thread's tls_caches[slot]. Slot 0 is never given to a pool (its entry is
// always null), so an uncached pool takes the slow path without a test.
inline constexpr uint32_t kCacheSlots = 256;
inline constexpr uint32_t kMaxCacheBlocks = 256;

// One thread's cache of one pool's free blocks. Owned by the thread (freed
// at its exit); `pool` is null once the pool that used it was destroyed.
struct alignas(64) thread_cache {
  block_pool* pool = nullptr;
  uint32_t count = 0;            // blocks[0, count) are free blocks of `pool`
  uint32_t capacity = 0;         // the pool's cache_blocks()
  thread_cache* prev = nullptr;  // the pool's list of attached caches
  thread_cache* next = nullptr;
  void* blocks[kMaxCacheBlocks];
};

extern thread_local constinit thread_cache* tls_caches[kCacheSlots];

void release_thread_caches() noexcept;

}  // namespace detail

struct block_pool_options {
  size_t block_size = 64;  // bytes each block offers (> 0)
  size_t alignment = 64;   // power of two; values below 64 are raised to 64
  size_t chunk_bytes =
      0;  // 0: 64 blocks, at least 64 KiB, at most 2 MiB; rounded up to the page size
  size_t max_bytes = 0;  // 0: unbounded; else at most this many bytes of chunks (>= chunk_bytes)
  bool thread_caches = true;
  uint32_t cache_blocks = 0;  // 0: 256 KiB worth of blocks, 8 to 256; else even, 2 to 256
};

class block_pool {
 public:
  static constexpr size_t kMinAlignment = 64;
#if defined(VM_MEM_POOL_POISONING)
  static constexpr bool kPoisonsFreedBlocks = true;
#else
  static constexpr bool kPoisonsFreedBlocks = false;
#endif

  // The error (kInvalidArgument, naming the field) that `options` would
  // cause, or no error.
  static error validate(const block_pool_options& options) noexcept;
  // A heap-allocated pool, or validate()'s error / kOutOfMemory.
  static result<std::unique_ptr<block_pool>> create(const block_pool_options& options) noexcept;

  // Precondition: validate(options) reports no error (asserted in debug
  // builds). Maps nothing until the first allocate().
  explicit block_pool(const block_pool_options& options = {}) noexcept;
  ~block_pool();
  block_pool(const block_pool&) = delete;
  block_pool& operator=(const block_pool&) = delete;

  // A block of block_size() bytes aligned to alignment(), or nullptr when
  // the pool is exhausted. Its contents are unspecified.
  [[nodiscard]] void* allocate() noexcept;
  // Returns `block` (from this pool's allocate(), not yet freed) to the
  // pool; nullptr is ignored. Any thread may free any block of the pool.
  void deallocate(void* block) noexcept;

  size_t block_size() const noexcept {
    return block_size_;
  }
  size_t alignment() const noexcept {
    return alignment_;
  }
  size_t stride() const noexcept {
    return stride_;
  }
  size_t chunk_bytes() const noexcept {
    return chunk_bytes_;
  }
  size_t max_bytes() const noexcept {
    return max_bytes_;
  }
  // 0 when this pool has no thread caches.
  uint32_t cache_blocks() const noexcept {
    return slot_ == 0 ? 0 : cache_blocks_;
  }
  // Blocks one chunk holds.
  size_t blocks_per_chunk() const noexcept {
    return chunk_bytes_ / stride_;
  }

  // True when `address` lies inside one of the pool's chunks / is the start
  // of one of its blocks. They take the pool's mutex (tests, debug checks).
  bool contains(const void* address) const noexcept;
  bool owns(const void* block) const noexcept;

  struct statistics {
    size_t chunks = 0;
    size_t reserved_bytes = 0;      // mapped for chunks
    size_t carved_blocks = 0;       // ever handed out of a chunk (allocated or free)
    size_t shared_free_blocks = 0;  // free in the shared list (not in thread caches)
  };
  statistics stats() const noexcept;

 private:
  friend void detail::release_thread_caches() noexcept;
  struct chunk;

  void* allocate_slow() noexcept;
  void deallocate_slow(void* block) noexcept;
  detail::thread_cache* cache_for_slow_path() noexcept;
  bool refill(detail::thread_cache& cache) noexcept;
  void spill(detail::thread_cache& cache, uint32_t blocks) noexcept;
  void release_cache(detail::thread_cache& cache) noexcept;
  void* take_one_locked() noexcept;
  void* carve_locked() noexcept;
  bool map_chunk_locked() noexcept;
  struct magazine;
  void push_locked(void* const* blocks, uint32_t count) noexcept;
  void recycle_locked(magazine* emptied) noexcept;

  void poison(void* block) const noexcept {
#if defined(VM_MEM_POOL_POISONING)
    ASAN_POISON_MEMORY_REGION(block, stride_);
#else
    (void)block;
#endif
  }
  void unpoison(void* block) const noexcept {
#if defined(VM_MEM_POOL_POISONING)
    ASAN_UNPOISON_MEMORY_REGION(block, block_size_);
#else
    (void)block;
#endif
  }

  uint32_t slot_ = 0;  // 0: no thread caches
  uint32_t cache_blocks_ = 0;
  uint32_t batch_ = 0;  // blocks one magazine holds: cache_blocks_ / 2
  size_t block_size_ = 0;
  size_t alignment_ = 0;
  size_t stride_ = 0;
  size_t chunk_bytes_ = 0;
  size_t max_bytes_ = 0;

  mutable std::mutex mutex_;  // guards everything below
  // The shared free blocks: full magazines, at most one partly filled
  // (never empty), and the empty ones. There are always enough empty ones
  // for every carved block to be free (map_chunk_locked reserves them).
  magazine* full_ = nullptr;
  magazine* partial_ = nullptr;
  magazine* empty_ = nullptr;
  size_t shared_free_blocks_ = 0;
  char* carve_next_ = nullptr;  // the current chunk's uncarved blocks
  char* carve_end_ = nullptr;
  chunk* chunks_ = nullptr;
  size_t chunk_count_ = 0;
  size_t carved_blocks_ = 0;
  detail::thread_cache* caches_ = nullptr;  // attached caches of all threads
};

// The common paths: one thread-local load and a pop/push on this thread's
// cache of the pool.
inline void* block_pool::allocate() noexcept {
  detail::thread_cache* cache = detail::tls_caches[slot_];
  if (cache != nullptr && cache->pool == this && cache->count != 0) [[likely]] {
    void* block = cache->blocks[--cache->count];
    unpoison(block);
    return block;
  }
  return allocate_slow();
}

inline void block_pool::deallocate(void* block) noexcept {
  if (block == nullptr) return;
  assert(owns(block) && "block_pool::deallocate: not a block of this pool");
#if defined(VM_MEM_POOL_POISONING)
  // A block that is already free is poisoned: reading it makes ASan report
  // the double free here.
  (void)*static_cast<volatile const char*>(block);
#endif
  detail::thread_cache* cache = detail::tls_caches[slot_];
  if (cache != nullptr && cache->pool == this && cache->count < cache->capacity) [[likely]] {
    poison(block);
    cache->blocks[cache->count++] = block;
    return;
  }
  deallocate_slow(block);
}

// Objects of one type in a block_pool of their size: make() constructs,
// destroy() destructs and frees.
template <class T>
class object_pool {
 public:
  explicit object_pool(block_pool_options options = {}) noexcept : pool_(typed(options)) {}

  // The new object, or nullptr when the pool is exhausted. If T's
  // constructor throws, the block is freed and the exception propagates.
  template <class... Args>
  [[nodiscard]] T* make(Args&&... args) noexcept(std::is_nothrow_constructible_v<T, Args...>) {
    void* block = pool_.allocate();
    if (block == nullptr) return nullptr;
    if constexpr (std::is_nothrow_constructible_v<T, Args...>) {
      return ::new (block) T(std::forward<Args>(args)...);
    } else {
      try {
        return ::new (block) T(std::forward<Args>(args)...);
      } catch (...) {
        pool_.deallocate(block);
        throw;
      }
    }
  }

  // Destroys an object from make(); nullptr is ignored.
  void destroy(T* object) noexcept {
    if (object == nullptr) return;
    object->~T();
    pool_.deallocate(object);
  }

  block_pool& pool() noexcept { return pool_; }

 private:
  static block_pool_options typed(block_pool_options options) noexcept {
    options.block_size = sizeof(T);
    if (options.alignment < alignof(T)) options.alignment = alignof(T);
    return options;
  }

  block_pool pool_;
};

// An STL allocator for node-based containers (std::map, std::set,
// std::list, std::unordered_map's nodes): single objects that fit the
// pool's blocks come from the pool; anything else (arrays, such as
// unordered_map's buckets, or objects larger than a block) from
// std::allocator. As the Allocator requirements demand, allocate() throws
// std::bad_alloc when the pool is exhausted (the pool itself never throws).
// The pool must outlive every container using it.
template <class T>
class pool_allocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;

  explicit pool_allocator(block_pool& pool) noexcept : pool_(&pool) {}
  template <class U>
  pool_allocator(const pool_allocator<U>& other) noexcept
      : pool_(other.pool()) {}  // NOLINT: rebinding

  T* allocate(size_t n) {
    if (n == 1 && pooled()) {
      if (void* block = pool_->allocate()) return static_cast<T*>(block);
      throw std::bad_alloc();
    }
    return std::allocator<T>().allocate(n);
  }

  void deallocate(T* pointer, size_t n) noexcept {
    if (n == 1 && pooled()) {
      pool_->deallocate(pointer);
    } else {
      std::allocator<T>().deallocate(pointer, n);
    }
  }

  block_pool* pool() const noexcept { return pool_; }

  template <class U>
  bool operator==(const pool_allocator<U>& other) const noexcept {
    return pool_ == other.pool();
  }

 private:
  bool pooled() const noexcept {
    return sizeof(T) <= pool_->block_size() && alignof(T) <= pool_->alignment();
  }

  block_pool* pool_;
};

}  // namespace vm::mem
