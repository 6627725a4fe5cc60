// block_pool.tests.cpp - the fixed-size block pool (core/mem/block_pool.h):
// random allocate/free sequences against a model (live blocks distinct,
// aligned, inside the pool's chunks, contents kept), reuse, exhaustion,
// option validation, thread caches across threads (cross-thread frees,
// spill-back at thread exit, a pool destroyed while another thread still
// caches its blocks), more pools than thread-cache slots, object_pool and
// pool_allocator with std::map / std::list, and, in ASan builds, the
// poisoning of free blocks.

#include "mem/block_pool.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using vm::mem::block_pool;
using vm::mem::block_pool_options;
using vm::mem::object_pool;
using vm::mem::pool_allocator;

// Fills a block with a byte derived from its allocation's id; checks it.
unsigned char tag_of(uint64_t id) {
  return static_cast<unsigned char>(id * 0x9e3779b97f4a7c15ull >> 56);
}
void fill(void* block, size_t bytes, uint64_t id) {
  std::memset(block, tag_of(id), bytes);
}
bool intact(const void* block, size_t bytes, uint64_t id) {
  const auto* p = static_cast<const unsigned char*>(block);
  return std::all_of(p, p + bytes, [&](unsigned char c) { return c == tag_of(id); });
}

bool aligned(const void* p, size_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

// A one-slot channel of blocks from producer threads to consumer threads.
struct channel {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::pair<void*, uint64_t>> items;
  int producers_left = 0;

  void push(void* block, uint64_t id) {
    {
      std::lock_guard lock(mutex);
      items.emplace_back(block, id);
    }
    ready.notify_one();
  }
  void producer_done() {
    {
      std::lock_guard lock(mutex);
      --producers_left;
    }
    ready.notify_all();
  }
  // False when every producer is done and nothing is left.
  bool pop(std::pair<void*, uint64_t>& item) {
    std::unique_lock lock(mutex);
    ready.wait(lock, [&] { return !items.empty() || producers_left == 0; });
    if (items.empty()) return false;
    item = items.front();
    items.pop_front();
    return true;
  }
};

}  // namespace

TEST_CASE("block_pool keeps random live blocks distinct, aligned, inside its chunks and intact",
          "[mem][pool]") {
  struct config {
    size_t block_size, alignment;
    bool thread_caches;
    uint32_t cache_blocks;
  };
  const config c =
      GENERATE(config{64, 64, true, 0}, config{100, 64, true, 0}, config{256, 64, true, 0},
               config{4096, 4096, true, 0}, config{8192, 8192, true, 0}, config{64, 64, false, 0},
               config{64, 64, true, 2}, config{24, 8, true, 16});
  const uint64_t seed = GENERATE(1u, 2u);
  CAPTURE(c.block_size, c.alignment, c.thread_caches, c.cache_blocks, seed);

  block_pool_options options;
  options.block_size = c.block_size;
  options.alignment = c.alignment;
  options.thread_caches = c.thread_caches;
  options.cache_blocks = c.cache_blocks;
  REQUIRE_FALSE(block_pool::validate(options));
  block_pool pool(options);
  CHECK(pool.alignment() >= block_pool::kMinAlignment);
  CHECK(pool.stride() % pool.alignment() == 0);
  CHECK(pool.stride() >= c.block_size);

  std::mt19937_64 rng(seed);
  std::map<void*, uint64_t> live;  // block -> allocation id
  std::vector<void*> order;        // live blocks, for picking one at random
  uint64_t next_id = 0;
  const int ops = c.block_size >= 4096 ? 4000 : 20000;
  for (int op = 0; op < ops; ++op) {
    // Phases of growth and shrinkage, so caches refill and spill.
    const bool grow = (op / 1000) % 2 == 0;
    const bool allocate = order.empty() || rng() % 100 < (grow ? 70u : 30u);
    if (allocate) {
      void* block = pool.allocate();
      CAPTURE(op, block);
      REQUIRE(block != nullptr);
      REQUIRE(aligned(block, c.alignment));
      REQUIRE(aligned(block, block_pool::kMinAlignment));
      REQUIRE(pool.owns(block));
      // Distinct starts on the stride grid of the chunks: no two live
      // blocks overlap.
      REQUIRE(live.count(block) == 0);
      auto after = live.upper_bound(block);
      if (after != live.end())
        REQUIRE(static_cast<char*>(after->first) - static_cast<char*>(block) >=
                static_cast<ptrdiff_t>(pool.stride()));
      fill(block, c.block_size, next_id);
      live.emplace(block, next_id++);
      order.push_back(block);
    } else {
      const size_t index = rng() % order.size();
      void* block = order[index];
      CAPTURE(op, block);
      REQUIRE(intact(block, c.block_size, live.at(block)));
      order[index] = order.back();
      order.pop_back();
      live.erase(block);
      pool.deallocate(block);
    }
    if (op % 1000 == 999) {
      for (const auto& [block, id] : live) {
        CAPTURE(op, block, id);
        REQUIRE(intact(block, c.block_size, id));
      }
    }
  }
  const auto stats = pool.stats();
  CHECK(stats.carved_blocks >= live.size());
  CHECK(stats.reserved_bytes == stats.chunks * pool.chunk_bytes());
  for (void* block : order) pool.deallocate(block);
}

TEST_CASE("block_pool reuses freed blocks before mapping more memory", "[mem][pool]") {
  const bool thread_caches = GENERATE(true, false);
  CAPTURE(thread_caches);
  block_pool_options options;
  options.block_size = 256;
  options.thread_caches = thread_caches;
  block_pool pool(options);

  std::vector<void*> first(3000);
  for (void*& block : first) block = pool.allocate();
  REQUIRE(std::find(first.begin(), first.end(), nullptr) == first.end());
  const auto before = pool.stats();
  for (void* block : first) pool.deallocate(block);

  std::vector<void*> second(3000);
  for (void*& block : second) block = pool.allocate();
  const auto after = pool.stats();
  CHECK(after.reserved_bytes == before.reserved_bytes);
  CHECK(after.carved_blocks == before.carved_blocks);
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  CHECK(first == second);
  // The most recently freed block comes back first.
  pool.deallocate(second[17]);
  CHECK(pool.allocate() == second[17]);
  for (void* block : second) pool.deallocate(block);
}

TEST_CASE("a bounded block_pool returns nullptr when exhausted and recovers after a free",
          "[mem][pool]") {
  const bool thread_caches = GENERATE(true, false);
  CAPTURE(thread_caches);
  block_pool_options options;
  options.block_size = 4096;
  options.alignment = 4096;
  options.chunk_bytes = 64 << 10;
  options.max_bytes = 128 << 10;  // two chunks
  options.thread_caches = thread_caches;
  block_pool pool(options);
  REQUIRE(pool.blocks_per_chunk() == 16);

  std::vector<void*> blocks;
  for (int i = 0; i < 32; ++i) {
    CAPTURE(i);
    blocks.push_back(pool.allocate());
    REQUIRE(blocks.back() != nullptr);
  }
  CHECK(pool.allocate() == nullptr);
  CHECK(pool.allocate() == nullptr);
  CHECK(pool.stats().reserved_bytes == size_t{128} << 10);
  pool.deallocate(blocks[5]);
  void* again = pool.allocate();
  CHECK(again == blocks[5]);
  CHECK(pool.allocate() == nullptr);
  for (void* block : blocks) pool.deallocate(block);
}

TEST_CASE("block_pool rejects invalid options, naming the field", "[mem][pool]") {
  auto message_for = [](block_pool_options options) {
    vm::error err = block_pool::validate(options);
    CHECK(err.code == (err ? vm::error_code::kInvalidArgument : vm::error_code::kOk));
    return err.message;
  };
  block_pool_options options;
  CHECK(message_for(options).empty());
  options.alignment = 8;  // raised to a cache line
  CHECK(message_for(options).empty());

  options = {};
  options.block_size = 0;
  CHECK_THAT(message_for(options), Catch::Contains("block_size"));
  options = {};
  options.alignment = 96;
  CHECK_THAT(message_for(options), Catch::Contains("alignment"));
  options = {};
  options.block_size = 4096;
  options.alignment = 1 << 20;
  options.chunk_bytes = 64 << 10;
  CHECK_THAT(message_for(options), Catch::Contains("alignment"));
  options = {};
  options.block_size = 128 << 10;
  options.chunk_bytes = 64 << 10;
  CHECK_THAT(message_for(options), Catch::Contains("chunk_bytes"));
  options = {};
  options.chunk_bytes = 64 << 10;
  options.max_bytes = 4096;
  CHECK_THAT(message_for(options), Catch::Contains("max_bytes"));
  options = {};
  options.cache_blocks = 3;
  CHECK_THAT(message_for(options), Catch::Contains("cache_blocks"));
  options.cache_blocks = 512;
  CHECK_THAT(message_for(options), Catch::Contains("cache_blocks"));

  options = {};
  options.block_size = 0;
  auto bad = block_pool::create(options);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.err().code == vm::error_code::kInvalidArgument);
  auto good = block_pool::create({});
  REQUIRE(good.ok());
  void* block = good.value()->allocate();
  CHECK(block != nullptr);
  good.value()->deallocate(block);
  good.value()->deallocate(nullptr);  // ignored
}

TEST_CASE("blocks allocated in one thread and freed in another stay distinct and are reused",
          "[mem][pool][threads]") {
  const int producers = GENERATE(1, 2);
  const int consumers = 4 - producers;
  CAPTURE(producers, consumers);
  block_pool_options options;
  options.block_size = 64;
  options.cache_blocks = 16;  // small caches: many refills and spills
  block_pool pool(options);

  constexpr int kPerProducer = 20000;
  channel ch;
  ch.producers_left = producers;
  std::mutex live_mutex;
  std::set<void*> live;
  bool duplicate = false, corrupted = false;

  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        void* block = pool.allocate();
        if (block == nullptr) {
          std::lock_guard lock(live_mutex);
          corrupted = true;
          break;
        }
        const uint64_t id = static_cast<uint64_t>(p) << 32 | static_cast<uint64_t>(i);
        {
          std::lock_guard lock(live_mutex);
          if (!live.insert(block).second) duplicate = true;
        }
        fill(block, 64, id);
        ch.push(block, id);
      }
      ch.producer_done();
    });
  }
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&] {
      std::pair<void*, uint64_t> item;
      while (ch.pop(item)) {
        bool ok = intact(item.first, 64, item.second);
        {
          std::lock_guard lock(live_mutex);
          live.erase(item.first);
          if (!ok) corrupted = true;
        }
        pool.deallocate(item.first);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK_FALSE(duplicate);
  CHECK_FALSE(corrupted);
  CHECK(live.empty());

  // Every thread has exited and given its cache back: the blocks it freed
  // are all in the shared list, and allocating them all maps nothing new.
  const auto stats = pool.stats();
  CHECK(stats.shared_free_blocks == stats.carved_blocks);
  std::vector<void*> again(stats.carved_blocks);
  for (void*& block : again) block = pool.allocate();
  CHECK(pool.stats().reserved_bytes == stats.reserved_bytes);
  CHECK(std::set<void*>(again.begin(), again.end()).size() == again.size());
  for (void* block : again) pool.deallocate(block);
}

TEST_CASE("a thread's cached blocks return to the pool when it exits", "[mem][pool][threads]") {
  block_pool_options options;
  options.block_size = 64;
  options.chunk_bytes = 64 << 10;
  options.max_bytes = 64 << 10;  // one chunk: 1024 blocks
  block_pool pool(options);
  const size_t capacity = pool.blocks_per_chunk();
  REQUIRE(capacity == 1024);

  std::thread worker([&] {
    std::vector<void*> blocks;
    for (size_t i = 0; i < capacity; ++i) blocks.push_back(pool.allocate());
    for (void* block : blocks) pool.deallocate(block);
    // The last blocks freed sit in this thread's cache until it exits.
  });
  worker.join();
  CHECK(pool.stats().shared_free_blocks == capacity);

  std::vector<void*> blocks;
  for (size_t i = 0; i < capacity; ++i) {
    blocks.push_back(pool.allocate());
    CAPTURE(i);
    REQUIRE(blocks.back() != nullptr);
  }
  CHECK(pool.allocate() == nullptr);
  for (void* block : blocks) pool.deallocate(block);
}

TEST_CASE("a pool destroyed while another thread caches its blocks leaves that thread safe",
          "[mem][pool][threads]") {
  std::mutex mutex;
  std::condition_variable changed;
  int step = 0;
  auto wait_for = [&](int s) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return step >= s; });
  };
  auto advance = [&](int s) {
    {
      std::lock_guard lock(mutex);
      step = s;
    }
    changed.notify_all();
  };

  auto first = std::make_unique<block_pool>();
  std::unique_ptr<block_pool> second;
  bool second_ok = false;
  std::thread worker([&] {
    std::vector<void*> blocks;
    for (int i = 0; i < 100; ++i) blocks.push_back(first->allocate());
    for (void* block : blocks) first->deallocate(block);  // now in this thread's cache
    advance(1);
    wait_for(2);  // the main thread destroyed `first` and built `second`
    bool ok = true;
    blocks.clear();
    for (int i = 0; i < 300; ++i) {
      void* block = second->allocate();
      ok = ok && block != nullptr && second->owns(block);
      blocks.push_back(block);
    }
    for (void* block : blocks) second->deallocate(block);
    second_ok = ok;
    // Exits with blocks of `second` in its cache: they go back to it.
  });
  wait_for(1);
  first.reset();
  second = std::make_unique<block_pool>();  // most likely the same cache slot
  advance(2);
  worker.join();
  CHECK(second_ok);
  const auto stats = second->stats();
  CHECK(stats.shared_free_blocks == stats.carved_blocks);
  void* block = second->allocate();
  CHECK(second->owns(block));
  second->deallocate(block);
}

TEST_CASE("more pools than thread-cache slots all work", "[mem][pool]") {
  std::vector<std::unique_ptr<block_pool>> pools;
  for (uint32_t i = 0; i < vm::mem::detail::kCacheSlots + 20; ++i)
    pools.push_back(std::make_unique<block_pool>());
  size_t uncached = 0;
  std::vector<void*> blocks;
  for (auto& pool : pools) {
    uncached += pool->cache_blocks() == 0;
    for (int i = 0; i < 3; ++i) blocks.push_back(pool->allocate());
  }
  CHECK(uncached >= 20);
  for (size_t i = 0; i < pools.size(); ++i) {
    CAPTURE(i);
    for (int j = 0; j < 3; ++j) {
      REQUIRE(blocks[i * 3 + j] != nullptr);
      CHECK(pools[i]->owns(blocks[i * 3 + j]));
    }
  }
  CHECK(std::set<void*>(blocks.begin(), blocks.end()).size() == blocks.size());
  for (size_t i = 0; i < pools.size(); ++i) {
    for (int j = 0; j < 3; ++j) pools[i]->deallocate(blocks[i * 3 + j]);
  }
}

namespace {

struct counted {
  static inline int alive = 0;
  uint64_t values[5];
  explicit counted(uint64_t v) : values{v, v + 1, v + 2, v + 3, v + 4} { ++alive; }
  ~counted() { --alive; }
};

struct throws_on_construction {
  explicit throws_on_construction(bool fail) {
    if (fail) throw std::runtime_error("constructor failed");
  }
};

}  // namespace

TEST_CASE("object_pool constructs objects in pool blocks and destroys them", "[mem][pool]") {
  object_pool<counted> objects;
  CHECK(objects.pool().block_size() == sizeof(counted));
  std::vector<counted*> made;
  for (uint64_t i = 0; i < 500; ++i) made.push_back(objects.make(i * 10));
  CHECK(counted::alive == 500);
  for (uint64_t i = 0; i < 500; ++i) {
    CAPTURE(i);
    REQUIRE(objects.pool().owns(made[i]));
    CHECK(made[i]->values[4] == i * 10 + 4);
  }
  for (counted* object : made) objects.destroy(object);
  objects.destroy(nullptr);
  CHECK(counted::alive == 0);

  object_pool<throws_on_construction> throwing;
  void* next = throwing.pool().allocate();  // the block make() will get
  throwing.pool().deallocate(next);
  CHECK_THROWS_AS(throwing.make(true), std::runtime_error);
  // The block of the failed construction went back to the pool.
  auto* ok = throwing.make(false);
  CHECK(static_cast<void*>(ok) == next);
  throwing.destroy(ok);
}

TEST_CASE("pool_allocator keeps std::map and std::list nodes in the pool", "[mem][pool]") {
  block_pool nodes({.block_size = 64});
  using map_allocator = pool_allocator<std::pair<const uint64_t, uint64_t>>;
  std::map<uint64_t, uint64_t, std::less<>, map_allocator> pooled{map_allocator(nodes)};
  std::map<uint64_t, uint64_t> reference;

  std::mt19937_64 rng(42);
  for (int op = 0; op < 20000; ++op) {
    const uint64_t key = rng() % 2000;
    const uint64_t value = rng();
    CAPTURE(op, key);
    if (rng() % 3 == 0) {
      REQUIRE(pooled.erase(key) == reference.erase(key));
    } else {
      pooled[key] = value;
      reference[key] = value;
    }
  }
  REQUIRE(pooled.size() == reference.size());
  CHECK(std::equal(pooled.begin(), pooled.end(), reference.begin(), reference.end()));
  size_t outside = 0;
  for (const auto& entry : pooled) outside += !nodes.contains(&entry);
  CHECK(outside == 0);

  // Copies and moves keep using the same pool.
  auto copy = pooled;
  CHECK(copy.get_allocator() == pooled.get_allocator());
  CHECK(nodes.contains(&*copy.begin()));
  auto moved = std::move(copy);
  CHECK(moved.size() == reference.size());

  std::list<int, pool_allocator<int>> list{pool_allocator<int>(nodes)};
  for (int i = 0; i < 1000; ++i) list.push_back(i);
  CHECK(nodes.contains(&list.front()));
  CHECK(list.back() == 999);

  // Arrays do not fit a block: they come from std::allocator.
  std::vector<uint64_t, pool_allocator<uint64_t>> array{pool_allocator<uint64_t>(nodes)};
  array.assign(100, 7);
  CHECK_FALSE(nodes.contains(array.data()));
  CHECK(array[99] == 7);
}

#if defined(VM_MEM_POOL_POISONING)
// Only in AddressSanitizer builds; elsewhere poisoning is compiled out.
TEST_CASE("under AddressSanitizer free pool blocks are poisoned", "[mem][pool][asan]") {
  STATIC_REQUIRE(block_pool::kPoisonsFreedBlocks);
  const bool thread_caches = GENERATE(true, false);
  CAPTURE(thread_caches);
  block_pool_options options;
  options.block_size = 100;  // stride 128: the tail is never addressable
  options.thread_caches = thread_caches;
  block_pool pool(options);

  void* block = pool.allocate();
  REQUIRE(block != nullptr);
  auto* bytes = static_cast<char*>(block);
  CHECK(__asan_region_is_poisoned(bytes, 100) == nullptr);
  CHECK(__asan_address_is_poisoned(bytes + 100));
  CHECK(__asan_address_is_poisoned(bytes + 127));
  // Not yet carved blocks of the chunk are poisoned too.
  CHECK(__asan_address_is_poisoned(bytes + 128 * 300));

  std::memset(block, 0xab, 100);
  pool.deallocate(block);
  CHECK(__asan_region_is_poisoned(block, 100) == block);
  CHECK(__asan_address_is_poisoned(bytes + 99));

  // Pushed through a spill or the shared list, it stays poisoned.
  std::vector<void*> many;
  for (int i = 0; i < 2000; ++i) many.push_back(pool.allocate());
  for (void* b : many) pool.deallocate(b);
  size_t unpoisoned = 0;
  for (void* b : many) unpoisoned += !__asan_address_is_poisoned(b);
  CHECK(unpoisoned == 0);

  void* again = pool.allocate();
  CHECK(__asan_region_is_poisoned(again, 100) == nullptr);
  pool.deallocate(again);
}
#endif
