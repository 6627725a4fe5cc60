#include "tlb/prefetch/distance/distance_prefetcher.h"

#include <algorithm>

#include "tlb/prefetch/page_delta.h"

namespace vm::tlb {

distance_prefetcher::distance_prefetcher(unsigned rows) : table_(table_rows(rows)) {}

void distance_prefetcher::reset() noexcept {
  std::fill(table_.begin(), table_.end(), row{});
  has_previous_ = false;
  has_distance_ = false;
  previous_vpn_ = 0;
  previous_asid_ = 0;
  previous_distance_ = 0;
}

distance_prefetcher::row& distance_prefetcher::row_of(int64_t distance) noexcept {
  return table_[table_row(static_cast<uint64_t>(distance), table_.size())];
}

unsigned distance_prefetcher::on_miss(uint64_t vpn, uint16_t asid, uint64_t* out,
                                      unsigned max) noexcept {
  if (!has_previous_ || asid != previous_asid_) {
    has_previous_ = true;
    has_distance_ = false;
    previous_vpn_ = vpn;
    previous_asid_ = asid;
    return 0;
  }
  const int64_t distance = page_delta(vpn, previous_vpn_);

  // 1. Predict from the distances that followed this one before.
  unsigned n = 0;
  const row& current = row_of(distance);
  if (current.count != 0 && current.distance == distance) {
    for (unsigned i = 0; i < current.count && n < max; ++i) {
      uint64_t page = 0;
      if (offset_page(vpn, current.next[i], page)) out[n++] = page;
    }
  }

  // 2. Learn: `distance` followed the previous distance.
  if (has_distance_) {
    row& r = row_of(previous_distance_);
    if (r.count == 0 || r.distance != previous_distance_) {
      r = row{};
      r.distance = previous_distance_;
    }
    unsigned at = 0;
    while (at < r.count && r.next[at] != distance) ++at;
    if (at == r.count) {
      if (r.count < kSlots) ++r.count;
      at = r.count - 1;
    }
    for (; at > 0; --at) r.next[at] = r.next[at - 1];
    r.next[0] = distance;
  }
  has_distance_ = true;
  previous_distance_ = distance;
  previous_vpn_ = vpn;
  return n;
}

}  // namespace vm::tlb
