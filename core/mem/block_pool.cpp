// block_pool.cpp - the slow paths of block_pool.h: thread-cache creation,
// refill and spill, the shared free list, chunk mapping, thread exit and
// pool destruction.
#include "mem/block_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#if defined(VM_MEM_POOL_POISONING)
#include <sanitizer/lsan_interface.h>
#endif

namespace vm::mem {
namespace detail {

thread_local constinit thread_cache* tls_caches[kCacheSlots] = {};

}  // namespace detail

namespace {

// Which slots live pools hold, and the order between pool destruction and
// thread exit: both take this mutex before touching a cache that another
// thread may own. constinit: usable by pools built during static
// initialisation and by threads exiting after main returns.
constinit std::mutex g_registry_mutex;
constinit bool g_slot_used[detail::kCacheSlots] = {};

thread_local constinit bool tls_exited = false;

// Armed by the first cache a thread creates; its destructor, at thread
// exit, gives every cached block back.
struct cache_reaper {
  bool armed = false;
  ~cache_reaper() {
    if (armed) detail::release_thread_caches();
  }
};
thread_local cache_reaper tls_reaper;

size_t page_size() noexcept {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

constexpr size_t round_up(size_t value, size_t multiple) noexcept {
  return (value + multiple - 1) / multiple * multiple;
}

constexpr bool is_power_of_two(size_t value) noexcept {
  return value != 0 && (value & (value - 1)) == 0;
}

struct normalized_options {
  size_t alignment, stride, chunk_bytes;
  uint32_t cache_blocks;
};

normalized_options normalize(const block_pool_options& options) noexcept {
  normalized_options n{};
  n.alignment = std::max(options.alignment, block_pool::kMinAlignment);
  n.stride = round_up(std::max<size_t>(options.block_size, 1), n.alignment);
  n.chunk_bytes = options.chunk_bytes;
  if (n.chunk_bytes == 0) {
    // 64 blocks, so a chunk's mmap is amortised over many allocations;
    // 2 MiB at most (one huge page), 64 KiB at least (fewer, larger maps).
    n.chunk_bytes = std::clamp<size_t>(n.stride * 64, size_t{64} << 10, size_t{2} << 20);
    n.chunk_bytes = std::max(n.chunk_bytes, n.stride);
  }
  n.chunk_bytes = round_up(n.chunk_bytes, page_size());
  n.cache_blocks = options.cache_blocks;
  if (n.cache_blocks == 0) {
    // 256 KiB of blocks per thread and pool: 256 TLB nodes, 64 page-table
    // pages; a refill or spill moves half of it.
    const size_t blocks = (size_t{256} << 10) / n.stride;
    n.cache_blocks =
        static_cast<uint32_t>(std::clamp<size_t>(blocks, 8, detail::kMaxCacheBlocks)) & ~1u;
  }
  return n;
}

}  // namespace

// A chunk's record, followed in the same allocation by the magazines
// reserved for its blocks.
struct block_pool::chunk {
  char* base;
  size_t bytes;
  chunk* next;
};

// An array of up to batch_ free blocks, its slots following the header.
struct block_pool::magazine {
  magazine* next;
  uint32_t count;
  void** slots() noexcept { return reinterpret_cast<void**>(this + 1); }
};
error block_pool::validate(const block_pool_options& options) noexcept {
  auto invalid = [](const char* message) {
    return error{error_code::kInvalidArgument, std::string("block_pool: ") + message};
  };
  if (options.block_size == 0) return invalid("block_size is 0");
  if (options.block_size > (size_t{1} << 40)) return invalid("block_size is larger than 1 TiB");
  if (!is_power_of_two(std::max(options.alignment, kMinAlignment))) {
    return invalid("alignment is not a power of two");
  }
  const normalized_options n = normalize(options);
  if (n.alignment > n.chunk_bytes) return invalid("alignment is larger than chunk_bytes");
  if (n.chunk_bytes < n.stride) return invalid("chunk_bytes is smaller than one block");
  if (options.max_bytes != 0 && options.max_bytes < n.chunk_bytes) {
    return invalid("max_bytes is smaller than one chunk");
  }
  if (options.cache_blocks != 0 &&
      (options.cache_blocks < 2 || options.cache_blocks > detail::kMaxCacheBlocks ||
       options.cache_blocks % 2 != 0)) {
    return invalid("cache_blocks is not an even number from 2 to 256");
  }
  return error::ok();
}

result<std::unique_ptr<block_pool>> block_pool::create(const block_pool_options& options) noexcept {
  if (error err = validate(options)) return err;
  std::unique_ptr<block_pool> pool(new (std::nothrow) block_pool(options));
  if (!pool) return error{error_code::kOutOfMemory, "block_pool: no memory for the pool object"};
  return pool;
}

block_pool::block_pool(const block_pool_options& options) noexcept {
  assert(!validate(options) && "block_pool: invalid options (see block_pool::validate)");
  const normalized_options n = normalize(options);
  block_size_ = options.block_size;
  alignment_ = n.alignment;
  stride_ = n.stride;
  chunk_bytes_ = n.chunk_bytes;
  max_bytes_ = options.max_bytes;
  cache_blocks_ = n.cache_blocks;
  batch_ = cache_blocks_ / 2;
  if (options.thread_caches) {
    std::lock_guard registry(g_registry_mutex);
    for (uint32_t slot = 1; slot < detail::kCacheSlots; ++slot) {
      if (!g_slot_used[slot]) {
        g_slot_used[slot] = true;
        slot_ = slot;
        break;
      }
    }
  }
}

block_pool::~block_pool() {
  {
    // Detach every thread's cache of this pool: their blocks die with the
    // chunks; the threads free the cache objects when they exit or reuse
    // them for the next pool that takes this slot.
    std::lock_guard registry(g_registry_mutex);
    std::lock_guard lock(mutex_);
    for (detail::thread_cache* cache = caches_; cache != nullptr;) {
      detail::thread_cache* next = cache->next;
      cache->pool = nullptr;
      cache->count = 0;
      cache->prev = cache->next = nullptr;
      cache = next;
    }
    caches_ = nullptr;
    if (slot_ != 0) g_slot_used[slot_] = false;
  }
  for (chunk* c = chunks_; c != nullptr;) {
    chunk* next = c->next;
#if defined(VM_MEM_POOL_POISONING)
    // The shadow outlives the mapping: leave it clean for whoever maps
    // these addresses next.
    ASAN_UNPOISON_MEMORY_REGION(c->base, c->bytes);
    __lsan_unregister_root_region(c->base, c->bytes);
#endif
    munmap(c->base, c->bytes);
    c->~chunk();
    ::operator delete(c);
    c = next;
  }
}

bool block_pool::contains(const void* address) const noexcept {
  const auto* p = static_cast<const char*>(address);
  std::lock_guard lock(mutex_);
  for (const chunk* c = chunks_; c != nullptr; c = c->next) {
    if (p >= c->base && p < c->base + c->bytes) return true;
  }
  return false;
}

bool block_pool::owns(const void* block) const noexcept {
  const auto* p = static_cast<const char*>(block);
  std::lock_guard lock(mutex_);
  for (const chunk* c = chunks_; c != nullptr; c = c->next) {
    if (p >= c->base && p < c->base + blocks_per_chunk() * stride_) {
      return static_cast<size_t>(p - c->base) % stride_ == 0;
    }
  }
  return false;
}

block_pool::statistics block_pool::stats() const noexcept {
  std::lock_guard lock(mutex_);
  return {chunk_count_, chunk_count_ * chunk_bytes_, carved_blocks_, shared_free_blocks_};
}

// This thread's cache of this pool, created or re-attached as needed; null
// when the pool has no slot, the thread is exiting, or no memory is left
// for a cache.
detail::thread_cache* block_pool::cache_for_slow_path() noexcept {
  if (slot_ == 0 || tls_exited) return nullptr;
  detail::thread_cache*& cache = detail::tls_caches[slot_];
  if (cache == nullptr) {
    cache = new (std::nothrow) detail::thread_cache;
    if (cache == nullptr) return nullptr;
    tls_reaper.armed = true;
  }
  if (cache->pool != this) {
    // New, or left behind by a destroyed pool that held this slot (its
    // pool is null and its count 0: see ~block_pool).
    std::lock_guard lock(mutex_);
    cache->pool = this;
    cache->count = 0;
    cache->capacity = cache_blocks_;
    cache->prev = nullptr;
    cache->next = caches_;
    if (caches_ != nullptr) caches_->prev = cache;
    caches_ = cache;
  }
  return cache;
}

void* block_pool::allocate_slow() noexcept {
  detail::thread_cache* cache = cache_for_slow_path();
  if (cache == nullptr) {
    void* block;
    {
      std::lock_guard lock(mutex_);
      block = take_one_locked();
      if (block == nullptr) block = carve_locked();
    }
    if (block != nullptr) unpoison(block);
    return block;
  }
  if (cache->count == 0 && !refill(*cache)) return nullptr;
  void* block = cache->blocks[--cache->count];
  unpoison(block);
  return block;
}

void block_pool::deallocate_slow(void* block) noexcept {
  poison(block);
  detail::thread_cache* cache = cache_for_slow_path();
  if (cache == nullptr) {
    std::lock_guard lock(mutex_);
    push_locked(&block, 1);
    return;
  }
  if (cache->count == cache->capacity) spill(*cache, batch_);
  cache->blocks[cache->count++] = block;
}

// Fills an empty cache with up to half its capacity: a full magazine of
// recently freed blocks (likely still in the host's caches), else the
// partly filled one, else blocks carved from chunks.
bool block_pool::refill(detail::thread_cache& cache) noexcept {
  uint32_t count = 0;
  std::lock_guard lock(mutex_);
  if (magazine* m = full_ != nullptr ? full_ : partial_) {
    std::memcpy(cache.blocks, m->slots(), m->count * sizeof(void*));
    count = m->count;
    shared_free_blocks_ -= count;
    if (m == full_) {
      full_ = m->next;
    } else {
      partial_ = nullptr;
    }
    recycle_locked(m);
  } else {
    while (count < batch_) {
      void* fresh = carve_locked();
      if (fresh == nullptr) break;
      cache.blocks[count++] = fresh;
    }
  }
  cache.count = count;
  return count != 0;
}

// Moves the `blocks` oldest blocks of a cache to the shared list.
void block_pool::spill(detail::thread_cache& cache, uint32_t blocks) noexcept {
  {
    std::lock_guard lock(mutex_);
    push_locked(cache.blocks, blocks);
  }
  std::memmove(cache.blocks, cache.blocks + blocks, (cache.count - blocks) * sizeof(void*));
  cache.count -= blocks;
}

// Adds free blocks to the shared list: into the partly filled magazine,
// which joins the full ones when it fills.
void block_pool::push_locked(void* const* blocks, uint32_t count) noexcept {
  while (count != 0) {
    if (partial_ == nullptr) {
      // Never null: every chunk reserved magazines for all its blocks.
      assert(empty_ != nullptr && "block_pool: magazine reserve exhausted");
      partial_ = empty_;
      empty_ = partial_->next;
      partial_->count = 0;
    }
    const uint32_t moved = std::min(count, batch_ - partial_->count);
    std::memcpy(partial_->slots() + partial_->count, blocks, moved * sizeof(void*));
    partial_->count += moved;
    shared_free_blocks_ += moved;
    blocks += moved;
    count -= moved;
    if (partial_->count == batch_) {
      partial_->next = full_;
      full_ = partial_;
      partial_ = nullptr;
    }
  }
}

void block_pool::recycle_locked(magazine* emptied) noexcept {
  emptied->count = 0;
  emptied->next = empty_;
  empty_ = emptied;
}

// One block off the shared list (the uncached path), or null.
void* block_pool::take_one_locked() noexcept {
  if (partial_ == nullptr && full_ != nullptr) {
    partial_ = full_;
    full_ = full_->next;
  }
  if (partial_ == nullptr) return nullptr;
  void* block = partial_->slots()[--partial_->count];
  --shared_free_blocks_;
  if (partial_->count == 0) {
    recycle_locked(partial_);
    partial_ = nullptr;
  }
  return block;
}

void* block_pool::carve_locked() noexcept {
  if (carve_next_ == carve_end_ && !map_chunk_locked()) return nullptr;
  void* block = carve_next_;
  carve_next_ += stride_;
  ++carved_blocks_;
  return block;
}

// Maps a chunk and reserves, in its record's allocation, the magazines that
// can hold all its blocks when they are free.
bool block_pool::map_chunk_locked() noexcept {
  if (max_bytes_ != 0 && (chunk_count_ + 1) * chunk_bytes_ > max_bytes_) return false;
  const size_t magazines = (blocks_per_chunk() + batch_ - 1) / batch_;
  const size_t magazine_bytes = sizeof(magazine) + batch_ * sizeof(void*);
  void* storage = ::operator new(sizeof(chunk) + magazines * magazine_bytes, std::nothrow);
  if (storage == nullptr) return false;
  // mmap aligns to pages; a larger alignment maps the excess and trims it.
  const size_t excess = alignment_ > page_size() ? alignment_ : 0;
  void* mapped = mmap(nullptr, chunk_bytes_ + excess, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) {
    ::operator delete(storage);
    return false;
  }
  char* base = static_cast<char*>(mapped);
  if (excess != 0) {
    char* aligned =
        reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(base), alignment_));
    char* end = base + chunk_bytes_ + excess;
    if (aligned != base) munmap(base, static_cast<size_t>(aligned - base));
    if (aligned + chunk_bytes_ != end)
      munmap(aligned + chunk_bytes_, static_cast<size_t>(end - (aligned + chunk_bytes_)));
    base = aligned;
  }
#if defined(VM_MEM_POOL_POISONING)
  ASAN_POISON_MEMORY_REGION(base, chunk_bytes_);
  __lsan_register_root_region(base, chunk_bytes_);
#endif
  chunks_ = ::new (storage) chunk{base, chunk_bytes_, chunks_};
  char* reserve = static_cast<char*>(storage) + sizeof(chunk);
  for (size_t i = 0; i < magazines; ++i) {
    recycle_locked(::new (reserve + i * magazine_bytes) magazine{nullptr, 0});
  }
  ++chunk_count_;
  carve_next_ = base;
  carve_end_ = base + blocks_per_chunk() * stride_;
  return true;
}

// At thread exit: the cache's blocks go back to the shared list.
void block_pool::release_cache(detail::thread_cache& cache) noexcept {
  std::lock_guard lock(mutex_);
  push_locked(cache.blocks, cache.count);
  if (cache.prev != nullptr) cache.prev->next = cache.next;
  if (cache.next != nullptr) cache.next->prev = cache.prev;
  if (caches_ == &cache) caches_ = cache.next;
  cache.count = 0;
  cache.pool = nullptr;
}

void detail::release_thread_caches() noexcept {
  tls_exited = true;  // later calls in this thread take the uncached paths
  std::lock_guard registry(g_registry_mutex);
  for (thread_cache*& cache : tls_caches) {
    if (cache == nullptr) continue;
    if (cache->pool != nullptr) cache->pool->release_cache(*cache);
    delete cache;
    cache = nullptr;
  }
}

}  // namespace vm::mem
