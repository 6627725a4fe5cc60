// tree_plru.h - tree pseudo-LRU: a binary tree over the ways of a set whose
// internal nodes each hold one bit pointing at the less recently used half.
// A hit or fill sets the bits on the way's path to point away from it; the
// victim is the leaf reached by following the bits from the root. ways-1
// bits per set instead of LRU's log2(ways!) (the design of the i486 cache
// and most TLBs since).
//
// Ways that are not a power of two: the tree is that of the next power of
// two, P leaves, and a leaf >= ways does not exist. When a node points at a
// right subtree whose leaves all do not exist, the victim walk goes left
// instead, so victim() never returns a missing way. The price is a bias: a
// real leaf whose sibling subtree is missing is chosen more often (with 3
// ways, way 2 is every other victim of a streaming access pattern).
//
// State: nodes numbered as a heap (root 1, children 2n and 2n+1), node n is
// bit n of one uint64_t per set (P <= 64, so nodes 1..63).
#pragma once

#include <cstdint>
#include <vector>

#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

class tree_plru_policy final : public replacement_policy {
 public:
  std::string name() const override { return "tree-plru"; }
  void reset(unsigned sets, unsigned ways) override;
  void on_hit(unsigned set, unsigned way) noexcept override;
  void on_fill(unsigned set, unsigned way) noexcept override;
  // The invalidated way becomes the one the bits point at: the next victim.
  void on_invalidate(unsigned set, unsigned way) noexcept override;
  unsigned victim(unsigned set) noexcept override;

 private:
  // Sets every bit on the path of `way` to point towards it (toward=true)
  // or away from it.
  void point(unsigned set, unsigned way, bool toward) noexcept;

  unsigned ways_ = 0;
  unsigned leaves_ = 0;  // the next power of two >= ways_
  std::vector<uint64_t> bits_;
};

}  // namespace vm::tlb
