#include "run/memory_engines.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "benchmarks/byte_loop.h"
#include "benchmarks/pool_benchmarks.h"
#include "simd/memory_kernel.h"

namespace vm::harness {
namespace {

using json = nlohmann::json;

// The caches as the CPU describes them (core/simd: cpuid, else sysfs; not
// sysconf, which VMs fill inconsistently), with fallbacks of 1 and 32 MiB.
size_t cache_size(unsigned level, size_t fallback) {
  const size_t v = simd::cache_bytes(level);
  return v > 0 ? v : fallback;
}
size_t l2_bytes() {
  return cache_size(2, size_t{1} << 20);
}
size_t l3_bytes() {
  return cache_size(3, size_t{32} << 20);
}

// Two process-wide arenas shared by every memcpy engine (a suite has dozens:
// one pair each would not fit in memory), reserved once at their largest
// size and filled as far as an engine needs (the source with a pattern, the
// destination with zeros), so no timed operation meets a first-touch page
// fault. Hot engines need a few hundred KiB; cold ones the whole arenas.
struct arenas {
  uint8_t* source = nullptr;
  uint8_t* destination = nullptr;
  size_t bytes = 0;   // reserved
  size_t filled = 0;  // [0, filled) is backed and initialised
};

result<arenas*> shared_arenas(size_t needed) {
  static arenas a;
  if (a.bytes == 0) {
    const size_t bytes = std::max(size_t{8} * l3_bytes(), size_t{64} << 20);
    for (uint8_t** p : {&a.source, &a.destination}) {
      void* m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (m == MAP_FAILED)
        return error{error_code::kOutOfMemory, "memcpy engine: cannot map two " +
                                                   std::to_string(bytes >> 20) + " MiB arenas"};
      *p = static_cast<uint8_t*>(m);
    }
    a.bytes = bytes;
  }
  needed = std::min(needed, a.bytes);
  for (size_t i = a.filled; i < needed; ++i)
    a.source[i] = static_cast<uint8_t>((i * 131) ^ (i >> 12));
  if (needed > a.filled) std::memset(a.destination + a.filled, 0, needed - a.filled);
  a.filled = std::max(a.filled, needed);
  return &a;
}

using copy_fn = void (*)(void*, const void*, size_t) noexcept;
using set_fn = void (*)(void*, int, size_t) noexcept;

// glibc through pointers the compiler cannot see through, so every call is
// a real call into the library, as the VM's would be.
void glibc_copy(void* d, const void* s, size_t n) noexcept {
  std::memcpy(d, s, n);
}
void glibc_move(void* d, const void* s, size_t n) noexcept {
  std::memmove(d, s, n);
}
void glibc_set(void* d, int v, size_t n) noexcept {
  std::memset(d, v, n);
}
copy_fn volatile glibc_copy_ptr = &glibc_copy;
copy_fn volatile glibc_move_ptr = &glibc_move;
set_fn volatile glibc_set_ptr = &glibc_set;

struct operation {
  size_t source = 0;       // offset in the source arena (move: in the destination arena)
  size_t destination = 0;  // offset in the destination arena
  size_t size = 0;
  int value = 0;  // set
};

class memcpy_engine final : public benchmark_engine {
 public:
  explicit memcpy_engine(suite_benchmark b) : b_(std::move(b)) {}

  result<json> prepare() override {
    auto sizes = size_class(b_.size);
    if (!sizes.ok()) return std::move(sizes).err();
    auto a = shared_arenas(0);
    if (!a.ok()) return std::move(a).err();
    arenas_ = a.value();
    if (error e = choose_functions()) return e;
    build_operations(sizes.value());
    // Hot: one window; cold: every stretch next_base() can reach.
    (void)shared_arenas(b_.buffers == "hot" ? span_ + slot_ : arenas_->bytes);
    // Every operation once, checked against its definition, guard bytes
    // around the destination included.
    std::vector<uint8_t> expected;
    for (size_t i = 0; i < operations_.size(); ++i) {
      const operation& op = operations_[i];
      uint8_t* d = arenas_->destination + op.destination;
      const uint8_t* s = source_of(op, 0);
      const uint8_t before = d[-1], after = d[op.size];
      if (b_.op == "move") expected.assign(s, s + op.size);
      run(op, 0);
      bool ok = d[-1] == before && d[op.size] == after;
      if (b_.op == "copy") ok = ok && std::memcmp(d, s, op.size) == 0;
      if (b_.op == "move") ok = ok && std::memcmp(d, expected.data(), op.size) == 0;
      if (b_.op == "set")
        ok = ok && std::all_of(d, d + op.size, [&](uint8_t c) { return c == (op.value & 0xff); });
      if (!ok)
        return error{error_code::kBadInput, b_.name + ": operation " + std::to_string(i) + " (" +
                                                std::to_string(op.size) +
                                                " bytes) gave a wrong result"};
    }
    return json{{"operations", operations_.size()}, {"bytes", bytes_}};
  }

  void time(benchmark::State& state) override {
    size_t base = 0;
    for (auto _ : state) {
      base = next_base(base);
      for (const operation& op : operations_) run(op, base);
      benchmark::ClobberMemory();
    }
    // The last operation once more, outside the timing: still right?
    const operation& op = operations_.back();
    const uint8_t* d = arenas_->destination + base + op.destination;
    if (b_.op == "copy" && std::memcmp(d, source_of(op, base), op.size) != 0)
      state.SkipWithError("the copy's result changed");
    if (b_.op == "set" &&
        !std::all_of(d, d + op.size, [&](uint8_t c) { return c == (op.value & 0xff); }))
      state.SkipWithError("the fill's result changed");
  }
  uint64_t bytes_per_iteration() const noexcept override { return bytes_; }

 private:
  error choose_functions() {
    if (b_.kernel == "glibc") {
      copy_ = glibc_copy_ptr;
      move_ = glibc_move_ptr;
      set_ = glibc_set_ptr;
      return error::ok();
    }
    if (b_.kernel == "byte") {
      copy_ = &byte_loop_copy;
      move_ = &byte_loop_move;
      set_ = &byte_loop_set;
      return error::ok();
    }
    const simd::memory_kernel* k =
        b_.kernel == "dispatched" ? &simd::active_kernel() : simd::find_kernel(b_.kernel);
    if (k == nullptr) return error{error_code::kBadInput, b_.name + ": no kernel " + b_.kernel};
    if (!simd::supported(*k))
      return error{error_code::kUnsupported,
                   b_.name + ": this CPU cannot run the " + b_.kernel + " kernel (it needs " +
                       simd::feature_names(k->required & ~simd::cpu_features()) + ")"};
    copy_ = k->copy;
    move_ = k->move;
    set_ = k->set;
    return error::ok();
  }

  const uint8_t* source_of(const operation& op, size_t base) const {
    return (b_.op == "move" ? arenas_->destination : arenas_->source) + base + op.source;
  }

  void run(const operation& op, size_t base) const noexcept {
    uint8_t* d = arenas_->destination + base + op.destination;
    if (b_.op == "copy") {
      copy_(d, arenas_->source + base + op.source, op.size);
    } else if (b_.op == "move") {
      move_(d, arenas_->destination + base + op.source, op.size);
    } else {
      set_(d, op.value, op.size);
    }
  }

  // Hot: every iteration at the same place. Cold: the next stretch of the
  // arenas, wrapping around.
  size_t next_base(size_t base) const noexcept {
    if (b_.buffers == "hot") return 0;
    base += span_;
    return base + span_ > limit_ ? 0 : base;
  }

  void build_operations(const size_class_bytes& sizes) {
    // Seeded by everything but the kernel: the kernels compared on one
    // condition run exactly the same operations at the same places. (Not
    // std::hash: its values may change between standard libraries.)
    uint64_t seed = 0x6d656d637079ULL;
    for (const std::string* part : {&b_.op, &b_.size, &b_.distribution, &b_.buffers, &b_.alignment})
      for (const char c : *part) seed = (seed ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    std::mt19937_64 rng(seed);
    const bool random = b_.distribution == "random";
    const size_t mean = random ? (sizes.low + sizes.high) / 2 : sizes.fixed;
    const size_t count = std::clamp<size_t>((size_t{1} << 20) / std::max<size_t>(mean, 1), 1, 4096);
    // Room for one operation: the largest size, a move's shift, alignment
    // slack and guard bytes on both sides.
    const size_t slot = (sizes.high + sizes.high / 2 + 256 + 63) & ~size_t{63};
    const bool hot = b_.buffers == "hot";
    const size_t window = std::max<size_t>(slot, size_t{16} << 10);
    std::vector<size_t> slots(count);
    for (size_t i = 0; i < count; ++i) slots[i] = i;
    std::shuffle(slots.begin(), slots.end(), rng);
    bytes_ = 0;
    for (size_t i = 0; i < count; ++i) {
      operation op;
      op.size =
          random ? std::uniform_int_distribution<size_t>(sizes.low, sizes.high)(rng) : sizes.fixed;
      // Where the operation's slot starts: anywhere in the hot window (cache
      // line aligned), or its own slot of the cold stretch.
      size_t start =
          hot ? (std::uniform_int_distribution<size_t>(0, window - slot)(rng) & ~size_t{63})
              : slots[i] * slot;
      start += 64;  // the guard byte before the destination
      size_t src_shift = 0, dst_shift = 0;
      if (b_.alignment == "unaligned") {
        src_shift = std::uniform_int_distribution<size_t>(1, 63)(rng);
        dst_shift = std::uniform_int_distribution<size_t>(1, 63)(rng);
      }
      op.destination = start + dst_shift;
      op.source = start + src_shift;
      if (b_.op == "move") {
        // Overlapping ranges, alternately forwards and backwards.
        const size_t shift = op.size / 2 + 1;
        if (i % 2 == 0) {
          op.destination += shift;
        } else {
          op.source += shift;
        }
      }
      op.value = static_cast<int>(i * 7 + 1);
      operations_.push_back(op);
      bytes_ += op.size;
    }
    span_ = hot ? window + 128 : count * slot + 128;
    slot_ = slot;
    limit_ = arenas_->bytes - slot;
  }

  suite_benchmark b_;
  arenas* arenas_ = nullptr;
  copy_fn copy_ = nullptr;
  copy_fn move_ = nullptr;
  set_fn set_ = nullptr;
  std::vector<operation> operations_;
  uint64_t bytes_ = 0;
  size_t span_ = 0;   // bytes of the arenas one iteration covers
  size_t slot_ = 0;   // bytes one operation may touch
  size_t limit_ = 0;  // iterations stay below this offset
};

class alloc_engine final : public benchmark_engine {
 public:
  explicit alloc_engine(suite_benchmark b) : b_(std::move(b)) {}

  result<json> prepare() override {
    if (b_.allocator == "pool") {
      kind_ = allocator_kind::kBlockPool;
    } else if (b_.allocator == "malloc") {
      kind_ = allocator_kind::kMalloc;
    } else if (b_.allocator == "pmr-unsync") {
      kind_ = allocator_kind::kPmrUnsynchronized;
    } else if (b_.allocator == "pmr-sync") {
      kind_ = allocator_kind::kPmrSynchronized;
    } else {
      return error{error_code::kBadInput, b_.name + ": unknown allocator " + b_.allocator};
    }
    objects_ = b_.pattern == "batch" ? kPoolBatchObjects : 1;
    return json{{"objects", objects_}, {"object_size", b_.object_size}};
  }
  void time(benchmark::State& state) override {
    if (b_.pattern == "batch") {
      pool_batch(state, b_.object_size, kind_);
    } else {
      pool_alloc_free(state, b_.object_size, kind_);
    }
  }
  // Allocate-and-free pairs per iteration.
  uint64_t items_per_iteration() const noexcept override { return objects_; }

 private:
  suite_benchmark b_;
  allocator_kind kind_ = allocator_kind::kBlockPool;
  uint64_t objects_ = 0;
};

}  // namespace

result<size_class_bytes> size_class(const std::string& name) {
  const size_t l2 = l2_bytes(), l3 = l3_bytes();
  if (name == "0-16") return size_class_bytes{0, 16, 8};
  if (name == "17-64") return size_class_bytes{17, 64, 40};
  if (name == "65-256") return size_class_bytes{65, 256, 160};
  if (name == "257-2k") return size_class_bytes{257, 2048, 1024};
  if (name == "2k-64k") return size_class_bytes{2049, 65536, 16384};
  if (name == "64k-l2")
    return size_class_bytes{65537, std::max(l2 / 2, size_t{65537}),
                            std::max(l2 / 4, size_t{65537})};
  if (name == "l2-l3") return size_class_bytes{l2 / 2 + 1, l3 / 2, l3 / 8};
  if (name == "above-l3") return size_class_bytes{l3 / 2 + 1, 2 * l3, 2 * l3};
  return error{error_code::kInvalidArgument, "unknown size class '" + name + "'"};
}

result<std::unique_ptr<benchmark_engine>> make_memory_engine(const suite_benchmark& b) {
  if (b.engine == engine_kind::kMemcpy)
    return std::unique_ptr<benchmark_engine>(new memcpy_engine(b));
  return std::unique_ptr<benchmark_engine>(new alloc_engine(b));
}

}  // namespace vm::harness
