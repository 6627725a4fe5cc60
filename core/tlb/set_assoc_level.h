// set_assoc_level.h - a TLB level below the L1 front (L2, L3, a shared
// table): set-associative, holding whole translations of every page size
// (4 KiB / 2 MiB / 1 GiB in one array), ASID-tagged with global pages, and
// replaced by a pluggable policy (replacement/).
//
// Page sizes share the array the way a unified hardware L2 TLB does with
// "hash-rehash": a translation is indexed by its page number at its own
// size, and a lookup probes each size that has live entries, 4 KiB first.
// A full flush is O(1): entries carry the generation they were filled in.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tlb/replacement/replacement_policy.h"
#include "tlb/translation.h"

namespace vm::tlb {

struct level_counters {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t fills = 0;
  uint64_t evictions = 0;  // live entries replaced by a fill
};

class set_assoc_level {
 public:
  // sets: a power of two; ways: 1..64 (tlb_config validates).
  set_assoc_level(unsigned sets, unsigned ways, std::unique_ptr<replacement_policy> policy);

  unsigned sets() const noexcept { return sets_; }
  unsigned ways() const noexcept { return ways_; }
  const replacement_policy& policy() const noexcept { return *policy_; }

  // The translation that serves (vaddr, asid, type), counting a hit or a
  // miss and telling the policy; nullptr on a miss. The pointer is valid
  // until the next non-const call.
  const translation* lookup(uint64_t vaddr, uint16_t asid, access_type type) noexcept;

  // Installs t, replacing in place a live entry for the same page, size and
  // address space (a permission upgrade), else an invalid way, else the
  // policy's victim. When a live entry of another page is replaced and
  // `evicted` is given, copies it there and returns true.
  bool insert(const translation& t, translation* evicted = nullptr) noexcept;

  // Removes the entry lookup() just returned (an exclusive hierarchy moves
  // it up).
  void remove(const translation* entry) noexcept;

  // sfence.vma semantics (translation.h). kAll is O(1).
  void flush(const flush_request& request) noexcept;

  const level_counters& counters() const noexcept { return counters_; }

 private:
  struct slot {
    translation t;
    uint32_t generation = 0;  // live when == generation_ (0 is never live)
  };
  unsigned set_of(uint64_t vaddr, unsigned level) const noexcept;
  bool live(const slot& s) const noexcept { return s.generation == generation_; }
  // Finds the slot holding t's page (same vpage, level, and asid unless
  // global), or -1.
  long find_same(unsigned set, const translation& t) const noexcept;
  void kill(size_t index) noexcept;

  unsigned sets_, ways_, set_bits_;
  std::unique_ptr<replacement_policy> policy_;
  std::vector<slot> slots_;
  uint32_t generation_ = 1;
  uint64_t live_by_level_[kMaxLevel + 1] = {};
  level_counters counters_;
};

}  // namespace vm::tlb
