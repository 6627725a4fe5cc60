// distance_prefetcher.h - distance prefetching of TLB entries (Kandiraju &
// Sivasubramaniam, "Going the Distance for TLB Prefetching: An
// Application-Driven Study", ISCA 2002, pp. 195-206).
//
// The paper's observation: TLB miss streams repeat *distances* between
// consecutive miss pages far more often than they repeat pages. Their
// motivating example is a stream touching pages 1, 2, 4, 5, 7, 8, ...:
// the distances alternate 1, 2, 1, 2, so no single stride describes it (an
// arbitrary-stride prefetcher never confirms a stride) and a Markov table
// needs one row per page, while a table indexed by distance learns it in
// two rows ("after a distance of 1 comes 2, after 2 comes 1") and covers
// the whole stream, however long, with those two rows.
//
// Table: indexed by the current distance (this miss page minus the
// previous one), each row holding the kSlots distances that followed that
// distance, most recent first. The paper parametrises it by its number of
// rows r and of slots s per row and finds small tables sufficient, since
// distances repeat; we use r = 256 rows (default; direct-mapped, hashed,
// tagged by the full distance) and s = 2 slots. A miss on vpn with
// current distance d:
//   1. predicts vpn + d' for each distance d' of row(d) (at most `max`,
//      none leaving the address space);
//   2. then records d as the most recent successor of the previous
//      distance in row(previous d).
// A miss in another address space than the previous one starts a new
// stream (no distance is formed across address spaces); the table itself
// is shared, because a distance pattern is a property of the code, not of
// one address space.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tlb/prefetch/prefetcher.h"

namespace vm::tlb {

class distance_prefetcher final : public prefetcher {
 public:
  static constexpr unsigned kSlots = 2;
  static constexpr unsigned kDefaultRows = 256;

  // Allocates the table (the only allocation).
  explicit distance_prefetcher(unsigned rows = kDefaultRows);

  std::string name() const override { return "distance"; }
  unsigned on_miss(uint64_t vpn, uint16_t asid, uint64_t* out, unsigned max) noexcept override;
  void reset() noexcept override;

  unsigned rows() const noexcept { return static_cast<unsigned>(table_.size()); }

 private:
  struct row {
    int64_t distance = 0;  // the tag
    uint8_t count = 0;     // valid slots; 0: the row is empty
    std::array<int64_t, kSlots> next{};
  };

  row& row_of(int64_t distance) noexcept;

  std::vector<row> table_;
  bool has_previous_ = false;
  bool has_distance_ = false;
  uint64_t previous_vpn_ = 0;
  uint16_t previous_asid_ = 0;
  int64_t previous_distance_ = 0;
};

}  // namespace vm::tlb
