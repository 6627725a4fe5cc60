// prefetch_unit.h - what a TLB design embeds to prefetch translations: a
// prefetcher (or none), a prefetch buffer, the miss-stream tracker and the
// counters that say what the prefetches were worth.
//
// The organisation is Kandiraju & Sivasubramaniam's ("Going the Distance
// for TLB Prefetching", ISCA 2002): prefetched translations go to a small
// fully associative prefetch buffer (PB) beside the TLB, not into the TLB
// itself, so a wrong prediction never evicts a useful TLB entry. On a TLB
// miss the PB is searched; a PB hit moves the translation into the TLB and
// saves the walk. Every miss, PB hit or not, trains the prefetcher, which
// then issues its predictions into the PB.
//
// Counters (append_counters, in this order; tlb.prefetch.* only when a
// prefetcher is configured, tlb.pattern.* always):
//   tlb.prefetch.issued  - prefetched translations put into the buffer;
//   tlb.prefetch.useful  - demand misses served from the buffer after the
//                          prefetch's walk had completed
//                          (issue time + latency <= ctx.now);
//   tlb.prefetch.late    - demand misses served from the buffer before it
//                          had completed: the demand waited for the walk in
//                          flight, but did not walk again;
//   tlb.prefetch.useless - buffered translations evicted (FIFO) or flushed
//                          before any demand used them;
//   tlb.prefetch.dropped - prefetch walks that found no translation (the
//                          predicted page does not map, or permits neither
//                          reads nor execution);
//   tlb.prefetch.walks   - prefetch walks done, dropped ones included
//                          (walks >= issued + dropped: a walk whose result
//                          is the demand page's own large page is done but
//                          neither issued nor dropped);
//   tlb.pattern.sequential, tlb.pattern.strided, tlb.pattern.random - the
//                          miss_stream_tracker's classes of every demand
//                          miss that reached the unit.
// issued = useful + late + useless + (still buffered). The report derives
//   accuracy = (useful + late) / issued
//   coverage = (useful + late) / (useful + late + demand walks)
// where "demand walks" are the design's walks for misses the buffer did not
// serve (the design counts those, not this unit).
//
// Virtual time is ctx.now (TLB lookups so far); `latency` is the number of
// lookups a prefetch walk takes to complete.
//
// A flush drops the buffered translations it covers but keeps the
// prefetcher's and the tracker's history: a flush changes which
// translations are valid, not the program's access pattern, and the
// history holds page numbers, never translations, so nothing stale can be
// served from it.
//
// Deterministic. Everything is allocated in the constructor; on_tlb_miss
// and flush never allocate. The unit is single-threaded (one per TLB
// instance; a shared design locks around it).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "tlb/prefetch/miss_tracker.h"
#include "tlb/prefetch/prefetcher.h"
#include "tlb/tlb_design.h"
#include "tlb/tlb_events.h"
#include "tlb/translation.h"

namespace vm::tlb {

struct prefetch_options {
  unsigned buffer_entries = 16;  // the PB's translations: 1..kMaxBufferEntries
  unsigned degree = 2;           // predictions issued per miss: 1..kMaxDegree
  uint64_t latency = 16;         // lookups from issue until the walk completes

  static constexpr unsigned kMaxBufferEntries = 1024;
  static constexpr unsigned kMaxDegree = 16;
};

// kInvalidArgument naming the field and its accepted range when `o` is
// outside the limits above (for configuration parsers); ok otherwise.
error check_prefetch_options(const prefetch_options& o);

struct prefetch_counters {
  uint64_t issued = 0;
  uint64_t useful = 0;
  uint64_t late = 0;
  uint64_t useless = 0;
  uint64_t dropped = 0;
  uint64_t walks = 0;
  uint64_t throttled = 0;  // predictions not issued while throttled
};

class prefetch_unit {
 public:
  // `p` may be null: then only the miss-stream tracker runs (the pattern
  // counters are still reported) and the buffer stays empty. Options
  // outside the limits are clamped into them (check_prefetch_options
  // reports them first where the user chose them).
  prefetch_unit(std::unique_ptr<prefetcher> p, prefetch_options o);

  // A demand miss for vaddr that no TLB level could serve (it would walk).
  //  1. Searches the buffer for a translation that serves(vaddr, ctx.asid,
  //     type); one found is removed from the buffer and counted useful or
  //     late.
  //  2. Trains the tracker and the prefetcher on vaddr's page.
  //  3. For each of the prefetcher's (at most `degree`) predicted pages:
  //     skips it when the buffer (or the translation just served) already
  //     holds it for this ASID; otherwise walks it through
  //     ctx.prefetch_walk — a failed walk is "dropped" — and puts the
  //     translation into the buffer (the oldest entry makes room, FIFO),
  //     stamped with ctx.now. Publishes one prefetch_event per predicted
  //     page, filled = whether it went into the buffer.
  // Returns the served translation (valid until the next call; the design
  // moves it into its TLB), or nullptr: the caller walks vaddr.
  const translation* on_tlb_miss(uint64_t vaddr, access_type type, const miss_context& ctx,
                                 const tlb_event_source& events) noexcept;

  // sfence.vma: drops (as useless) the buffered translations `r` covers;
  // keeps the prediction history (see above).
  void flush(const flush_request& r) noexcept;

  void append_counters(counter_list& out) const;

  bool enabled() const noexcept { return prefetcher_ != nullptr; }
  const prefetcher* engine() const noexcept { return prefetcher_.get(); }
  const prefetch_options& options() const noexcept { return options_; }
  const prefetch_counters& counters() const noexcept { return counters_; }
  const miss_pattern_counters& pattern() const noexcept { return tracker_.counters(); }
  // Translations in the buffer now.
  unsigned buffered() const noexcept;
  // Whether the buffer holds a translation containing vaddr visible to
  // `asid` (whatever its permissions).
  bool holds(uint64_t vaddr, uint16_t asid) const noexcept;

 private:
  struct slot {
    translation t;
    uint64_t issued_at = 0;  // ctx.now when the prefetch walk started
    uint64_t order = 0;      // insertion number: the smallest is evicted first
    bool valid = false;
  };

  void prefetch(uint64_t page_vaddr, uint64_t demand_vaddr, const translation* served,
                const miss_context& ctx, const tlb_event_source& events) noexcept;
  void fill(const translation& t, uint64_t now) noexcept;

  std::unique_ptr<prefetcher> prefetcher_;
  prefetch_options options_;
  std::vector<slot> buffer_;
  std::vector<uint64_t> predictions_;  // degree entries
  uint64_t next_order_ = 0;
  translation served_;
  prefetch_counters counters_;
  // Accuracy feedback (as in Srinath et al., "Feedback Directed
  // Prefetching", HPCA 2007, simplified): +2 per prefetch served, -1 per
  // one wasted (evicted unused, or its page did not map). Below the
  // threshold only a sample of misses issue: on random-access traces the
  // wasted walks would otherwise cost more than the prefetches save
  // (measured: +4-12 % time on gups, hash_table, pointer-chase).
  static constexpr int kConfidenceMax = 32;
  static constexpr int kConfidenceThreshold = 8;
  static constexpr uint64_t kSampleEvery = 16;
  int confidence_ = kConfidenceMax;
  uint64_t sampled_misses_ = 0;
  miss_stream_tracker tracker_;
};

}  // namespace vm::tlb
