// single_level.h - the simplest design: the L1 front alone, with no levels
// below. `single_level<fixed_geometry<16384, 1>>` is the core's default TLB
// (mmu::default_tlb), the one the interpreter runs with; it reports no
// counters beyond the mmu's own, so results recorded before the TLB family
// existed stay comparable.
#pragma once

#include "tlb/tlb_design.h"
#include "tlb/tlb_set_assoc.h"

namespace vm::tlb {

template <class Geometry>
class single_level {
 public:
  single_level() noexcept
    requires Geometry::kFixed
  = default;
  explicit single_level(Geometry g)
    requires(!Geometry::kFixed)
      : front_(g) {}

  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    return front_.template find<Type>(page, key);
  }
  const tlb_entry* refill(uint64_t, access_type, const miss_context&) noexcept { return nullptr; }
  void insert(const translation& t, uint64_t vaddr, const miss_context&) noexcept {
    const uint64_t page = vaddr & ~(kPageBytes - 1);
    front_.insert(page, t.entry_for(page));
    if (t.level != 0) holds_superpage_ = true;
  }
  void flush(const flush_request& r) noexcept {
    events_.publish(flush_event{r, 0});
    // The front holds 4 KiB fragments and no ASIDs: only a by-address flush
    // with no superpage fragment present can be done precisely.
    if ((r.scope == flush_scope::kAddress || r.scope == flush_scope::kAddressAsid) &&
        !holds_superpage_) {
      front_.flush_page(r.vaddr & ~(kPageBytes - 1));
      return;
    }
    front_.flush_all();
    holds_superpage_ = false;
  }
  void change_context() noexcept {
    front_.flush_all();
    holds_superpage_ = false;
  }
  void select_cpu(unsigned) noexcept {}
  void append_counters(counter_list&) const {}
  tlb_event_source& events() noexcept { return events_; }

  const tlb_front<Geometry>& front() const noexcept { return front_; }

 private:
  tlb_front<Geometry> front_;
  bool holds_superpage_ = false;
  tlb_event_source events_;
};

}  // namespace vm::tlb
