// sharded_tlb.h - one TLB shared by every vCPU: a set-associative table of
// translations split by set into shards, each behind its own lock.
//
// Shared part and handles. basic_sharded_tlb<Lock> owns the table and one
// handle per vCPU; a handle (basic_sharded_tlb_handle) is what the mmu
// calls (it satisfies tlb_design) and belongs to one thread. Handles hold no
// translations: every lookup goes to the shared table, so a fill by one vCPU
// serves the others at once, and a flush by one vCPU is immediately visible
// to all (no shootdown; the price is a lock on every lookup).
//
// Hit path (handle::find): lock the shard of the 4 KiB page's set, search,
// copy the translation out, unlock; then build the tlb_entry for the page in
// the handle's scratch entry (translation::entry_for), so the pointer the
// mmu gets stays valid after the unlock, until the handle's next call. A 2
// MiB or 1 GiB translation is indexed by its own page number at its size, so
// a lookup probes each size that may be present (a sticky bit per size, set
// by fills and cleared by full flushes), taking that set's shard lock in
// turn. The hit path allocates nothing and makes no virtual call; unlike an
// L1 front it writes (the scratch entry, and the lock).
//
// Shards are interleaved by set (set s is in shard s mod N): neighbouring
// pages land in different shards, so threads sweeping nearby pages do not
// queue on one lock. Each shard is cache-line aligned: two shards' locks
// never share a line.
//
// Lock: spin_lock by default (sharded_tlb); sharded_tlb_mutex is the same
// design over std::mutex, kept for the comparison that
// harness/tools/tlb_scaling measures (see spin_lock.h for why spinning).
//
// Replacement: round-robin per set after invalid ways (translation_sets.h:
// a lookup writes nothing into the table). Full flush: each shard moves to
// its next generation under its lock, O(shards) whatever the size; the other
// scopes walk the entries they may cover (by address: one set per page
// size; by ASID: every set) under each shard's lock.
//
// Permissions in a translation are those of the context it was walked in;
// a shared table assumes every vCPU runs in the same translation context
// (the mmu flushes on satp/privilege changes, which then drops every vCPU's
// entries).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/result.h"
#include "tlb/concurrent/spin_lock.h"
#include "tlb/concurrent/translation_sets.h"
#include "tlb/tlb_design.h"

namespace vm::tlb {

struct sharded_tlb_config {
  unsigned sets = 1024;  // a power of two
  unsigned ways = 8;     // 1..255
  unsigned shards = 16;  // a power of two, at most `sets`
};

// An error naming the first bad field, or no error.
[[nodiscard]] error validate(const sharded_tlb_config& config);

template <class Lock>
class basic_sharded_tlb_handle;

template <class Lock>
class basic_sharded_tlb {
 public:
  using config_type = sharded_tlb_config;
  using handle_type = basic_sharded_tlb_handle<Lock>;

  // `config` is valid (validate()); cpus >= 1.
  basic_sharded_tlb(const sharded_tlb_config& config, unsigned cpus);
  ~basic_sharded_tlb();
  basic_sharded_tlb(const basic_sharded_tlb&) = delete;
  basic_sharded_tlb& operator=(const basic_sharded_tlb&) = delete;

  const sharded_tlb_config& config() const noexcept { return config_; }
  unsigned cpus() const noexcept { return static_cast<unsigned>(handles_.size()); }
  // The handle of vCPU `cpu` (< cpus()), for one thread at a time.
  handle_type& handle(unsigned cpu) noexcept { return *handles_[cpu]; }
  const handle_type& handle(unsigned cpu) const noexcept { return *handles_[cpu]; }
  // Every handle publishes here; a sink must accept calls from any vCPU's
  // thread, and be subscribed before the threads start.
  tlb_event_source& events() noexcept { return events_; }

  // Copies the translation holding the 4 KiB page `page` visible to `asid`
  // (kNoAsid: global ones only) into `out`. Thread-safe. Adds contended
  // lock acquisitions to `lock_waits`.
  bool lookup(uint64_t page, uint32_t asid, translation& out, uint64_t& lock_waits) const noexcept {
    const unsigned levels = levels_.load(std::memory_order_relaxed) | 1u;
    for (unsigned level = 0; level <= kMaxLevel; ++level) {
      if ((levels & (1u << level)) == 0) continue;
      const unsigned set = translation_set_of(page, level, set_bits_);
      shard& s = shards_[set & shard_mask_];
      const translation_slot* slots = &s.slots[size_t{set >> shard_bits_} * config_.ways];
      const uint64_t vpage = page & ~(page_bytes(level) - 1);
      lock_counting(s.lock, lock_waits);
      const translation* t = set_find(slots, config_.ways, s.generation, vpage, level, asid);
      if (t != nullptr) out = *t;
      s.lock.unlock();
      if (t != nullptr) return true;
    }
    return false;
  }

  // Thread-safe fill; *evicted gets the translation it replaced (kEvicted).
  fill_result insert(const translation& t, translation* evicted, uint64_t& lock_waits) noexcept;
  // Thread-safe sfence.vma; returns the entries removed (kAll: those live).
  uint64_t flush(const flush_request& request, uint64_t& lock_waits) noexcept;

 private:
  struct alignas(64) shard {
    mutable Lock lock;
    uint32_t generation = 1;  // never 0 (translation_slot)
    uint64_t live = 0;        // live slots, so that a full flush is O(1) per shard
    std::unique_ptr<translation_slot[]> slots;
    std::unique_ptr<uint8_t[]> next_victim;
  };

  sharded_tlb_config config_;
  unsigned set_bits_, shard_bits_, shard_mask_;
  // Bit L: a translation of size L may be present (set by fills, cleared
  // by full flushes). A stale clear bit only costs a miss.
  std::atomic<unsigned> levels_{0};
  std::unique_ptr<shard[]> shards_;
  std::vector<std::unique_ptr<handle_type>> handles_;
  tlb_event_source events_;
};

// The per-vCPU handle: a tlb_design. One thread at a time.
template <class Lock>
class basic_sharded_tlb_handle {
 public:
  basic_sharded_tlb_handle(basic_sharded_tlb<Lock>& shared, unsigned cpu) noexcept
      : shared_(&shared), cpu_(cpu) {}
  basic_sharded_tlb_handle(const basic_sharded_tlb_handle&) = delete;
  basic_sharded_tlb_handle& operator=(const basic_sharded_tlb_handle&) = delete;

  // A misaligned key (mmu::aligned_key) misses, as in tlb_front; the mmu's
  // slow path asks again with the page itself.
  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    if (key != page) return nullptr;
    translation t;
    if (!shared_->lookup(page, asid_, t, lock_waits_) || !t.permits_type(Type)) return nullptr;
    scratch_ = t.entry_for(page);
    return &scratch_;
  }

  // find() already searched the shared table with the current ASID, so
  // this searches again only when the ASID was not known (after
  // change_context()); otherwise nullptr, and the mmu walks.
  const tlb_entry* refill(uint64_t vaddr, access_type type, const miss_context& ctx) noexcept;
  void insert(const translation& t, uint64_t vaddr, const miss_context& ctx) noexcept;
  void flush(const flush_request& request) noexcept;
  // The ASID is learnt again from the next miss_context; until then only
  // global translations are found.
  void change_context() noexcept { asid_ = kNoAsid; }
  void select_cpu(unsigned) noexcept {}
  // tlb.shared.{refill_hits, inserts, evictions, flushes, flushed,
  // lock_waits}: this handle's share (lock_waits: contended acquisitions,
  // 0 when single-threaded).
  void append_counters(counter_list& out) const;
  tlb_event_source& events() noexcept { return shared_->events(); }

  unsigned cpu() const noexcept { return cpu_; }

 private:
  basic_sharded_tlb<Lock>* shared_;
  unsigned cpu_;
  uint32_t asid_ = kNoAsid;
  uint64_t now_ = 0;
  mutable tlb_entry scratch_;
  mutable uint64_t lock_waits_ = 0;
  uint64_t refill_hits_ = 0, inserts_ = 0, evictions_ = 0, flushes_ = 0, flushed_ = 0;
};

using sharded_tlb = basic_sharded_tlb<spin_lock>;
using sharded_tlb_handle = basic_sharded_tlb_handle<spin_lock>;
using sharded_tlb_mutex = basic_sharded_tlb<std::mutex>;
using sharded_tlb_mutex_handle = basic_sharded_tlb_handle<std::mutex>;

extern template class basic_sharded_tlb<spin_lock>;
extern template class basic_sharded_tlb<std::mutex>;
extern template class basic_sharded_tlb_handle<spin_lock>;
extern template class basic_sharded_tlb_handle<std::mutex>;

static_assert(tlb_design<sharded_tlb_handle>);
static_assert(tlb_design<sharded_tlb_mutex_handle>);

}  // namespace vm::tlb
