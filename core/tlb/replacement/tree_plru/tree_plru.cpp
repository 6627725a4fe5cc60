// tree_plru.cpp - tree pseudo-LRU (tree_plru.h).
#include "tlb/replacement/tree_plru/tree_plru.h"

#include <bit>

namespace vm::tlb {

void tree_plru_policy::reset(unsigned sets, unsigned ways) {
  ways_ = ways;
  leaves_ = std::bit_ceil(ways);
  bits_.assign(sets, 0);  // every node points left: way 0 goes first
}

void tree_plru_policy::point(unsigned set, unsigned way, bool toward) noexcept {
  uint64_t b = bits_[set];
  // Walk up from the leaf's heap index: a node that is its parent's right
  // child (odd) is reached by bit 1, a left child (even) by bit 0.
  for (unsigned node = leaves_ + way; node > 1; node >>= 1) {
    const uint64_t mask = uint64_t{1} << (node >> 1);
    const bool right = node & 1;
    if (right == toward) {
      b |= mask;
    } else {
      b &= ~mask;
    }
  }
  bits_[set] = b;
}

void tree_plru_policy::on_hit(unsigned set, unsigned way) noexcept { point(set, way, false); }
void tree_plru_policy::on_fill(unsigned set, unsigned way) noexcept { point(set, way, false); }
void tree_plru_policy::on_invalidate(unsigned set, unsigned way) noexcept {
  point(set, way, true);
}

unsigned tree_plru_policy::victim(unsigned set) noexcept {
  const uint64_t b = bits_[set];
  unsigned node = 1, first_leaf = 0;
  for (unsigned span = leaves_ >> 1; span > 0; span >>= 1) {
    // The right child covers leaves [first_leaf + span, first_leaf + 2 span):
    // it has a real way only when first_leaf + span < ways_.
    const bool right = ((b >> node) & 1) && first_leaf + span < ways_;
    node = 2 * node + right;
    if (right) first_leaf += span;
  }
  return first_leaf;
}

}  // namespace vm::tlb
