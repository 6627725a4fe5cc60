// random.cpp - a seeded uniformly random victim (random.h).
#include "tlb/replacement/random/random.h"

namespace vm::tlb {

void random_policy::reset(unsigned sets, unsigned ways) {
  (void)sets;
  ways_ = ways;
  state_ = seed_;
}

uint64_t random_policy::next() noexcept {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

unsigned random_policy::victim(unsigned set) noexcept {
  (void)set;
  // Multiply-shift of the top 32 bits: uniform up to a bias of ways / 2^32.
  return static_cast<unsigned>(((next() >> 32) * ways_) >> 32);
}

}  // namespace vm::tlb
