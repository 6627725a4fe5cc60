#include "tlb/prefetch/markov/markov_prefetcher.h"

#include <algorithm>

#include "tlb/prefetch/page_delta.h"

namespace vm::tlb {

markov_prefetcher::markov_prefetcher(unsigned rows) : table_(table_rows(rows)) {}

void markov_prefetcher::reset() noexcept {
  std::fill(table_.begin(), table_.end(), row{});
  has_previous_ = false;
  previous_vpn_ = 0;
  previous_asid_ = 0;
}

markov_prefetcher::row& markov_prefetcher::row_of(uint64_t vpn, uint16_t asid) noexcept {
  // vpn < 2^52, so (asid, vpn) -> key is one-to-one.
  const uint64_t key = vpn ^ (uint64_t{asid} << 52);
  return table_[table_row(key, table_.size())];
}

unsigned markov_prefetcher::on_miss(uint64_t vpn, uint16_t asid, uint64_t* out,
                                    unsigned max) noexcept {
  // 1. Learn: vpn followed the previous miss page.
  if (has_previous_ && previous_asid_ == asid) {
    row& r = row_of(previous_vpn_, asid);
    if (r.count == 0 || r.vpn != previous_vpn_ || r.asid != asid) {
      r = row{};
      r.vpn = previous_vpn_;
      r.asid = asid;
    }
    // Move vpn to the front (most recent first), keeping the others' order.
    unsigned at = 0;
    while (at < r.count && r.next[at] != vpn) ++at;
    if (at == r.count) {
      if (r.count < kSuccessors) ++r.count;
      at = r.count - 1;  // the least recent slot (dropped when full)
    }
    for (; at > 0; --at) r.next[at] = r.next[at - 1];
    r.next[0] = vpn;
  }
  has_previous_ = true;
  previous_vpn_ = vpn;
  previous_asid_ = asid;

  // 2. Predict vpn's successors.
  const row& r = row_of(vpn, asid);
  if (r.count == 0 || r.vpn != vpn || r.asid != asid) return 0;
  unsigned n = 0;
  for (unsigned i = 0; i < r.count && n < max; ++i) {
    if (r.next[i] != vpn) out[n++] = r.next[i];
  }
  return n;
}

}  // namespace vm::tlb
