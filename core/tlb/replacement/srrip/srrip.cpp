// srrip.cpp - static RRIP with hit priority (srrip.h).
#include "tlb/replacement/srrip/srrip.h"

#include <algorithm>
#include <cstddef>

namespace vm::tlb {

void srrip_policy::reset(unsigned sets, unsigned ways) {
  ways_ = ways;
  rrpv_.assign(size_t{sets} * ways, kMaxRrpv);
}

void srrip_policy::on_hit(unsigned set, unsigned way) noexcept {
  rrpv_[size_t{set} * ways_ + way] = 0;
}

void srrip_policy::on_fill(unsigned set, unsigned way) noexcept {
  rrpv_[size_t{set} * ways_ + way] = kInsertRrpv;
}

void srrip_policy::on_invalidate(unsigned set, unsigned way) noexcept {
  rrpv_[size_t{set} * ways_ + way] = kMaxRrpv;
}

unsigned srrip_policy::victim(unsigned set) noexcept {
  uint8_t* r = &rrpv_[size_t{set} * ways_];
  const uint8_t oldest = *std::max_element(r, r + ways_);
  if (oldest < kMaxRrpv) {
    const auto age = static_cast<uint8_t>(kMaxRrpv - oldest);
    for (unsigned w = 0; w < ways_; ++w) r[w] = static_cast<uint8_t>(r[w] + age);
  }
  return static_cast<unsigned>(std::find(r, r + ways_, kMaxRrpv) - r);
}

}  // namespace vm::tlb
