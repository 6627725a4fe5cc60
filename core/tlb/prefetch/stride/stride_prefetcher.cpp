#include "tlb/prefetch/stride/stride_prefetcher.h"

#include <algorithm>

#include "tlb/prefetch/page_delta.h"

namespace vm::tlb {

stride_prefetcher::stride_prefetcher(unsigned confirmations) noexcept
    : confirmations_(std::clamp(confirmations, 1u, kCounterMax)) {}

void stride_prefetcher::reset() noexcept {
  has_previous_ = false;
  has_delta_ = false;
  previous_vpn_ = 0;
  previous_asid_ = 0;
  delta_ = 0;
  confidence_ = 0;
}

int64_t stride_prefetcher::confirmed_stride() const noexcept {
  return confidence_ >= confirmations_ ? delta_ : 0;
}

unsigned stride_prefetcher::on_miss(uint64_t vpn, uint16_t asid, uint64_t* out,
                                    unsigned max) noexcept {
  if (!has_previous_ || asid != previous_asid_) {
    // A new stream: nothing to compare with yet.
    has_delta_ = false;
    confidence_ = 0;
  } else {
    const int64_t delta = page_delta(vpn, previous_vpn_);
    if (has_delta_ && delta == delta_ && delta != 0) {
      confidence_ = std::min(confidence_ + 1, kCounterMax);
    } else {
      delta_ = delta;
      has_delta_ = true;
      confidence_ = 0;
    }
  }
  has_previous_ = true;
  previous_vpn_ = vpn;
  previous_asid_ = asid;

  if (confidence_ < confirmations_) return 0;
  unsigned n = 0;
  uint64_t page = vpn;
  for (unsigned i = 0; i < max; ++i) {
    if (!offset_page(page, delta_, page)) break;  // ran off the address space
    out[n++] = page;
  }
  return n;
}

}  // namespace vm::tlb
