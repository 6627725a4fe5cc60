// miss_tracker.h - classifies the stream of demand TLB misses as
// sequential, strided or random, so a report can say why a prefetcher
// helps on one trace and not on another.
//
// Each demand miss on page vpn is one of:
//   sequential - vpn is 1 page after or before the previous miss page
//                (delta +-1);
//   strided    - |delta| > 1 and delta equals the previous miss's delta
//                (the stride a stride prefetcher would have confirmed);
//   random     - anything else: the first miss of a stream (none before
//                it), a new delta, a repeated page (delta 0).
// So sequential + strided + random = the misses seen. A miss in another
// address space than the previous one starts a new stream (random), as in
// the prefetchers. O(1) state, no allocation, deterministic.
#pragma once

#include <cstdint>

namespace vm::tlb {

enum class miss_pattern : uint8_t { kSequential, kStrided, kRandom };

struct miss_pattern_counters {
  uint64_t sequential = 0;
  uint64_t strided = 0;
  uint64_t random = 0;

  uint64_t total() const noexcept { return sequential + strided + random; }
};

class miss_stream_tracker {
 public:
  // Classifies a demand miss on page `vpn` in address space `asid`, counts
  // it and returns its class.
  miss_pattern on_miss(uint64_t vpn, uint16_t asid) noexcept;

  const miss_pattern_counters& counters() const noexcept { return counters_; }
  // Forgets the previous miss (the next one starts a stream); counters stay.
  void restart() noexcept;

 private:
  miss_pattern_counters counters_;
  bool has_previous_ = false;
  bool has_delta_ = false;
  uint64_t previous_vpn_ = 0;
  uint16_t previous_asid_ = 0;
  int64_t previous_delta_ = 0;
};

}  // namespace vm::tlb
