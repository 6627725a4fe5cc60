// percpu_tlb.h - private TLBs per vCPU, kept coherent by shootdowns: a
// flush on one vCPU is applied locally and posted to every other vCPU, and
// the initiator waits until each has applied it, as an OS does with TLB
// shootdown IPIs (Black et al., "Translation Lookaside Buffer Consistency: A
// Software Approach", ASPLOS 1989).
//
// Each handle owns an L1 front (tlb_front<runtime_geometry>, the mmu's hit
// path) and optionally a small private L2 of whole translations
// (translation_sets). percpu_tlb, the shared part, owns one handle per vCPU
// and the registry that initiators use to reach each other.
//
// Mailboxes. Each handle has a mailbox: a mutex, an inbox of pointers to
// pending shootdowns (capacity cpus: an initiator has at most one shootdown
// outstanding, so at most cpus - 1 can be queued), an `attached` flag, and
// an atomic `pending` flag. An initiator, for each other handle, under that
// handle's mailbox mutex:
//   - attached (its thread is running TLB operations): appends the ticket,
//     counts it in the ticket's `remaining`, sets `pending`;
//   - detached (idle: no thread is using it, the state of every handle in
//     single-threaded replay): applies the flush to it itself, on its
//     behalf. The mutex orders this before the handle's next attach().
// Then it waits until `remaining` is 0, processing its own mailbox while it
// waits (two vCPUs shooting each other down at once never deadlock).
//
// Hit-path cost: find() loads `pending` (relaxed) and, when set, misses; the
// mmu then calls refill(), which processes the mailbox (flushing, and
// acknowledging each ticket by decrementing its `remaining`) before looking
// anywhere. That one load and branch is all the hit path adds to the
// front's lookup. insert(), flush() and change_context() process the
// mailbox too; insert() does so *after* filling, so that a shootdown that
// arrived while the mmu was walking (the walk may have read the old page
// table) removes what the walk produced - the way an interrupt is taken
// after the instruction whose walk it raced.
//
// Contract for multi-threaded use: each thread attach()es its handle (or
// holds an attach_guard) before its first TLB operation, keeps performing
// TLB operations or poll()s while attached, and detach()es before it stops
// or blocks on anything but a TLB operation (a thread that waits at a
// barrier while attached would keep every initiator waiting). Handles are
// never attached in single-threaded use: then every flush is applied to the
// other vCPUs synchronously and the counters are deterministic.
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
#include "tlb/tlb_set_assoc.h"

namespace vm::tlb {

struct percpu_tlb_config {
  unsigned l1_sets = 64;  // the private front: a power of two
  unsigned l1_ways = 4;   // 1..255
  unsigned l2_sets = 0;   // the private L2: 0 (none) or a power of two
  unsigned l2_ways = 0;   // 1..255 when l2_sets != 0
};

[[nodiscard]] error validate(const percpu_tlb_config& config);

class percpu_tlb;

class alignas(64) percpu_tlb_handle {
 public:
  // Made by percpu_tlb (vCPU `cpu` of `cpus`).
  percpu_tlb_handle(percpu_tlb& shared, unsigned cpu, unsigned cpus,
                    const percpu_tlb_config& config);
  ~percpu_tlb_handle();
  percpu_tlb_handle(const percpu_tlb_handle&) = delete;
  percpu_tlb_handle& operator=(const percpu_tlb_handle&) = delete;

  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    // A posted shootdown: miss, so that refill() processes it first.
    if (pending_.load(std::memory_order_relaxed)) [[unlikely]]
      return nullptr;
    return front_.template find<Type>(page, key);
  }
  const tlb_entry* refill(uint64_t vaddr, access_type type, const miss_context& ctx) noexcept;
  void insert(const translation& t, uint64_t vaddr, const miss_context& ctx) noexcept;
  // Local flush, then a shootdown of every other vCPU; returns when all
  // have applied it.
  void flush(const flush_request& request) noexcept;
  void change_context() noexcept;
  void select_cpu(unsigned) noexcept {}
  // tlb.l2.{hits, misses, evictions} (with an L2), tlb.shootdowns.{sent,
  // posted, received}: sent counts targets (one per other vCPU per flush);
  // posted, those of them that were attached, so the initiator waited for
  // their acknowledgement (0 in single-threaded use); received counts
  // flushes from other vCPUs applied to this one (by itself or, while
  // detached, on its behalf). Over all handles sent and received are equal.
  void append_counters(counter_list& out) const;
  tlb_event_source& events() noexcept;

  // Multi-threaded use (see the file comment).
  void attach() noexcept;
  void detach() noexcept;
  // Processes posted shootdowns now (a vCPU's interrupt check).
  void poll() noexcept { drain(); }

  unsigned cpu() const noexcept { return cpu_; }
  const tlb_front<runtime_geometry>& front() const noexcept { return front_; }

 private:
  friend class percpu_tlb;
  struct ticket {
    flush_request request;
    std::atomic<unsigned> remaining{0};
  };

  // Applies a flush to this handle's front and L2.
  void apply(const flush_request& request) noexcept;
  // Processes the mailbox if `pending`; returns whether it did.
  bool drain() noexcept;
  // With mailbox_mutex_ held.
  void receive_locked() noexcept;
  const tlb_entry* front_find(access_type type, uint64_t page) const noexcept;

  // The hit path's data first.
  tlb_front<runtime_geometry> front_;
  std::atomic<bool> pending_{false};

  percpu_tlb* shared_;
  unsigned cpu_;
  translation_sets l2_;
  bool front_has_superpages_ = false;  // by-address flushes must then drop the whole front
  uint64_t now_ = 0;
  uint64_t l2_hits_ = 0, l2_misses_ = 0, l2_evictions_ = 0, sent_ = 0, posted_ = 0;

  mutable std::mutex mailbox_mutex_;
  // Guarded by mailbox_mutex_:
  bool attached_ = false;
  unsigned inbox_size_ = 0;
  std::unique_ptr<ticket*[]> inbox_;
  uint64_t received_ = 0;
};

class percpu_tlb {
 public:
  using config_type = percpu_tlb_config;
  using handle_type = percpu_tlb_handle;

  // `config` is valid (validate()); cpus >= 1. Every handle starts detached.
  percpu_tlb(const percpu_tlb_config& config, unsigned cpus);
  ~percpu_tlb();
  percpu_tlb(const percpu_tlb&) = delete;
  percpu_tlb& operator=(const percpu_tlb&) = delete;

  const percpu_tlb_config& config() const noexcept { return config_; }
  unsigned cpus() const noexcept { return static_cast<unsigned>(handles_.size()); }
  handle_type& handle(unsigned cpu) noexcept { return *handles_[cpu]; }
  const handle_type& handle(unsigned cpu) const noexcept { return *handles_[cpu]; }
  tlb_event_source& events() noexcept { return events_; }

 private:
  friend class percpu_tlb_handle;
  percpu_tlb_config config_;
  std::vector<std::unique_ptr<handle_type>> handles_;  // fixed after construction
  tlb_event_source events_;
};

// Attaches a handle for the lifetime of a scope (a vCPU thread's run).
class attach_guard {
 public:
  explicit attach_guard(percpu_tlb_handle& handle) noexcept : handle_(handle) { handle_.attach(); }
  ~attach_guard() { handle_.detach(); }
  attach_guard(const attach_guard&) = delete;
  attach_guard& operator=(const attach_guard&) = delete;

 private:
  percpu_tlb_handle& handle_;
};

static_assert(tlb_design<percpu_tlb_handle>);

}  // namespace vm::tlb
