// adaptive.h - set dueling between two policies A and B (Qureshi, Jaleel,
// Patt, Steely and Emer, "Adaptive Insertion Policies for High Performance
// Caching", ISCA 2007, dynamic insertion policy DIP-SD).
//
// A few leader sets always use A, as many always use B; a 10-bit saturating
// counter PSEL counts up on a miss in an A leader and down on a miss in a B
// leader (on_miss). The follower sets, all the others, use A while PSEL is
// below its midpoint (512) and B from there on. PSEL starts at 511: with no
// evidence the followers use A, the policy named first.
//
// Leaders: 32 per policy as in the paper, or sets/4 each when the level has
// fewer than 128 sets (at least one each from 2 sets on). The sets are cut
// into as many constituencies as there are leaders per policy; in
// constituency k (of c sets) the set at offset k mod c leads A and the one
// at offset c-1 - (k mod c) leads B (the paper's complement select; c is a
// power of two >= 2, so c-1 is odd and the two offsets never coincide).
// With a single set there is nothing to duel: that set follows A and PSEL
// never moves.
//
// Both components keep their state for every set (each hears every hit,
// fill and invalidation), so a follower that switches finds the other
// policy's history ready; victim() asks the component that governs the set.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

class adaptive_policy final : public replacement_policy {
 public:
  static constexpr unsigned kLeadersPerPolicy = 32;
  static constexpr unsigned kPselMax = (1u << 10) - 1;
  static constexpr unsigned kPselMidpoint = (kPselMax + 1) / 2;

  enum class set_role : uint8_t { kFollower, kLeaderA, kLeaderB };

  // `a` and `b`: two distinct instances (they may be of the same policy).
  adaptive_policy(std::unique_ptr<replacement_policy> a,
                  std::unique_ptr<replacement_policy> b) noexcept
      : a_(std::move(a)), b_(std::move(b)) {}

  // "adaptive:A:B" with the components' canonical names.
  std::string name() const override;
  void reset(unsigned sets, unsigned ways) override;
  void on_hit(unsigned set, unsigned way) noexcept override;
  void on_miss(unsigned set) noexcept override;
  void on_fill(unsigned set, unsigned way) noexcept override;
  void on_invalidate(unsigned set, unsigned way) noexcept override;
  unsigned victim(unsigned set) noexcept override;

  // For tests and counters: the saturating counter (0..kPselMax), the
  // component the followers use now (0 = A, 1 = B), and a set's role.
  unsigned psel() const noexcept { return psel_; }
  unsigned follower_choice() const noexcept { return psel_ >= kPselMidpoint ? 1 : 0; }
  set_role role(unsigned set) const noexcept { return static_cast<set_role>(role_[set]); }

 private:
  std::unique_ptr<replacement_policy> a_, b_;
  unsigned psel_ = kPselMidpoint - 1;
  std::vector<uint8_t> role_;  // per set, a set_role
};

}  // namespace vm::tlb
