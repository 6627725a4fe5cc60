// lockfree_tlb.h - the shared TLB of sharded_tlb.h with lock-free readers:
// each entry is guarded by a sequence counter (a seqlock), so a lookup never
// writes shared memory and never waits for another reader.
//
// Entry: four 64-bit atomics, 32 bytes (two per cache line):
//   seq    - even: stable; odd: a writer is changing the entry;
//   tag    - vpage | level (bits 0-1) | permits (2-4) | global (5) | valid (6)
//            (vpage is at least 4 KiB aligned, so its low 12 bits are free);
//   addend - the host addend;
//   stamp  - asid (bits 0-15) | generation (bits 16-63).
//
// Writers (fills and the flushes that are not full) serialise per set with a
// one-byte CAS spinlock (spin_lock), and write an entry as
//   seq = s + 1 (relaxed); fields (release stores); seq = s + 2 (release).
// Readers, per way:
//   a relaxed look at the tag alone, to skip non-matching ways (a torn view
//   can only make a reader skip, i.e. miss, which a TLB may always do);
//   then s1 = seq (acquire), odd: retry; fields (acquire loads);
//   s2 = seq (relaxed); s1 != s2: retry ("tlb.lockfree.retries").
// This is Boehm's seqlock ("Can seqlocks get along with programming language
// memory models?", MSPC 2012) with acquire loads of the fields instead of the
// relaxed loads + acquire fence of his preferred version: GCC does not
// support std::atomic_thread_fence under ThreadSanitizer (-Wtsan, an error
// with -Werror), and with per-field acquire/release TSan models the protocol
// exactly. On x86-64 both compile to plain moves; the orderings only stop
// the compiler. Correctness: if a field load reads a writer's release
// store, the writer's odd store to seq happens before the second seq load,
// which therefore differs from s1; if s1 read a writer's final even store,
// every field store of that write happens before the field loads.
//
// Full flush in O(1): a global generation (an atomic on its own cache line,
// loaded once per lookup) is incremented; an entry is live only when its
// stamp holds the current generation (48 bits: no wrap in practice). A fill
// stamps the generation it reads under its set lock; a fill racing a full
// flush may be stamped with the old generation and so be dropped, which is
// allowed for operations that overlap.
//
// Replacement, page sizes, ASIDs and the handle API are those of
// sharded_tlb.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "tlb/concurrent/spin_lock.h"
#include "tlb/concurrent/translation_sets.h"
#include "tlb/tlb_design.h"

namespace vm::tlb {

struct lockfree_tlb_config {
  unsigned sets = 1024;  // a power of two
  unsigned ways = 8;     // 1..255
};

[[nodiscard]] error validate(const lockfree_tlb_config& config);

class lockfree_tlb_handle;

class lockfree_tlb {
 public:
  using config_type = lockfree_tlb_config;
  using handle_type = lockfree_tlb_handle;

  // `config` is valid (validate()); cpus >= 1.
  lockfree_tlb(const lockfree_tlb_config& config, unsigned cpus);
  ~lockfree_tlb();
  lockfree_tlb(const lockfree_tlb&) = delete;
  lockfree_tlb& operator=(const lockfree_tlb&) = delete;

  const lockfree_tlb_config& config() const noexcept { return config_; }
  unsigned cpus() const noexcept { return static_cast<unsigned>(handles_.size()); }
  handle_type& handle(unsigned cpu) noexcept { return *handles_[cpu]; }
  const handle_type& handle(unsigned cpu) const noexcept { return *handles_[cpu]; }
  tlb_event_source& events() noexcept { return events_; }

  // As basic_sharded_tlb::lookup, without locks: adds to `retries` each
  // time an entry changed (or was being changed) while it was read.
  bool lookup(uint64_t page, uint32_t asid, translation& out, uint64_t& retries) const noexcept {
    const uint64_t generation = generation_.load(std::memory_order_acquire) & kGenerationMask;
    const unsigned levels = levels_.load(std::memory_order_relaxed) | 1u;
    for (unsigned level = 0; level <= kMaxLevel; ++level) {
      if ((levels & (1u << level)) == 0) continue;
      const uint64_t want = (page & ~(page_bytes(level) - 1)) | level | kValid;
      const entry* set =
          &entries_[size_t{translation_set_of(page, level, set_bits_)} * config_.ways];
      for (unsigned w = 0; w < config_.ways; ++w) {
        if ((set[w].tag.load(std::memory_order_relaxed) & kMatchMask) != want) continue;
        view v;
        read(set[w], v, retries);
        if ((v.tag & kMatchMask) != want || (v.stamp >> kStampShift) != generation) continue;
        if ((v.tag & kGlobal) == 0 && (v.stamp & 0xffff) != asid) continue;
        out = decode(v);
        return true;
      }
    }
    return false;
  }

  fill_result insert(const translation& t, uint64_t& set_lock_waits) noexcept;
  // kAll: O(1), returns 0; the others return the entries removed.
  uint64_t flush(const flush_request& request, uint64_t& set_lock_waits) noexcept;

 private:
  static constexpr uint64_t kLevelMask = 0x3, kPermitShift = 2, kGlobal = 1u << 5, kValid = 1u << 6;
  static constexpr uint64_t kMatchMask = ~(kPageBytes - 1) | kLevelMask | kValid;
  static constexpr unsigned kStampShift = 16;
  static constexpr uint64_t kGenerationMask = (uint64_t{1} << (64 - kStampShift)) - 1;

  struct alignas(32) entry {
    std::atomic<uint64_t> seq{0};
    std::atomic<uint64_t> tag{0};
    std::atomic<uint64_t> addend{0};
    std::atomic<uint64_t> stamp{0};
  };
  struct view {
    uint64_t tag, addend, stamp;
  };

  static void read(const entry& e, view& v, uint64_t& retries) noexcept {
    for (unsigned spins = 0;; ++spins) {
      const uint64_t before = e.seq.load(std::memory_order_acquire);
      if ((before & 1) == 0) {
        v.tag = e.tag.load(std::memory_order_acquire);
        v.addend = e.addend.load(std::memory_order_acquire);
        v.stamp = e.stamp.load(std::memory_order_acquire);
        if (e.seq.load(std::memory_order_relaxed) == before) return;
      }
      ++retries;
      cpu_relax(spins);
    }
  }
  // Only with the entry's set lock held.
  static void write(entry& e, const view& v) noexcept {
    const uint64_t seq = e.seq.load(std::memory_order_relaxed);
    e.seq.store(seq + 1, std::memory_order_relaxed);
    e.tag.store(v.tag, std::memory_order_release);
    e.addend.store(v.addend, std::memory_order_release);
    e.stamp.store(v.stamp, std::memory_order_release);
    e.seq.store(seq + 2, std::memory_order_release);
  }
  static translation decode(const view& v) noexcept {
    translation t;
    t.level = static_cast<uint8_t>(v.tag & kLevelMask);
    t.vpage = v.tag & ~(kPageBytes - 1);
    t.permits = static_cast<uint8_t>((v.tag >> kPermitShift) & kPermitAll);
    t.global = (v.tag & kGlobal) != 0;
    t.host_addend = v.addend;
    t.asid = static_cast<uint16_t>(v.stamp & 0xffff);
    return t;
  }
  static view encode(const translation& t, uint64_t generation) noexcept {
    return {t.vpage | t.level | (uint64_t{t.permits} << kPermitShift) | (t.global ? kGlobal : 0) |
                kValid,
            t.host_addend, t.asid | (generation << kStampShift)};
  }
  // Removes the live entries of `set` that `request` covers (set lock held).
  uint64_t flush_set(unsigned set, const flush_request& request, uint64_t generation) noexcept;

  lockfree_tlb_config config_;
  unsigned set_bits_;
  alignas(64) std::atomic<uint64_t> generation_{1};
  std::atomic<unsigned> levels_{0};  // as in basic_sharded_tlb
  alignas(64) std::unique_ptr<entry[]> entries_;
  std::unique_ptr<spin_lock[]> set_locks_;  // writers only
  std::unique_ptr<uint8_t[]> next_victim_;  // under the set lock
  std::vector<std::unique_ptr<handle_type>> handles_;
  tlb_event_source events_;
};

class lockfree_tlb_handle {
 public:
  lockfree_tlb_handle(lockfree_tlb& shared, unsigned cpu) noexcept : shared_(&shared), cpu_(cpu) {}
  lockfree_tlb_handle(const lockfree_tlb_handle&) = delete;
  lockfree_tlb_handle& operator=(const lockfree_tlb_handle&) = delete;

  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    if (key != page) return nullptr;
    translation t;
    if (!shared_->lookup(page, asid_, t, retries_) || !t.permits_type(Type)) return nullptr;
    scratch_ = t.entry_for(page);
    return &scratch_;
  }
  const tlb_entry* refill(uint64_t vaddr, access_type type, const miss_context& ctx) noexcept;
  void insert(const translation& t, uint64_t vaddr, const miss_context& ctx) noexcept;
  void flush(const flush_request& request) noexcept;
  void change_context() noexcept { asid_ = kNoAsid; }
  void select_cpu(unsigned) noexcept {}
  // tlb.lockfree.{refill_hits, inserts, evictions, flushes, flushed,
  // retries, set_lock_waits}: this handle's share (retries and
  // set_lock_waits are 0 when single-threaded).
  void append_counters(counter_list& out) const;
  tlb_event_source& events() noexcept { return shared_->events(); }

  unsigned cpu() const noexcept { return cpu_; }

 private:
  lockfree_tlb* shared_;
  unsigned cpu_;
  uint32_t asid_ = kNoAsid;
  uint64_t now_ = 0;
  mutable tlb_entry scratch_;
  mutable uint64_t retries_ = 0;
  uint64_t set_lock_waits_ = 0;
  uint64_t refill_hits_ = 0, inserts_ = 0, evictions_ = 0, flushes_ = 0, flushed_ = 0;
};

static_assert(tlb_design<lockfree_tlb_handle>);

}  // namespace vm::tlb
