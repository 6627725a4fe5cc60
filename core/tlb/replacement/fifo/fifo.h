// fifo.h - first in, first out: the victim is the way filled longest ago;
// hits change nothing. One byte per way (age_ranks, aged on fills only), so
// the order stays exact when the level refills an invalidated way out of
// turn; an invalidated way becomes the oldest.
#pragma once

#include "tlb/replacement/age_ranks.h"
#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

class fifo_policy final : public replacement_policy {
 public:
  std::string name() const override { return "fifo"; }
  void reset(unsigned sets, unsigned ways) override;
  void on_hit(unsigned set, unsigned way) noexcept override;
  void on_fill(unsigned set, unsigned way) noexcept override;
  void on_invalidate(unsigned set, unsigned way) noexcept override;
  unsigned victim(unsigned set) noexcept override;

 private:
  age_ranks ranks_;
};

}  // namespace vm::tlb
