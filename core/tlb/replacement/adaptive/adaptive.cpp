// adaptive.cpp - set dueling between two policies (adaptive.h).
#include "tlb/replacement/adaptive/adaptive.h"

#include <algorithm>

namespace vm::tlb {

std::string adaptive_policy::name() const { return "adaptive:" + a_->name() + ":" + b_->name(); }

void adaptive_policy::reset(unsigned sets, unsigned ways) {
  a_->reset(sets, ways);
  b_->reset(sets, ways);
  psel_ = kPselMidpoint - 1;
  role_.assign(sets, static_cast<uint8_t>(set_role::kFollower));
  if (sets < 2) return;
  const unsigned leaders = std::clamp(sets / 4, 1u, kLeadersPerPolicy);
  const unsigned constituency = sets / leaders;  // a power of two >= 2
  for (unsigned k = 0; k < leaders; ++k) {
    const unsigned offset = k % constituency;
    role_[k * constituency + offset] = static_cast<uint8_t>(set_role::kLeaderA);
    role_[k * constituency + constituency - 1 - offset] = static_cast<uint8_t>(set_role::kLeaderB);
  }
}

void adaptive_policy::on_hit(unsigned set, unsigned way) noexcept {
  a_->on_hit(set, way);
  b_->on_hit(set, way);
}

void adaptive_policy::on_miss(unsigned set) noexcept {
  switch (role(set)) {
    case set_role::kLeaderA: psel_ = std::min(psel_ + 1, kPselMax); break;
    case set_role::kLeaderB: psel_ = psel_ > 0 ? psel_ - 1 : 0; break;
    case set_role::kFollower: break;
  }
  a_->on_miss(set);
  b_->on_miss(set);
}

void adaptive_policy::on_fill(unsigned set, unsigned way) noexcept {
  a_->on_fill(set, way);
  b_->on_fill(set, way);
}

void adaptive_policy::on_invalidate(unsigned set, unsigned way) noexcept {
  a_->on_invalidate(set, way);
  b_->on_invalidate(set, way);
}

unsigned adaptive_policy::victim(unsigned set) noexcept {
  bool use_b = false;
  switch (role(set)) {
    case set_role::kLeaderA: use_b = false; break;
    case set_role::kLeaderB: use_b = true; break;
    case set_role::kFollower: use_b = follower_choice() == 1; break;
  }
  return use_b ? b_->victim(set) : a_->victim(set);
}

}  // namespace vm::tlb
