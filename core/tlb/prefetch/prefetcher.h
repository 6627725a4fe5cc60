// prefetcher.h - a TLB prefetcher (one folder per design, selected by name,
// prefetch_registry.h). It sees the stream of demand misses that needed a
// page walk and predicts the next pages to translate; the design walks
// them (miss_context::walk) into its prefetch buffer and counts what the
// predictions were worth (issued, useful, late, useless).
//
// Deterministic: the same miss stream gives the same predictions.
#pragma once

#include <cstdint>
#include <string>

namespace vm::tlb {

class prefetcher {
 public:
  virtual ~prefetcher() = default;
  virtual std::string name() const = 0;

  // A demand miss on virtual page number `vpn` (vaddr >> 12) in address
  // space `asid`. Writes up to `max` predicted page numbers to `out`
  // (never `vpn` itself) and returns how many.
  virtual unsigned on_miss(uint64_t vpn, uint16_t asid, uint64_t* out, unsigned max) noexcept = 0;

  // Forget all history (a new run). A flush does not call it: the history
  // holds page numbers, not translations, and a flush does not change the
  // access pattern (prefetch_unit.h).
  virtual void reset() noexcept = 0;
};

}  // namespace vm::tlb
