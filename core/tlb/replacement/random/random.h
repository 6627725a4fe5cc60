// random.h - a uniformly random victim, drawn from splitmix64 (Steele et
// al., OOPSLA 2014) seeded by the configuration: the same seed gives the
// same victims, run after run. No state per set; reset() reseeds, so a level
// that is rebuilt replays the same choices.
#pragma once

#include <cstdint>

#include "tlb/replacement/replacement_policy.h"

namespace vm::tlb {

class random_policy final : public replacement_policy {
 public:
  explicit random_policy(uint64_t seed) noexcept : seed_(seed), state_(seed) {}

  std::string name() const override { return "random"; }
  void reset(unsigned sets, unsigned ways) override;
  void on_hit(unsigned set, unsigned way) noexcept override { (void)set, (void)way; }
  void on_fill(unsigned set, unsigned way) noexcept override { (void)set, (void)way; }
  unsigned victim(unsigned set) noexcept override;

 private:
  uint64_t next() noexcept;

  uint64_t seed_;
  uint64_t state_;
  unsigned ways_ = 1;
};

}  // namespace vm::tlb
