// multi_cpu.h - a concurrent design driven by one thread: the shared part
// and its `cpus` handles behind one tlb_design, for single-threaded replay of
// multi-CPU traces. select_cpu(cpu) picks the handle of vCPU cpu % cpus; the
// other calls go to the selected handle, except change_context(), which
// goes to all (the replay's one translation context changed).
//
// Shared is sharded_tlb, sharded_tlb_mutex, lockfree_tlb or percpu_tlb: it
// has config_type, handle_type, a (config, cpus) constructor, cpus(),
// handle(cpu) and events(). With one thread no handle is attached, so a
// per-CPU flush applies to the other vCPUs synchronously, and every counter
// is deterministic.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include "tlb/concurrent/lockfree_tlb.h"
#include "tlb/concurrent/percpu_tlb.h"
#include "tlb/concurrent/sharded_tlb.h"
#include "tlb/tlb_design.h"

namespace vm::tlb {

template <class Shared>
class multi_cpu {
 public:
  using config_type = typename Shared::config_type;
  using handle_type = typename Shared::handle_type;

  // `config` is valid (validate()); cpus >= 1.
  multi_cpu(const config_type& config, unsigned cpus)
      : shared_(std::make_unique<Shared>(config, cpus)), current_(&shared_->handle(0)) {}

  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    return current_->template find<Type>(page, key);
  }
  const tlb_entry* refill(uint64_t vaddr, access_type type, const miss_context& ctx) noexcept {
    return current_->refill(vaddr, type, ctx);
  }
  void insert(const translation& t, uint64_t vaddr, const miss_context& ctx) noexcept {
    current_->insert(t, vaddr, ctx);
  }
  void flush(const flush_request& request) noexcept { current_->flush(request); }
  // One thread replays every vCPU through one mmu, so there is one
  // translation context: when it changes, every vCPU's handle learns it (a
  // per-CPU front holds untagged entries of the old context; a shared-table
  // handle would go on searching with the old ASID).
  void change_context() noexcept {
    for (unsigned cpu = 0; cpu < shared_->cpus(); ++cpu) shared_->handle(cpu).change_context();
  }
  void select_cpu(unsigned cpu) noexcept { current_ = &shared_->handle(cpu % shared_->cpus()); }
  // Each counter summed over the handles (they all append the same names in
  // the same order).
  void append_counters(counter_list& out) const {
    counter_list total;
    for (unsigned cpu = 0; cpu < shared_->cpus(); ++cpu) {
      counter_list one;
      shared_->handle(cpu).append_counters(one);
      if (cpu == 0) {
        total = std::move(one);
        continue;
      }
      for (size_t i = 0; i < total.size() && i < one.size(); ++i) total[i].second += one[i].second;
    }
    out.insert(out.end(), total.begin(), total.end());
  }
  tlb_event_source& events() noexcept { return shared_->events(); }

  Shared& shared() noexcept { return *shared_; }
  const Shared& shared() const noexcept { return *shared_; }
  unsigned cpus() const noexcept { return shared_->cpus(); }

 private:
  std::unique_ptr<Shared> shared_;
  handle_type* current_;
};

using sharded_tlb_replay = multi_cpu<sharded_tlb>;
using sharded_tlb_mutex_replay = multi_cpu<sharded_tlb_mutex>;
using lockfree_tlb_replay = multi_cpu<lockfree_tlb>;
using percpu_tlb_replay = multi_cpu<percpu_tlb>;

static_assert(tlb_design<sharded_tlb_replay>);
static_assert(tlb_design<sharded_tlb_mutex_replay>);
static_assert(tlb_design<lockfree_tlb_replay>);
static_assert(tlb_design<percpu_tlb_replay>);

}  // namespace vm::tlb
