// markov_prefetcher.h - Markov prefetching of TLB entries: a next-miss-page
// table that remembers, for a page that missed, the pages that missed right
// after it, and predicts them when it misses again.
//
// Joseph & Grunwald, "Prefetching using Markov predictors" (ISCA 1997), as
// Kandiraju & Sivasubramaniam apply it to TLBs ("Going the Distance for TLB
// Prefetching", ISCA 2002, "Markov prefetching"): each row is tagged by a
// missed page and holds its last kSuccessors successors, most recent first.
// It learns any repeating sequence of misses, however irregular, but needs
// one row per page of the pattern (the cost distance prefetching avoids).
//
// Table: `rows` rows (default 1024, rounded up to a power of two),
// direct-mapped, indexed by a hash of (asid, vpn) and tagged with both, so
// a row never predicts for another address space. A row whose tag differs
// is replaced (its history is lost). A miss on vpn:
//   1. records vpn as the most recent successor of the previous miss page
//      (when that miss was in the same address space);
//   2. predicts the successors of vpn's row (most recent first), at most
//      `max`, never vpn itself.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tlb/prefetch/prefetcher.h"

namespace vm::tlb {

class markov_prefetcher final : public prefetcher {
 public:
  static constexpr unsigned kSuccessors = 2;
  static constexpr unsigned kDefaultRows = 1024;

  // Allocates the table (the only allocation).
  explicit markov_prefetcher(unsigned rows = kDefaultRows);

  std::string name() const override { return "markov"; }
  unsigned on_miss(uint64_t vpn, uint16_t asid, uint64_t* out, unsigned max) noexcept override;
  void reset() noexcept override;

  unsigned rows() const noexcept { return static_cast<unsigned>(table_.size()); }

 private:
  struct row {
    uint64_t vpn = 0;
    uint16_t asid = 0;
    uint8_t count = 0;  // valid successors; 0: the row is empty
    std::array<uint64_t, kSuccessors> next{};
  };

  row& row_of(uint64_t vpn, uint16_t asid) noexcept;

  std::vector<row> table_;
  bool has_previous_ = false;
  uint64_t previous_vpn_ = 0;
  uint16_t previous_asid_ = 0;
};

}  // namespace vm::tlb
