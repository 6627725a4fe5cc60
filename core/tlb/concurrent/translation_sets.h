// translation_sets.h - set-associative storage of whole translations for the
// concurrent designs: the per-set operations that the sharded TLB runs under
// a shard's lock, and translation_sets, a plain table built from them (the
// per-CPU design's private L2). Nothing here is thread-safe: the sharded
// table locks around it, the per-CPU L2 has one owner.
//
// Page sizes share one array as in set_assoc_level ("hash-rehash"): a
// translation is indexed by its own page number at its size, and a lookup
// for a 4 KiB page probes each size that may be present, 4 KiB first.
// Entries carry the generation they were filled in; a full flush increments
// the generation, so it is O(1).
//
// Replacement is round-robin per set, after an invalid way: a lookup writes
// nothing, which is what lets the sharded table's readers and the lock-free
// table's readers stay read-only (LRU would make every hit a write to
// shared memory).
#pragma once

#include <cstdint>
#include <memory>

#include "tlb/translation.h"

namespace vm::tlb {

// An address-space value that matches no ASID: with it only global
// translations are visible (a design that does not yet know the current
// ASID after change_context()).
inline constexpr uint32_t kNoAsid = 0x10000;

// The set of the size-`level` page holding vaddr, in a table of
// 2^set_bits sets: the fold of tlb_front::set_index plus the level, as
// set_assoc_level::set_of, so that 4 KiB page n and 2 MiB page n do not
// always share a set.
inline unsigned translation_set_of(uint64_t vaddr, unsigned level, unsigned set_bits) noexcept {
  const uint64_t vpn = vaddr >> (kPageShift + 9 * level);
  return static_cast<unsigned>((vpn ^ (vpn >> set_bits) ^ level) & ((uint64_t{1} << set_bits) - 1));
}

// The same page in the same address space: a fill replaces it in place (a
// permission upgrade, or a global mapping taking over a private one).
inline bool same_page(const translation& a, const translation& b) noexcept {
  return a.vpage == b.vpage && a.level == b.level && (a.global || b.global || a.asid == b.asid);
}

struct translation_slot {
  translation t;
  uint32_t generation = 0;  // live when equal to the table's generation (which is never 0)
};

enum class fill_result : uint8_t {
  kNew,       // into an invalid way
  kReplaced,  // over the same page (same_page)
  kEvicted,   // over a live translation of another page
};

// The live translation of size `level` at `vpage` (aligned to that size)
// visible to `asid` in the set of `ways` slots, or nullptr.
inline const translation* set_find(const translation_slot* set, unsigned ways, uint32_t generation,
                                   uint64_t vpage, unsigned level, uint32_t asid) noexcept {
  for (unsigned w = 0; w < ways; ++w) {
    const translation_slot& s = set[w];
    if (s.generation == generation && s.t.vpage == vpage && s.t.level == level &&
        (s.t.global || s.t.asid == asid))
      return &s.t;
  }
  return nullptr;
}

// Installs t in the set: over the same page, else into an invalid way, else
// over the round-robin victim `next_victim` (advanced), copying the evicted
// translation to *evicted when given.
inline fill_result set_fill(translation_slot* set, unsigned ways, uint32_t generation,
                            uint8_t& next_victim, const translation& t,
                            translation* evicted) noexcept {
  unsigned free_way = ways;
  for (unsigned w = 0; w < ways; ++w) {
    translation_slot& s = set[w];
    if (s.generation != generation) {
      if (free_way == ways) free_way = w;
    } else if (same_page(s.t, t)) {
      s.t = t;
      return fill_result::kReplaced;
    }
  }
  if (free_way != ways) {
    set[free_way] = {t, generation};
    return fill_result::kNew;
  }
  translation_slot& victim = set[next_victim];
  next_victim = static_cast<uint8_t>(next_victim + 1u == ways ? 0 : next_victim + 1u);
  if (evicted != nullptr) *evicted = victim.t;
  victim = {t, generation};
  return fill_result::kEvicted;
}

// Invalidates the live translations of the set that `request` covers;
// returns how many, adding them per level to removed_by_level[] when given.
inline unsigned set_flush(translation_slot* set, unsigned ways, uint32_t generation,
                          const flush_request& request, uint64_t* removed_by_level) noexcept {
  unsigned removed = 0;
  for (unsigned w = 0; w < ways; ++w) {
    translation_slot& s = set[w];
    if (s.generation == generation && request.covers(s.t)) {
      s.generation = 0;
      ++removed;
      if (removed_by_level != nullptr) ++removed_by_level[s.t.level];
    }
  }
  return removed;
}

// A plain set-associative table of translations (single owner).
class translation_sets {
 public:
  // sets: 0 (an empty table: finds nothing, stores nothing) or a power of
  // two; ways: 1..255.
  translation_sets(unsigned sets, unsigned ways);

  bool enabled() const noexcept { return sets_ != 0; }
  unsigned sets() const noexcept { return sets_; }
  unsigned ways() const noexcept { return ways_; }

  // The translation holding the 4 KiB page `page` visible to `asid`
  // (kNoAsid: global ones only), probing each size with live entries, 4 KiB
  // first; nullptr if none. Valid until the next non-const call.
  const translation* find(uint64_t page, uint32_t asid) const noexcept;

  fill_result insert(const translation& t, translation* evicted = nullptr) noexcept;

  // sfence.vma semantics; returns the number of entries removed, except
  // for kAll, which is O(1) and returns the number that were live.
  uint64_t flush(const flush_request& request) noexcept;

  uint64_t live() const noexcept { return live_[0] + live_[1] + live_[2]; }

 private:
  translation_slot* set_at(uint64_t vaddr, unsigned level) const noexcept {
    return &slots_[size_t{translation_set_of(vaddr, level, set_bits_)} * ways_];
  }

  unsigned sets_, ways_, set_bits_;
  std::unique_ptr<translation_slot[]> slots_;
  std::unique_ptr<uint8_t[]> next_victim_;
  uint32_t generation_ = 1;
  uint64_t live_[kMaxLevel + 1] = {};
};

}  // namespace vm::tlb
