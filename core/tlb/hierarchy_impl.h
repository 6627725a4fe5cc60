// hierarchy_impl.h - the miss paths of hierarchy.h (cold; instantiated by
// the replay engines for each front geometry).
#pragma once

namespace vm::tlb {

template <class Geometry>
hierarchy<Geometry>::hierarchy(Geometry g, hierarchy_parts parts)
    : front_(make_front(g)), shadow_(front_.size()), parts_(std::move(parts)) {}

template <class Geometry>
void hierarchy<Geometry>::fill_front(const translation& t, uint64_t vaddr) noexcept {
  const uint64_t page = vaddr & ~(kPageBytes - 1);
  bool evicted = false;
  const size_t slot = front_.insert(page, t.entry_for(page), &evicted);
  if (evicted && parts_.fill == fill_policy::kExclusive && !parts_.levels.empty())
    fill_level(0, shadow_[slot]);
  shadow_[slot] = t;
  if (t.level != 0) holds_superpage_ = true;
}

template <class Geometry>
void hierarchy<Geometry>::fill_level(size_t i, const translation& t) noexcept {
  translation evicted;
  const bool moved = parts_.levels[i].insert(t, &evicted);
  if (moved && parts_.fill == fill_policy::kExclusive && i + 1 < parts_.levels.size())
    fill_level(i + 1, evicted);
}

template <class Geometry>
const tlb_entry* hierarchy<Geometry>::refill(uint64_t vaddr, access_type type,
                                             const miss_context& ctx) noexcept {
  const uint64_t page = vaddr & ~(kPageBytes - 1);
  const translation* found = nullptr;
  uint8_t served_by = 0;
  size_t level = 0;
  for (; level < parts_.levels.size(); ++level) {
    found = parts_.levels[level].lookup(vaddr, ctx.asid, type);
    if (found != nullptr) {
      served_by = static_cast<uint8_t>(level + 2);
      break;
    }
  }
  translation t;
  if (found != nullptr) {
    t = *found;
    if (parts_.fill == fill_policy::kExclusive) {
      if (t.level == 0) parts_.levels[level].remove(found);
    } else {
      for (size_t upper = 0; upper < level; ++upper) fill_level(upper, t);
    }
  } else {
    const translation* buffered = parts_.prefetch->on_tlb_miss(vaddr, type, ctx, events_);
    if (buffered == nullptr) {
      events_.publish(miss_event{vaddr, type, ctx.now, 0});
      return nullptr;
    }
    t = *buffered;
    served_by = 8;
    if (parts_.fill == fill_policy::kInclusive)
      for (size_t i = 0; i < parts_.levels.size(); ++i) fill_level(i, t);
  }
  events_.publish(miss_event{vaddr, type, ctx.now, served_by});
  fill_front(t, vaddr);
  switch (type) {
    case access_type::kRead: return front_.template find<access_type::kRead>(page);
    case access_type::kWrite: return front_.template find<access_type::kWrite>(page);
    case access_type::kExecute: return front_.template find<access_type::kExecute>(page);
  }
  return nullptr;
}

template <class Geometry>
void hierarchy<Geometry>::insert(const translation& t, uint64_t vaddr,
                                 const miss_context&) noexcept {
  if (parts_.fill == fill_policy::kInclusive)
    for (size_t i = 0; i < parts_.levels.size(); ++i) fill_level(i, t);
  fill_front(t, vaddr);
}

template <class Geometry>
void hierarchy<Geometry>::flush(const flush_request& r) noexcept {
  events_.publish(flush_event{r, 0});
  if ((r.scope == flush_scope::kAddress || r.scope == flush_scope::kAddressAsid) &&
      !holds_superpage_) {
    const uint64_t page = r.vaddr & ~(kPageBytes - 1);
    front_.flush_page(page);
  } else {
    // The front has no ASIDs and only fragments of superpages: dropping it
    // whole (O(1)) is the exact flush's superset.
    flush_front();
  }
  for (set_assoc_level& level : parts_.levels) level.flush(r);
  parts_.prefetch->flush(r);
}

template <class Geometry>
void hierarchy<Geometry>::change_context() noexcept {
  flush_front();
}

template <class Geometry>
void hierarchy<Geometry>::append_counters(counter_list& out) const {
  static const char* const kNames[] = {"tlb.l2.", "tlb.l3."};
  for (size_t i = 0; i < parts_.levels.size(); ++i) {
    const level_counters& c = parts_.levels[i].counters();
    const std::string prefix = kNames[i];
    out.emplace_back(prefix + "hits", c.hits);
    out.emplace_back(prefix + "misses", c.misses);
    out.emplace_back(prefix + "evictions", c.evictions);
  }
  parts_.prefetch->append_counters(out);
}

}  // namespace vm::tlb
