// clock.h - CLOCK, second chance (Corbató, 1968): one reference bit per way
// and one hand per set. A hit sets the way's bit. The victim search starts
// at the hand: a way with its bit set has it cleared and is passed over
// (its second chance); the first way with a clear bit is the victim, and
// the hand moves past it. A search ends within ways+1 steps: after one
// sweep every bit is clear.
//
// A fill leaves the bit clear: the bit records a reference after the fill,
// so a way that is never hit again goes on the next sweep, and a set just
// refilled by a miss stream does not degenerate into FIFO for a sweep (as
// it would if fills set the bit). An invalidated way's bit is cleared.
#pragma once

#include <cstdint>
#include <vector>

#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

class clock_policy final : public replacement_policy {
 public:
  std::string name() const override { return "clock"; }
  void reset(unsigned sets, unsigned ways) override;
  void on_hit(unsigned set, unsigned way) noexcept override;
  void on_fill(unsigned set, unsigned way) noexcept override;
  void on_invalidate(unsigned set, unsigned way) noexcept override;
  unsigned victim(unsigned set) noexcept override;

 private:
  unsigned ways_ = 0;
  std::vector<uint8_t> referenced_;  // sets x ways, 0 or 1
  std::vector<uint8_t> hand_;        // per set, < ways
};

}  // namespace vm::tlb
