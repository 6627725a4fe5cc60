// srrip.h - static re-reference interval prediction (Jaleel, Theobald,
// Steely and Emer, "High Performance Cache Replacement Using
// Re-Reference Interval Prediction (RRIP)", ISCA 2010), 2-bit RRPV with
// hit priority (SRRIP-HP):
//   - a fill predicts a long re-reference interval: RRPV 2 (max - 1);
//   - a hit predicts a near one: RRPV 0;
//   - the victim is the first way (lowest index) with RRPV 3 (distant);
//     when there is none, every RRPV of the set is incremented until one
//     reaches 3 (done in one step: all += 3 - max).
// A page filled by a scan and never hit again ages out before a page that
// was hit, which is what makes SRRIP scan resistant where LRU is not.
// An invalidated way gets RRPV 3. State: one byte per way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

class srrip_policy final : public replacement_policy {
 public:
  static constexpr uint8_t kMaxRrpv = 3;             // 2 bits
  static constexpr uint8_t kInsertRrpv = kMaxRrpv - 1;  // "long" interval

  std::string name() const override { return "srrip"; }
  void reset(unsigned sets, unsigned ways) override;
  void on_hit(unsigned set, unsigned way) noexcept override;
  void on_fill(unsigned set, unsigned way) noexcept override;
  void on_invalidate(unsigned set, unsigned way) noexcept override;
  unsigned victim(unsigned set) noexcept override;

  // For tests: the RRPV of `way` in `set`.
  unsigned rrpv(unsigned set, unsigned way) const noexcept {
    return rrpv_[size_t{set} * ways_ + way];
  }

 private:
  unsigned ways_ = 0;
  std::vector<uint8_t> rrpv_;  // sets x ways, 0..3
};

}  // namespace vm::tlb
