// stride_prefetcher.h - arbitrary-stride prefetching of TLB entries: finds
// a constant distance between consecutive demand-miss pages and predicts
// the next pages along it.
//
// The TLB form of the reference prediction table of Chen & Baer (1995),
// as Kandiraju & Sivasubramaniam evaluate it for TLBs ("Going the Distance
// for TLB Prefetching", ISCA 2002, "arbitrary stride prefetching"). A TLB
// miss carries no PC here (the replayed traces and the mmu's miss path give
// only the address), so there is one global stream rather than one per
// load instruction.
//
// State: the last miss page, the last delta and a saturating confirmation
// counter. A miss whose delta equals the last delta (and is not 0)
// increments the counter; any other delta replaces the stride and clears
// the counter. Once the counter reaches `confirmations` (default 1: the
// last two deltas were equal, i.e. three misses in a line) a miss on vpn
// predicts vpn + stride, vpn + 2*stride, ..., vpn + max*stride.
// A miss in another address space than the previous one starts a new
// stream (a distance between pages of two address spaces means nothing).
#pragma once

#include <cstdint>
#include <string>

#include "tlb/prefetch/prefetcher.h"

namespace vm::tlb {

class stride_prefetcher final : public prefetcher {
 public:
  // `confirmations` >= 1 (0 is treated as 1): equal consecutive deltas
  // needed before predicting.
  explicit stride_prefetcher(unsigned confirmations = 1) noexcept;

  std::string name() const override { return "stride"; }
  unsigned on_miss(uint64_t vpn, uint16_t asid, uint64_t* out, unsigned max) noexcept override;
  void reset() noexcept override;

  // The confirmed stride in pages, or 0 while none is confirmed (tests).
  int64_t confirmed_stride() const noexcept;

 private:
  static constexpr unsigned kCounterMax = 3;  // a 2-bit saturating counter

  unsigned confirmations_;
  bool has_previous_ = false;
  bool has_delta_ = false;
  uint64_t previous_vpn_ = 0;
  uint16_t previous_asid_ = 0;
  int64_t delta_ = 0;
  unsigned confidence_ = 0;
};

}  // namespace vm::tlb
