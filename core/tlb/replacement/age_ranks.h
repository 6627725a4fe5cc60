// age_ranks.h - the recency (or insertion) order of the ways of every set,
// kept as one byte per way: rank 0 is the youngest way, rank ways-1 the
// oldest, and the ranks of a set are always a permutation of 0..ways-1.
// LRU ages a way on hits and fills, FIFO on fills only; both evict the
// oldest. One byte per way is enough for ways <= 255 (policies take 1..64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vm::tlb {

class age_ranks {
 public:
  // Every set starts with way w at rank w (way ways-1 the oldest).
  void reset(unsigned sets, unsigned ways) {
    ways_ = ways;
    rank_.assign(size_t{sets} * ways, 0);
    for (size_t i = 0; i < rank_.size(); ++i) rank_[i] = static_cast<uint8_t>(i % ways);
  }

  // `way` becomes rank 0; the ways that were younger age by one.
  void make_youngest(unsigned set, unsigned way) noexcept {
    uint8_t* r = row(set);
    const uint8_t old = r[way];
    for (unsigned w = 0; w < ways_; ++w) r[w] = static_cast<uint8_t>(r[w] + (r[w] < old));
    r[way] = 0;
  }

  // `way` becomes rank ways-1; the ways that were older get younger by one.
  void make_oldest(unsigned set, unsigned way) noexcept {
    uint8_t* r = row(set);
    const uint8_t old = r[way];
    for (unsigned w = 0; w < ways_; ++w) r[w] = static_cast<uint8_t>(r[w] - (r[w] > old));
    r[way] = static_cast<uint8_t>(ways_ - 1);
  }

  // The way of rank ways-1.
  unsigned oldest(unsigned set) const noexcept {
    const uint8_t* r = row(set);
    for (unsigned w = 0; w < ways_; ++w) {
      if (r[w] == ways_ - 1) return w;
    }
    return 0;  // unreachable: the ranks are a permutation
  }

 private:
  uint8_t* row(unsigned set) noexcept { return rank_.data() + size_t{set} * ways_; }
  const uint8_t* row(unsigned set) const noexcept { return rank_.data() + size_t{set} * ways_; }

  unsigned ways_ = 0;
  std::vector<uint8_t> rank_;
};

}  // namespace vm::tlb
