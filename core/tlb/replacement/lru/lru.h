// lru.h - least recently used: the victim is the way whose last hit or fill
// is the oldest. Exact LRU (not an approximation), one byte per way
// (age_ranks); an invalidated way becomes the oldest so it goes first.
#pragma once

#include "tlb/replacement/age_ranks.h"
#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

class lru_policy final : public replacement_policy {
 public:
  std::string name() const override { return "lru"; }
  void reset(unsigned sets, unsigned ways) override;
  void on_hit(unsigned set, unsigned way) noexcept override;
  void on_fill(unsigned set, unsigned way) noexcept override;
  void on_invalidate(unsigned set, unsigned way) noexcept override;
  unsigned victim(unsigned set) noexcept override;

 private:
  age_ranks ranks_;
};

}  // namespace vm::tlb
