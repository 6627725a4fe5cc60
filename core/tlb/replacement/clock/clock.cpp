// clock.cpp - CLOCK, second chance (clock.h).
#include "tlb/replacement/clock/clock.h"

#include <cstddef>

namespace vm::tlb {

void clock_policy::reset(unsigned sets, unsigned ways) {
  ways_ = ways;
  referenced_.assign(size_t{sets} * ways, 0);
  hand_.assign(sets, 0);
}

void clock_policy::on_hit(unsigned set, unsigned way) noexcept {
  referenced_[size_t{set} * ways_ + way] = 1;
}

void clock_policy::on_fill(unsigned set, unsigned way) noexcept {
  referenced_[size_t{set} * ways_ + way] = 0;
}

void clock_policy::on_invalidate(unsigned set, unsigned way) noexcept {
  referenced_[size_t{set} * ways_ + way] = 0;
}

unsigned clock_policy::victim(unsigned set) noexcept {
  uint8_t* ref = &referenced_[size_t{set} * ways_];
  unsigned hand = hand_[set];
  while (ref[hand]) {
    ref[hand] = 0;  // second chance
    hand = hand + 1 == ways_ ? 0 : hand + 1;
  }
  hand_[set] = static_cast<uint8_t>(hand + 1 == ways_ ? 0 : hand + 1);
  return hand;
}

}  // namespace vm::tlb
