#include "tlb/set_assoc_level.h"

#include <bit>

namespace vm::tlb {

set_assoc_level::set_assoc_level(unsigned sets, unsigned ways,
                                 std::unique_ptr<replacement_policy> policy)
    : sets_(sets),
      ways_(ways),
      set_bits_(static_cast<unsigned>(std::bit_width(sets) - 1)),
      policy_(std::move(policy)),
      slots_(size_t{sets} * ways) {
  policy_->reset(sets, ways);
}

unsigned set_assoc_level::set_of(uint64_t vaddr, unsigned level) const noexcept {
  const uint64_t vpn = vaddr >> (kPageShift + 9 * level);
  // The fold of tlb_front::set_index, plus the level so that the 4 KiB
  // page n and the 2 MiB page n do not always share a set.
  return static_cast<unsigned>((vpn ^ (vpn >> set_bits_) ^ level) & (sets_ - 1));
}

long set_assoc_level::find_same(unsigned set, const translation& t) const noexcept {
  const slot* s = &slots_[size_t{set} * ways_];
  for (unsigned w = 0; w < ways_; ++w) {
    const translation& u = s[w].t;
    if (live(s[w]) && u.vpage == t.vpage && u.level == t.level && u.global == t.global &&
        (t.global || u.asid == t.asid))
      return static_cast<long>(size_t{set} * ways_ + w);
  }
  return -1;
}

const translation* set_assoc_level::lookup(uint64_t vaddr, uint16_t asid,
                                           access_type type) noexcept {
  for (unsigned level = 0; level <= kMaxLevel; ++level) {
    if (live_by_level_[level] == 0) continue;
    const unsigned set = set_of(vaddr, level);
    slot* s = &slots_[size_t{set} * ways_];
    const uint64_t vpage = vaddr & ~(page_bytes(level) - 1);
    for (unsigned w = 0; w < ways_; ++w) {
      const translation& t = s[w].t;
      if (live(s[w]) && t.level == level && t.vpage == vpage && t.visible_to(asid) &&
          t.permits_type(type)) {
        ++counters_.hits;
        policy_->on_hit(set, w);
        return &t;
      }
    }
  }
  ++counters_.misses;
  // The policy hears of the miss in the set a 4 KiB fill would go to (set
  // dueling counts misses per set; most fills are 4 KiB).
  policy_->on_miss(set_of(vaddr, 0));
  return nullptr;
}

void set_assoc_level::kill(size_t index) noexcept {
  slot& s = slots_[index];
  if (!live(s)) return;
  --live_by_level_[s.t.level];
  s.generation = 0;
  policy_->on_invalidate(static_cast<unsigned>(index / ways_),
                         static_cast<unsigned>(index % ways_));
}

bool set_assoc_level::insert(const translation& t, translation* evicted) noexcept {
  const unsigned set = set_of(t.vpage, t.level);
  ++counters_.fills;
  const long same = find_same(set, t);
  slot* s = &slots_[size_t{set} * ways_];
  unsigned way;
  bool replaced_other = false;
  if (same >= 0) {
    way = static_cast<unsigned>(static_cast<size_t>(same) % ways_);
    --live_by_level_[s[way].t.level];
  } else {
    way = ways_;
    for (unsigned w = 0; w < ways_; ++w)
      if (!live(s[w])) {
        way = w;
        break;
      }
    if (way == ways_) {
      way = policy_->victim(set);
      replaced_other = true;
      ++counters_.evictions;
      --live_by_level_[s[way].t.level];
      if (evicted != nullptr) *evicted = s[way].t;
    }
  }
  s[way].t = t;
  s[way].generation = generation_;
  ++live_by_level_[t.level];
  policy_->on_fill(set, way);
  return replaced_other && evicted != nullptr;
}

void set_assoc_level::remove(const translation* entry) noexcept {
  const auto* base = reinterpret_cast<const unsigned char*>(slots_.data());
  const auto offset = static_cast<size_t>(reinterpret_cast<const unsigned char*>(entry) - base);
  kill(offset / sizeof(slot));
}

void set_assoc_level::flush(const flush_request& request) noexcept {
  switch (request.scope) {
    case flush_scope::kAll:
      if (++generation_ == 0) {  // wrapped after 2^32 flushes: clear for real
        for (slot& s : slots_) s.generation = 0;
        generation_ = 1;
      }
      for (uint64_t& n : live_by_level_) n = 0;
      return;
    case flush_scope::kAsid:
      for (size_t i = 0; i < slots_.size(); ++i)
        if (live(slots_[i]) && request.covers(slots_[i].t)) kill(i);
      return;
    case flush_scope::kAddress:
    case flush_scope::kAddressAsid:
      for (unsigned level = 0; level <= kMaxLevel; ++level) {
        if (live_by_level_[level] == 0) continue;
        const size_t first = size_t{set_of(request.vaddr, level)} * ways_;
        for (size_t i = first; i < first + ways_; ++i)
          if (live(slots_[i]) && slots_[i].t.level == level && request.covers(slots_[i].t)) kill(i);
      }
      return;
  }
}

}  // namespace vm::tlb
