// tlb_events.h - the TLB's typed events: a miss, a flush, a shootdown and a
// prefetch, for the event bus of the later issues to subscribe to.
//
// Designs publish only on their miss, flush and prefetch paths, never on a
// hit, and publish() is one predictable branch on a null pointer: with no
// subscriber the hot path pays nothing (the L1 hit path does not even see
// the pointer). Events carry plain values; a subscriber must not call back
// into the TLB that published.
#pragma once

#include <cstdint>

#include "tlb/translation.h"

namespace vm::tlb {

struct miss_event {
  uint64_t vaddr = 0;
  access_type type = access_type::kRead;
  uint64_t now = 0;          // virtual time: TLB lookups so far
  uint8_t served_by = 0;     // 0: a walk; 2, 3: that level; 8: victim / prefetch buffer
};

struct flush_event {
  flush_request request;
  uint64_t now = 0;
};

struct shootdown_event {
  flush_request request;
  uint32_t from_cpu = 0;
  uint32_t targets = 0;  // other CPUs that had to flush
};

struct prefetch_event {
  uint64_t vaddr = 0;  // the page asked for
  bool filled = false; // false: it does not map, or was already present
  uint64_t now = 0;
};

// A subscriber overrides what it wants.
class tlb_event_sink {
 public:
  virtual ~tlb_event_sink() = default;
  virtual void on(const miss_event&) noexcept {}
  virtual void on(const flush_event&) noexcept {}
  virtual void on(const shootdown_event&) noexcept {}
  virtual void on(const prefetch_event&) noexcept {}
};

// Held by a design; the sink outlives it or is unset first.
class tlb_event_source {
 public:
  void subscribe(tlb_event_sink* sink) noexcept { sink_ = sink; }
  template <class Event>
  void publish(const Event& e) const noexcept {
    if (sink_ != nullptr) [[unlikely]]
      sink_->on(e);
  }

 private:
  tlb_event_sink* sink_ = nullptr;
};

}  // namespace vm::tlb
