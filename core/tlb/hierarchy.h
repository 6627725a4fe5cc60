// hierarchy.h - the unified hierarchy: the L1 front (inline hit path), up to
// two set-associative levels below it with a replacement policy, a
// prefetch unit (buffer + prefetcher + miss-stream tracker) below those,
// and the page walker last.
//
// Fill policies:
// - inclusive: a walk fills every level; a hit in L2/L3 refills the levels
//   above it. Evictions do not back-invalidate the levels above (mostly
//   inclusive, as hardware TLB hierarchies are).
// - exclusive: a walk fills the front only; what the front evicts moves to
//   L2, what L2 evicts to L3; a hit below moves the entry up (removing it
//   where it was). Exception: a superpage's translation stays in the level
//   it was found in, because the front only takes a 4 KiB fragment of it.
//
// The front holds 4 KiB fragments of the current address space only; a
// shadow translation per front slot remembers what each fragment came from
// (the exclusive policy moves it down on eviction). Levels below are
// ASID-tagged, so a context switch drops the front alone.
#pragma once

#include <memory>
#include <vector>

#include "tlb/prefetch/prefetch_unit.h"
#include "tlb/set_assoc_level.h"
#include "tlb/tlb_design.h"
#include "tlb/tlb_set_assoc.h"

namespace vm::tlb {

enum class fill_policy : uint8_t { kInclusive, kExclusive };

// What a hierarchy is built from (tlb_config makes it from the text).
struct hierarchy_parts {
  std::vector<set_assoc_level> levels;  // L2, L3 (may be empty)
  fill_policy fill = fill_policy::kInclusive;
  std::unique_ptr<prefetch_unit> prefetch;  // never null (the tracker always runs)
};

template <class Geometry>
class hierarchy {
 public:
  hierarchy(Geometry g, hierarchy_parts parts);

  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    return front_.template find<Type>(page, key);
  }
  const tlb_entry* refill(uint64_t vaddr, access_type type, const miss_context& ctx) noexcept;
  void insert(const translation& t, uint64_t vaddr, const miss_context& ctx) noexcept;
  void flush(const flush_request& r) noexcept;
  void change_context() noexcept;
  void select_cpu(unsigned) noexcept {}
  void append_counters(counter_list& out) const;
  tlb_event_source& events() noexcept { return events_; }

  const std::vector<set_assoc_level>& levels() const noexcept { return parts_.levels; }
  const prefetch_unit& prefetch() const noexcept { return *parts_.prefetch; }

 private:
  static tlb_front<Geometry> make_front(Geometry g) {
    if constexpr (Geometry::kFixed)
      return tlb_front<Geometry>();
    else
      return tlb_front<Geometry>(g);
  }
  // Puts t's fragment for vaddr's page into the front; under the exclusive
  // policy what it evicts moves down.
  void fill_front(const translation& t, uint64_t vaddr) noexcept;
  // Inserts t into level i; under the exclusive policy what it evicts moves
  // to level i + 1.
  void fill_level(size_t i, const translation& t) noexcept;
  void flush_front() noexcept {
    front_.flush_all();
    holds_superpage_ = false;
  }

  tlb_front<Geometry> front_;
  std::vector<translation> shadow_;  // per front slot
  hierarchy_parts parts_;
  bool holds_superpage_ = false;
  tlb_event_source events_;
};

}  // namespace vm::tlb

#include "tlb/hierarchy_impl.h"
