// tlb_set_assoc.h - a set-associative TLB whose geometry is fixed at compile
// time, so the hit path is a mask, a few compares and no calls.
//
// This is the L1 that sits between the CPU and the page walker. The TLB
// family (multi-level, concurrent, per-CPU, other replacement policies) is
// built behind the same three operations: find (hit path), insert (fill after
// a walk), flush (sfence.vma / satp / privilege change).
#pragma once

#include <array>
#include <bit>
#include <cstdint>

#include "tlb/tlb_entry.h"

namespace vm::tlb {

template <unsigned Sets, unsigned Ways>
class tlb_set_assoc {
  static_assert(Sets > 0 && (Sets & (Sets - 1)) == 0, "set count must be a power of two");
  static_assert(Ways > 0);

 public:
  static constexpr unsigned kSets = Sets;
  static constexpr unsigned kWays = Ways;
  static constexpr unsigned kPageShift = 12;
  static constexpr unsigned kSetBits = std::bit_width(Sets) - 1;

  // The set of a page: its virtual page number folded with the next
  // kSetBits bits, so that arrays a power-of-two distance apart (three
  // 16 MiB streams, say) do not all land in one set.
  static constexpr unsigned set_index(uint64_t page) noexcept {
    const uint64_t vpn = page >> kPageShift;
    return static_cast<unsigned>((vpn ^ (vpn >> kSetBits)) & (Sets - 1));
  }

  // The entry that permits `type` on virtual page `page` (page-aligned), or
  // nullptr. Does not count: callers count hits and misses where they know
  // which accesses are architectural.
  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page) const noexcept {
    return find<Type>(page, page);
  }

  // As find(page), but compares the tags with `key`, which a caller may
  // derive from the address so that it equals the page only when the access
  // also qualifies otherwise (QEMU's trick: keep the low alignment bits of
  // the address in the key, and a misaligned access simply misses).
  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    const set& s = sets_[set_index(page)];
    for (unsigned way = 0; way < Ways; ++way) {
      if (s.ways[way].tag[static_cast<unsigned>(Type)] == key) return &s.ways[way];
    }
    return nullptr;
  }

  // Installs `entry` for `page`, replacing an entry of the same page if one
  // exists, otherwise the set's next victim (round-robin).
  void insert(uint64_t page, const tlb_entry& entry) noexcept {
    set& s = sets_[set_index(page)];
    for (unsigned way = 0; way < Ways; ++way) {
      const tlb_entry& e = s.ways[way];
      if (e.tag[0] == page || e.tag[1] == page || e.tag[2] == page) {
        s.ways[way] = entry;
        return;
      }
    }
    const unsigned index = set_index(page);
    uint8_t& victim = next_victim_[index];
    s.ways[victim] = entry;
    victim = static_cast<uint8_t>((victim + 1) % Ways);
    note_filled(index);
  }

  void flush_page(uint64_t page) noexcept {
    set& s = sets_[set_index(page)];
    for (tlb_entry& e : s.ways) {
      if (e.tag[0] == page || e.tag[1] == page || e.tag[2] == page) e = tlb_entry{};
    }
  }

  // Costs what was filled since the last flush, not the TLB's size: the
  // sets filled are logged, and only when the log overflows is the whole
  // array cleared. (A large L1 is flushed on every privilege change.)
  void flush_all() noexcept {
    if (filled_count_ > kFillLogSize) {
      for (set& s : sets_) s = set{};
      next_victim_.fill(0);
    } else {
      for (unsigned i = 0; i < filled_count_; ++i) {
        sets_[filled_log_[i]] = set{};
        next_victim_[filled_log_[i]] = 0;
      }
    }
    filled_count_ = 0;
  }

 private:
  struct set {
    tlb_entry ways[Ways];
  };
  std::array<set, Sets> sets_{};             // a power-of-two stride, for the hit path
  std::array<uint8_t, Sets> next_victim_{};  // round-robin replacement per set

  static constexpr unsigned kFillLogSize = Sets / 8 > 0 ? Sets / 8 : 1;
  void note_filled(unsigned index) noexcept {
    if (filled_count_ < kFillLogSize) filled_log_[filled_count_] = index;
    if (filled_count_ <= kFillLogSize) ++filled_count_;  // > size: overflowed
  }
  std::array<uint32_t, kFillLogSize> filled_log_{};
  unsigned filled_count_ = 0;
};

}  // namespace vm::tlb
