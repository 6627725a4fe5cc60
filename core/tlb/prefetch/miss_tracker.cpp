#include "tlb/prefetch/miss_tracker.h"

#include "tlb/prefetch/page_delta.h"

namespace vm::tlb {

void miss_stream_tracker::restart() noexcept {
  has_previous_ = false;
  has_delta_ = false;
}

miss_pattern miss_stream_tracker::on_miss(uint64_t vpn, uint16_t asid) noexcept {
  miss_pattern pattern = miss_pattern::kRandom;
  if (has_previous_ && asid == previous_asid_) {
    const int64_t delta = page_delta(vpn, previous_vpn_);
    if (delta == 1 || delta == -1) {
      pattern = miss_pattern::kSequential;
    } else if (delta != 0 && has_delta_ && delta == previous_delta_) {
      pattern = miss_pattern::kStrided;  // |delta| > 1 here
    }
    previous_delta_ = delta;
    has_delta_ = true;
  } else {
    has_delta_ = false;
  }
  has_previous_ = true;
  previous_vpn_ = vpn;
  previous_asid_ = asid;

  switch (pattern) {
    case miss_pattern::kSequential: ++counters_.sequential; break;
    case miss_pattern::kStrided: ++counters_.strided; break;
    case miss_pattern::kRandom: ++counters_.random; break;
  }
  return pattern;
}

}  // namespace vm::tlb
