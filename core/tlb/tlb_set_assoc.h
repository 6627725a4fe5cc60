// tlb_set_assoc.h - the L1 "front" of every TLB design: a set-associative
// array of tlb_entry whose hit path is a mask, a few compares and no calls.
//
// Geometry is a template parameter: fixed_geometry<Sets, Ways> for the hot
// configurations (sets and ways are constants, the array lives inside the
// object, no runtime division), runtime_geometry for exploration (set mask
// and way count are members). Both share this code.
//
// Full flush in O(1): every stored tag is XORed with a salt, gen << 3, where
// gen is the flush generation (0..510). A lookup key (a page-aligned address
// plus at most its three low alignment bits, mmu::aligned_key) has bits 3..11
// clear, so a tag stored under one generation can never equal a key salted
// with another, and flush_all() only increments gen. Every 511th flush
// clears the array for real, so a flush costs O(size / 511) amortised and
// O(1) otherwise (generation 511 is never used: with it, the key of a
// misaligned access to the top page would equal kInvalidTag).
//
// Replacement is round-robin per set: the hit path keeps no replacement
// state, so it writes nothing and a JIT can inline it. Designs put their
// replacement policies in the levels below (set_assoc_level).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "tlb/tlb_entry.h"

namespace vm::tlb {

template <unsigned Sets, unsigned Ways>
struct fixed_geometry {
  static_assert(Sets > 0 && (Sets & (Sets - 1)) == 0, "set count must be a power of two");
  static_assert(Ways > 0 && Ways <= 255);
  static constexpr bool kFixed = true;
  static constexpr unsigned kSets = Sets;
  static constexpr unsigned kWays = Ways;
  static constexpr unsigned sets() noexcept { return Sets; }
  static constexpr unsigned ways() noexcept { return Ways; }
  static constexpr unsigned set_bits() noexcept { return std::bit_width(Sets) - 1; }
  static constexpr uint64_t fold_mask() noexcept { return ~uint64_t{0}; }
};

struct runtime_geometry {
  static constexpr bool kFixed = false;
  // sets: a power of two; ways: 1..255 (callers validate, tlb_config does).
  // fold: index by the page number folded with its next bits (our designs);
  // false: by the page number's low bits alone, as QEMU's tlb_index().
  runtime_geometry(unsigned sets = 1, unsigned ways = 1, bool fold = true) noexcept
      : sets_(sets), ways_(ways), set_bits_(static_cast<unsigned>(std::bit_width(sets) - 1)),
        fold_mask_(fold ? ~uint64_t{0} : 0) {}
  unsigned sets() const noexcept { return sets_; }
  unsigned ways() const noexcept { return ways_; }
  unsigned set_bits() const noexcept { return set_bits_; }
  uint64_t fold_mask() const noexcept { return fold_mask_; }

 private:
  unsigned sets_, ways_, set_bits_;
  uint64_t fold_mask_;
};

template <class Geometry>
class tlb_front {
 public:
  static constexpr unsigned kPageShift = 12;
  static constexpr uint64_t kSaltShift = 3;
  static constexpr unsigned kGenerations = 511;

  tlb_front() noexcept
    requires Geometry::kFixed
  = default;
  explicit tlb_front(Geometry g)
    requires(!Geometry::kFixed)
      : geometry_(g), slots_(new tlb_entry[size_t{g.sets()} * g.ways()]),
        next_victim_(new uint8_t[g.sets()]()) {}

  tlb_front(const tlb_front&) = delete;
  tlb_front& operator=(const tlb_front&) = delete;
  tlb_front(tlb_front&&) noexcept = default;  // a design may replace its front (resizing)
  tlb_front& operator=(tlb_front&&) noexcept = default;

  const Geometry& geometry() const noexcept { return geometry_; }
  unsigned sets() const noexcept { return geometry_.sets(); }
  unsigned ways() const noexcept { return geometry_.ways(); }
  size_t size() const noexcept { return size_t{sets()} * ways(); }

  // The set of a page: its virtual page number folded with the next
  // set_bits bits, so that arrays a power-of-two distance apart (three
  // 16 MiB streams, say) do not all land in one set.
  unsigned set_index(uint64_t page) const noexcept {
    const uint64_t vpn = page >> kPageShift;
    return static_cast<unsigned>((vpn ^ ((vpn >> geometry_.set_bits()) & geometry_.fold_mask())) &
                                 (sets() - 1));
  }

  // The entry that permits `type` on virtual page `page` (page-aligned), or
  // nullptr. Does not count: callers count hits and misses where they know
  // which accesses are architectural. The entry's tags are salted: read
  // only its host_addend.
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
    const tlb_entry* s = &slots_[size_t{set_index(page)} * ways()];
    const uint64_t salted = key ^ salt_;
    for (unsigned way = 0; way < ways(); ++way) {
      if (s[way].tag[static_cast<unsigned>(Type)] == salted) return &s[way];
    }
    return nullptr;
  }

  // Installs `entry` (plain page tags) for `page`, replacing an entry of
  // the same page if one exists, otherwise the set's next victim
  // (round-robin). Returns the slot used, and sets `evicted` when that slot
  // held a live entry of another page (a design's shadow copy of the slot
  // then describes what left).
  size_t insert(uint64_t page, const tlb_entry& entry, bool* evicted = nullptr) noexcept {
    const unsigned index = set_index(page);
    tlb_entry* s = &slots_[size_t{index} * ways()];
    const uint64_t salted_page = page ^ salt_;
    unsigned way = ways();
    for (unsigned w = 0; w < ways(); ++w) {
      if (s[w].tag[0] == salted_page || s[w].tag[1] == salted_page ||
          s[w].tag[2] == salted_page) {
        way = w;
        break;
      }
    }
    bool replaced_other = false;
    if (way == ways()) {
      uint8_t& victim = next_victim_[index];
      way = victim;
      victim = static_cast<uint8_t>(victim + 1u == ways() ? 0 : victim + 1u);
      replaced_other = live(s[way]);
    }
    tlb_entry& slot = s[way];
    for (unsigned t = 0; t < 3; ++t)
      slot.tag[t] = entry.tag[t] == kInvalidTag ? kInvalidTag : entry.tag[t] ^ salt_;
    slot.host_addend = entry.host_addend;
    if (evicted != nullptr) *evicted = replaced_other;
    return size_t{index} * ways() + way;
  }

  // Slot access for designs that keep per-slot data (shadow copies).
  bool slot_live(size_t slot) const noexcept { return live(slots_[slot]); }
  // The page a live slot holds.
  uint64_t slot_page(size_t slot) const noexcept {
    const tlb_entry& e = slots_[slot];
    for (uint64_t t : e.tag)
      if (t != kInvalidTag) return t ^ salt_;
    return kInvalidTag;
  }
  void invalidate_slot(size_t slot) noexcept { slots_[slot] = tlb_entry{}; }
  // The slot a live entry returned by find() occupies.
  size_t slot_of(const tlb_entry* e) const noexcept {
    return static_cast<size_t>(e - &slots_[0]);
  }

  // Removes the 4 KiB page `page`; returns whether it was present.
  bool flush_page(uint64_t page) noexcept {
    tlb_entry* s = &slots_[size_t{set_index(page)} * ways()];
    const uint64_t salted_page = page ^ salt_;
    bool found = false;
    for (unsigned w = 0; w < ways(); ++w) {
      tlb_entry& e = s[w];
      if (e.tag[0] == salted_page || e.tag[1] == salted_page || e.tag[2] == salted_page) {
        e = tlb_entry{};
        found = true;
      }
    }
    return found;
  }

  // O(1) but for every 511th call (see the file comment).
  void flush_all() noexcept {
    if (++generation_ == kGenerations) {
      generation_ = 0;
      for (size_t i = 0; i < size(); ++i) slots_[i] = tlb_entry{};
      for (unsigned i = 0; i < sets(); ++i) next_victim_[i] = 0;
    }
    salt_ = uint64_t{generation_} << kSaltShift;
  }

  unsigned generation() const noexcept { return generation_; }

 private:
  // Live: some tag was stored under the current generation.
  bool live(const tlb_entry& e) const noexcept {
    for (uint64_t t : e.tag)
      if (t != kInvalidTag && ((t ^ salt_) & (0x1ffull << kSaltShift)) == 0) return true;
    return false;
  }

  // Fixed geometry: arrays inside the object (the hit path adds offsets to
  // `this`, no pointer load); run-time geometry: heap arrays.
  template <class G>
  struct storage_of {
    using slots = std::unique_ptr<tlb_entry[]>;
    using victims = std::unique_ptr<uint8_t[]>;
  };
  template <unsigned S, unsigned W>
  struct storage_of<fixed_geometry<S, W>> {
    using slots = std::array<tlb_entry, size_t{S} * W>;
    using victims = std::array<uint8_t, S>;
  };
  using slot_storage = typename storage_of<Geometry>::slots;

  [[no_unique_address]] Geometry geometry_{};
  uint64_t salt_ = 0;
  unsigned generation_ = 0;
  slot_storage slots_{};  // a power-of-two stride, for the hit path
  typename storage_of<Geometry>::victims next_victim_{};
};

// The compile-time front (mmu::l1_tlb and the hot configurations).
template <unsigned Sets, unsigned Ways>
using tlb_set_assoc = tlb_front<fixed_geometry<Sets, Ways>>;
// The run-time front (exploration: any power-of-two sets, 1..255 ways).
using tlb_front_runtime = tlb_front<runtime_geometry>;

}  // namespace vm::tlb
