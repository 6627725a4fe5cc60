// replacement_policy.h - a replacement policy for a set-associative TLB
// level below the L1 front (set_assoc_level), ChampSim-style: a small class
// with hooks, one folder per policy, selected by name (replacement_registry.h).
//
// Calls are on the miss path only (an L1 miss that reaches the level), so
// one virtual call per hook is acceptable; the L1 hit path never sees a
// policy. A policy is deterministic: `random` draws from a generator seeded
// by the configuration.
#pragma once

#include <cstdint>
#include <string>

namespace vm::tlb {

class replacement_policy {
 public:
  virtual ~replacement_policy() = default;

  // The policy's canonical name as the registry accepts it ("lru",
  // "adaptive:lru:srrip").
  virtual std::string name() const = 0;

  // Sizes the state for `sets` x `ways` (sets a power of two, ways 1..64)
  // and forgets all history. Called once before use and on a full flush of
  // the level is not required (invalid ways are filled first anyway).
  virtual void reset(unsigned sets, unsigned ways) = 0;

  // A lookup in `set` hit `way`.
  virtual void on_hit(unsigned set, unsigned way) noexcept = 0;
  // A lookup in `set` missed (before any fill): set dueling counts these.
  virtual void on_miss(unsigned set) noexcept { (void)set; }
  // `way` of `set` was just filled (after victim(), or into an invalid way).
  virtual void on_fill(unsigned set, unsigned way) noexcept = 0;
  // `way` of `set` was invalidated (flush, or moved out by an exclusive
  // hierarchy).
  virtual void on_invalidate(unsigned set, unsigned way) noexcept { (void)set, (void)way; }
  // The way of a full set to replace (< ways). The level fills invalid ways
  // first without asking.
  virtual unsigned victim(unsigned set) noexcept = 0;
};

}  // namespace vm::tlb
