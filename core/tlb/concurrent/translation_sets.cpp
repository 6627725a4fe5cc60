#include "tlb/concurrent/translation_sets.h"

#include <bit>

namespace vm::tlb {

translation_sets::translation_sets(unsigned sets, unsigned ways)
    : sets_(sets),
      ways_(sets == 0 ? 0 : ways),
      set_bits_(sets == 0 ? 0 : static_cast<unsigned>(std::bit_width(sets) - 1)),
      slots_(sets == 0 ? nullptr : new translation_slot[size_t{sets} * ways]),
      next_victim_(sets == 0 ? nullptr : new uint8_t[sets]()) {}

const translation* translation_sets::find(uint64_t page, uint32_t asid) const noexcept {
  if (sets_ == 0) return nullptr;
  for (unsigned level = 0; level <= kMaxLevel; ++level) {
    if (live_[level] == 0) continue;
    const uint64_t vpage = page & ~(page_bytes(level) - 1);
    if (const translation* t =
            set_find(set_at(page, level), ways_, generation_, vpage, level, asid))
      return t;
  }
  return nullptr;
}

fill_result translation_sets::insert(const translation& t, translation* evicted) noexcept {
  if (sets_ == 0) return fill_result::kNew;
  const unsigned set = translation_set_of(t.vpage, t.level, set_bits_);
  translation gone;
  const fill_result r =
      set_fill(&slots_[size_t{set} * ways_], ways_, generation_, next_victim_[set], t, &gone);
  if (r == fill_result::kEvicted) {
    --live_[gone.level];
    if (evicted != nullptr) *evicted = gone;
  }
  if (r != fill_result::kReplaced) ++live_[t.level];
  return r;
}

uint64_t translation_sets::flush(const flush_request& request) noexcept {
  if (sets_ == 0) return 0;
  if (request.scope == flush_scope::kAll) {
    const uint64_t was = live();
    if (++generation_ == 0) {  // wrapped (after 2^32 flushes): clear for real
      for (size_t i = 0; i < size_t{sets_} * ways_; ++i) slots_[i].generation = 0;
      generation_ = 1;
    }
    live_[0] = live_[1] = live_[2] = 0;
    return was;
  }
  uint64_t removed[kMaxLevel + 1] = {};
  if (request.scope == flush_scope::kAsid) {
    for (unsigned set = 0; set < sets_; ++set)
      set_flush(&slots_[size_t{set} * ways_], ways_, generation_, request, removed);
  } else {
    // Only the sets that can hold a page containing vaddr, one per size.
    for (unsigned level = 0; level <= kMaxLevel; ++level)
      if (live_[level] != 0)
        set_flush(set_at(request.vaddr, level), ways_, generation_, request, removed);
  }
  for (unsigned level = 0; level <= kMaxLevel; ++level) live_[level] -= removed[level];
  return removed[0] + removed[1] + removed[2];
}

}  // namespace vm::tlb
